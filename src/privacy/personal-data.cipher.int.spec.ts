/**
 * The cipher over a real key store (embedded read store): keys made once per subject and shared by concurrent
 * first uses, erasure that makes every blob of the subject read as erased (here and in a second process),
 * plaintext of events written before encryption hidden once erased, and roles that may not see any of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Actor } from '../core/actor.js';
import { ForbiddenError } from '../core/domain-error.js';
import { ReadStoreUnavailableError } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { ERASED, PersonalDataCipher } from './personal-data.cipher.js';
import { PersonalDataIntegrityError } from './personal-data.crypto.js';
import { FRESH_MS, SUBJECT_KEYS, SubjectKeyStore } from './subject-key.store.js';

const auditor: Actor = { userId: 'a1', role: 'auditor' };
const masterKey = randomBytes(32);
const ERASED_AT = '2026-11-02T08:00:00.000Z';
let dir: string;
let views: SqliteReadStore;
let keys: SubjectKeyStore;
let cipher: PersonalDataCipher;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rujukan-cipher-'));
  views = new SqliteReadStore(join(dir, 'views.sqlite'));
  keys = new SubjectKeyStore(views, { masterKey });
  cipher = new PersonalDataCipher(keys);
});
afterEach(async () => {
  await views.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Another process on the same read store: its own key cache. */
const secondProcess = (key = masterKey) => new PersonalDataCipher(new SubjectKeyStore(views, { masterKey: key }));

describe('PersonalDataCipher', () => {
  it('seals under one key per subject, made on first use, even when first uses race', async () => {
    const blobs = await Promise.all(['e1', 'e2', 'e3'].map((eventId) => cipher.seal('s1', eventId, { text: eventId })));
    expect(await views.collection(SUBJECT_KEYS).countDocuments()).toBe(1);
    for (const [index, blob] of blobs.entries()) {
      expect(await secondProcess().open(auditor, 's1', blob)).toEqual({ erased: false, value: { text: `e${index + 1}` } });
    }
    await cipher.seal('s2', 'e4', { text: 'other' });
    expect(await views.collection(SUBJECT_KEYS).countDocuments()).toBe(2);
  });

  it('reads as erased once the key is erased: at once where it was cached, in any other process too, and for good', async () => {
    const blob = await cipher.seal('s1', 'e1', { text: 'note' });
    expect((await cipher.open(auditor, 's1', blob)).erased).toBe(false);
    await keys.erase('s1', ERASED_AT);
    expect(await cipher.open(auditor, 's1', blob)).toEqual(ERASED);
    expect(await secondProcess().open(auditor, 's1', blob)).toEqual(ERASED);
    // No key material is left, and erasing again keeps the first time.
    await keys.erase('s1', '2027-01-01T00:00:00.000Z');
    expect(await views.collection(SUBJECT_KEYS).findOne({ _id: 's1' })).toEqual({ _id: 's1', erasedAt: ERASED_AT });
  });

  it('gives an erased subject no key again: later data is sealed under a key nobody keeps', async () => {
    await cipher.seal('s1', 'e1', { text: 'before' });
    await keys.erase('s1', ERASED_AT);
    const after = await cipher.seal('s1', 'e2', { text: 'after' });
    expect(await cipher.open(auditor, 's1', after)).toEqual(ERASED);
    expect(await views.collection(SUBJECT_KEYS).findOne({ _id: 's1' })).toEqual({ _id: 's1', erasedAt: ERASED_AT });
  });

  it('shows plaintext written before encryption until the subject is erased', async () => {
    expect(await cipher.open(auditor, 's9', { text: 'pilot note' })).toEqual({ erased: false, value: { text: 'pilot note' } });
    await keys.erase('s9', ERASED_AT);
    expect(await cipher.open(auditor, 's9', { text: 'pilot note' })).toEqual(ERASED);
  });

  it('refuses a blob of another subject or sealed into another event', async () => {
    const blob = await cipher.seal('s1', 'e1', { text: 'note' });
    await expect(cipher.open(auditor, 's2', blob)).rejects.toThrow(PersonalDataIntegrityError);
    await expect(cipher.openEvent(auditor, 's1', { id: 'e2', data: { personal: blob } })).rejects.toThrow(PersonalDataIntegrityError);
    expect(await cipher.openEvent(auditor, 's1', { id: 'e1', data: { personal: blob } })).toEqual({ erased: false, value: { text: 'note' } });
    expect(await cipher.openEvent(auditor, 's1', { id: 'e3', data: { at: 'no personal part' } })).toBeNull();
  });

  it('fails under another MASTER_KEY rather than show anything', async () => {
    const blob = await cipher.seal('s1', 'e1', { text: 'note' });
    await expect(secondProcess(randomBytes(32)).open(auditor, 's1', blob)).rejects.toThrow(PersonalDataIntegrityError);
  });

  it.each(['analyst', 'admin', 'system'] as const)('never opens anything for the %s role', async (role) => {
    const blob = await cipher.seal('s1', 'e1', { text: 'note' });
    await expect(cipher.open({ userId: 'x', role }, 's1', blob)).rejects.toThrow(ForbiddenError);
  });

  it('honours an erasure made by another replica within FRESH_MS, however recently it opened the data', async () => {
    const clock = new ManualClock();
    const replica = new PersonalDataCipher(new SubjectKeyStore(views, { masterKey }, clock));
    const blob = await cipher.seal('s1', 'e1', { text: 'note' });
    expect((await replica.open(auditor, 's1', blob)).erased).toBe(false);
    await keys.erase('s1', ERASED_AT);
    clock.advance(FRESH_MS);
    expect(await replica.open(auditor, 's1', blob)).toEqual(ERASED);
  });

  it('while the read store is unreachable: seals with a key read in the last minutes, never opens with one, makes none', async () => {
    const clock = new ManualClock();
    const outage = { on: false };
    const flaky = Object.assign(Object.create(views) as SqliteReadStore, {
      collection: (name: string) => {
        const collection = views.collection(name);
        const guarded = <T>(work: () => Promise<T>) => (outage.on ? Promise.reject(new ReadStoreUnavailableError('gone')) : work());
        return { ...collection, name, findOne: (filter: Readonly<Record<string, unknown>>) => guarded(() => collection.findOne(filter)), bulkWrite: (operations: never[]) => guarded(() => collection.bulkWrite(operations)) };
      },
    });
    const replica = new PersonalDataCipher(new SubjectKeyStore(flaky, { masterKey }, clock));
    await replica.seal('s1', 'e1', { text: 'before' });
    outage.on = true;
    clock.advance(5 * 60_000);
    const during = await replica.seal('s1', 'e2', { text: 'during the outage' });
    await expect(replica.open(auditor, 's1', during)).rejects.toThrow(ReadStoreUnavailableError);
    await expect(replica.seal('s2', 'e3', { text: 'a subject never seen' })).rejects.toThrow(ReadStoreUnavailableError);
    outage.on = false;
    // Sealed under the subject's own key: readable once the store is back.
    expect(await cipher.open(auditor, 's1', during)).toEqual({ erased: false, value: { text: 'during the outage' } });
  });
});

/** A clock a test moves by hand. */
class ManualClock {
  private current = Date.parse('2026-11-02T08:00:00.000Z');
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
