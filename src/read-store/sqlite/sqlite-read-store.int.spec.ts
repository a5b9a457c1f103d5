import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeReadStoreContract } from '../read-store.contract.js';
import { DuplicateKeyError } from '../read-store.port.js';
import { SqliteReadStore } from './sqlite-read-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rujukan-views-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeReadStoreContract('sqlite', async () => new SqliteReadStore(join(dir, 'views.sqlite')));

describe('sqlite read store: writeTogether', () => {
  let store: SqliteReadStore;
  beforeAll(() => {
    store = new SqliteReadStore(join(dir, 'together.sqlite'));
  });
  afterAll(() => store.close());

  it('applies nothing when a later write fails as a duplicate key (one transaction, as the port says)', async () => {
    await store.collection('checkpoints').bulkWrite([{ replaceOne: { filter: { _id: 'p' }, replacement: { _id: 'p', token: 2 }, upsert: true } }]);
    await expect(store.writeTogether([
      { collection: 'facts', operations: [{ replaceOne: { filter: { _id: 'f' }, replacement: { _id: 'f', n: 1 }, upsert: true } }] },
      // An upsert whose filter no longer matches the document with that id: refused as a duplicate key.
      { collection: 'checkpoints', operations: [{ updateOne: { filter: { _id: 'p', token: 1 }, update: { $set: { position: '9' } }, upsert: true } }] },
    ])).rejects.toBeInstanceOf(DuplicateKeyError);
    expect(await store.collection('facts').find({})).toEqual([]);
    expect(await store.collection('checkpoints').find({})).toEqual([{ _id: 'p', token: 2 }]);
  });
});
