/**
 * Copying the subject keys into another read store (embedded, and a MongoDB-protocol server when one is
 * reachable): each key once, erasure winning both ways, a differing key reported and left alone; and a case
 * opened through the app on the embedded stores still opens through the copied keys.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETWORK, OWNER } from '../../test/support/demo.js';
import { describeWithServer, mongoForSpecs } from '../../test/support/servers.js';
import { SAMPLE_NIK, TestApp } from '../../test/support/test-app.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { isSealedPersonal } from '../privacy/personal-data.crypto.js';
import { SUBJECT_KEYS, SubjectKeyStore } from '../privacy/subject-key.store.js';
import { MongoReadStore } from '../read-store/mongodb/mongodb-read-store.js';
import { READ_STORE, type ReadStore } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { migrateSubjectKeys } from './migrate-subject-keys.js';

const ERASED_AT = '2026-11-02T08:00:00.000Z';
const masterKey = randomBytes(32);
const server = mongoForSpecs();

interface Target {
  readonly store: ReadStore;
  dispose(): Promise<void>;
}

function describeKeyMigration(name: string, openTarget: (dir: string) => Promise<Target>): void {
  describe(`migrating the subject keys into ${name}`, () => {
    let dir: string;
    let source: ReadStore;
    let target: ReadStore;
    let disposeTarget: () => Promise<void>;
    const keysIn = (store: ReadStore) => store.collection(SUBJECT_KEYS).find({}, { sort: { _id: 1 } });
    const keyStore = (store: ReadStore) => new SubjectKeyStore(store, { masterKey });

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'rujukan-migrate-keys-'));
      source = new SqliteReadStore(join(dir, 'views.sqlite'));
      ({ store: target, dispose: disposeTarget } = await openTarget(dir));
      const keys = keyStore(source);
      for (const subjectId of ['s1', 's2', 's3']) await keys.findOrCreate(subjectId);
      await keys.erase('s3', ERASED_AT);
    });

    afterEach(async () => {
      await Promise.all([source.close(), disposeTarget()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('copies every key and tombstone once, with progress; a rerun copies nothing', async () => {
      const progress: unknown[] = [];
      expect(await migrateSubjectKeys(source, target, (step) => progress.push(step)))
        .toEqual({ copied: 2, tombstones: 1, alreadyThere: 0, conflicts: 0, conflictingSubjects: [] });
      expect(progress.at(-1)).toEqual({ done: 3, total: 3 });
      expect(await keysIn(target)).toEqual(await keysIn(source));

      expect(await migrateSubjectKeys(source, target)).toEqual({ copied: 0, tombstones: 0, alreadyThere: 3, conflicts: 0, conflictingSubjects: [] });
      expect(await keysIn(target)).toEqual(await keysIn(source));
    });

    it('replaces a target key by the tombstone of a subject erased in the source', async () => {
      await migrateSubjectKeys(source, target);
      await keyStore(source).erase('s1', ERASED_AT);
      expect(await migrateSubjectKeys(source, target)).toMatchObject({ tombstones: 1, alreadyThere: 2 });
      expect(await target.collection(SUBJECT_KEYS).findOne({ _id: 's1' })).toEqual({ _id: 's1', erasedAt: ERASED_AT });
    });

    it('never puts a source key over a tombstone in the target', async () => {
      await keyStore(target).erase('s1', ERASED_AT);
      expect(await migrateSubjectKeys(source, target)).toMatchObject({ copied: 1, tombstones: 1, alreadyThere: 1, conflicts: 0 });
      expect(await target.collection(SUBJECT_KEYS).findOne({ _id: 's1' })).toEqual({ _id: 's1', erasedAt: ERASED_AT });
    });

    it('reports a differing target key as a conflict and leaves it as it is', async () => {
      await keyStore(target).findOrCreate('s2');
      const theirs = await target.collection(SUBJECT_KEYS).findOne({ _id: 's2' });
      expect(await migrateSubjectKeys(source, target)).toEqual({ copied: 1, tombstones: 1, alreadyThere: 0, conflicts: 1, conflictingSubjects: ['s2'] });
      expect(await target.collection(SUBJECT_KEYS).findOne({ _id: 's2' })).toEqual(theirs);
    });

    it("opens a case's personal data, sealed by the app on the embedded stores, through the copied keys", async () => {
      const t = await TestApp.start();
      try {
        const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
        const subject = { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008' };
        const opened = await t.post('/cases', owner, { networkId: NETWORK, subject, categories: ['PPKS-08'], urgency: 'high', description: 'Butuh pendamping' });
        const [event] = await t.stream(`case-${opened.body.id}`);
        const personal = (event!.data as { personal?: unknown }).personal;
        if (!isSealedPersonal(personal)) throw new Error('the case was opened without sealed personal data');

        await migrateSubjectKeys(t.app.get<ReadStore>(READ_STORE), target);

        const cipher = new PersonalDataCipher(new SubjectKeyStore(target, t.config));
        expect(await cipher.openEvent({ userId: 'test-auditor', role: 'auditor' }, personal.subjectId, event!))
          .toEqual({ erased: false, value: { subject: { name: 'Siti Aminah', nik: SAMPLE_NIK }, description: 'Butuh pendamping' } });
      } finally {
        await t.stop();
      }
    });
  });
}

describeKeyMigration('an embedded read store', async (dir) => {
  const store = new SqliteReadStore(join(dir, 'target.sqlite'));
  return { store, dispose: () => store.close() };
});

describeWithServer('subject keys into a MongoDB-protocol server', server.skipReason, () => {
  // Each spec in its own database, dropped afterwards.
  describeKeyMigration(`mongodb (${server.url})`, async () => {
    const store = await MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`);
    return { store, dispose: async () => { await store.dropDatabase(); await store.close(); } };
  });
});
