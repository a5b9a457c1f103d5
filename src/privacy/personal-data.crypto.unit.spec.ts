/** Sealing personal data and wrapping data keys: what opens, and everything that must not. */
import { randomBytes } from 'node:crypto';
import {
  isSealedPersonal, keyEncryptionKey, newDataKey, openPersonal, PersonalDataIntegrityError, sealPersonal, unwrapDataKey, wrapDataKey,
} from './personal-data.crypto.js';
import type { SealedPersonal } from './personal.js';
import { nikLookupKey } from './subject-id.js';

const PLAINTEXT = { subject: { name: 'Siti Aminah', nik: '3371015205800001', address: 'Jl. Tidar 12' }, description: 'Lives alone' };
const key = newDataKey();
const sealed = sealPersonal(key, 'subject-1', 'event-1', PLAINTEXT);

/** The same blob with one base64 part's first byte flipped. */
function flipped(blob: SealedPersonal, part: 'iv' | 'ciphertext' | 'tag'): SealedPersonal {
  const bytes = Buffer.from(blob[part], 'base64');
  bytes[0]! ^= 0x01;
  return { ...blob, [part]: bytes.toString('base64') };
}

describe('sealed personal data', () => {
  it('opens to the same value under its key, and shows nothing of it as stored', () => {
    expect(isSealedPersonal(sealed)).toBe(true);
    expect(isSealedPersonal(PLAINTEXT)).toBe(false);
    expect(sealed).toEqual({ v: 1, subjectId: 'subject-1', eventId: 'event-1', iv: expect.any(String), ciphertext: expect.any(String), tag: expect.any(String) });
    for (const value of ['Siti', '3371015205800001', 'Tidar', 'alone']) expect(JSON.stringify(sealed)).not.toContain(value);
    expect(openPersonal(key, sealed)).toEqual(PLAINTEXT);
  });

  it('never seals the same value twice alike (a fresh IV each time)', () => {
    const again = sealPersonal(key, 'subject-1', 'event-1', PLAINTEXT);
    expect(again.iv).not.toBe(sealed.iv);
    expect(again.ciphertext).not.toBe(sealed.ciphertext);
  });

  it.each(['iv', 'ciphertext', 'tag'] as const)('refuses a blob whose %s was altered', (part) => {
    expect(() => openPersonal(key, flipped(sealed, part))).toThrow(PersonalDataIntegrityError);
  });

  it('refuses a blob claimed for another subject or another event (the additional data)', () => {
    expect(() => openPersonal(key, { ...sealed, subjectId: 'subject-2' })).toThrow(PersonalDataIntegrityError);
    expect(() => openPersonal(key, { ...sealed, eventId: 'event-2' })).toThrow(PersonalDataIntegrityError);
  });

  it('does not open under another key', () => {
    expect(() => openPersonal(newDataKey(), sealed)).toThrow(PersonalDataIntegrityError);
  });
});

describe('wrapped data keys', () => {
  const masterKey = randomBytes(32);
  const wrapped = wrapDataKey(keyEncryptionKey(masterKey), 'subject-1', key);

  it('unwrap under the same master key, for the same subject', () => {
    expect(unwrapDataKey(keyEncryptionKey(masterKey), 'subject-1', wrapped).equals(key)).toBe(true);
    expect(JSON.stringify(wrapped)).not.toContain(key.toString('base64'));
  });

  it('fail under another master key, or for another subject', () => {
    expect(() => unwrapDataKey(keyEncryptionKey(randomBytes(32)), 'subject-1', wrapped)).toThrow(PersonalDataIntegrityError);
    expect(() => unwrapDataKey(keyEncryptionKey(masterKey), 'subject-2', wrapped)).toThrow(PersonalDataIntegrityError);
  });

  it('are wrapped by a key unrelated to the NIK look-up key of the same master key', () => {
    expect(keyEncryptionKey(masterKey).equals(nikLookupKey(masterKey))).toBe(false);
  });
});
