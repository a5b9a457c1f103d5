import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeReadStoreContract } from '../read-store.contract.js';
import { DuplicateKeyError } from '../read-store.port.js';
import { SqliteReadStore } from './sqlite-read-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rujukan-views-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeReadStoreContract('sqlite', async () => new SqliteReadStore(join(dir, 'views.sqlite')));

describe('sqlite scratch store', () => {
  const file = join(dir, 'scratch-views.sqlite');
  let live: SqliteReadStore;
  beforeEach(() => (live = new SqliteReadStore(file)));
  afterEach(() => live.close());
  const files = () => readdirSync(dir).filter((name) => name.startsWith('scratch-views.sqlite.scratch-'));

  it('moves its collections in, indexes and all, replacing their namesakes, with the writes given, and leaves no file behind', async () => {
    await live.collection('items').bulkWrite([{ replaceOne: { filter: { _id: 'old' }, replacement: { _id: 'old', n: 0 }, upsert: true } }]);
    const scratch = await live.scratch();
    const items = scratch.collection('items');
    await items.bulkWrite(['c', 'a', 'b'].map((id, n) => ({ replaceOne: { filter: { _id: id }, replacement: { _id: id, n, kind: 'x' }, upsert: true } })));
    await items.createIndexes([{ keys: { n: -1 } }, { keys: { kind: 1, n: 1 }, unique: true }]);
    await scratch.moveOut(['items', 'never_written'], [{ collection: 'checkpoints', operations: [{ replaceOne: { filter: { _id: 'p' }, replacement: { _id: 'p', position: '3' }, upsert: true } }] }]);
    await scratch.close();

    expect(files()).toEqual([]);
    expect(await live.collection('items').find({}, { sort: { n: -1 } })).toEqual([{ _id: 'b', n: 2, kind: 'x' }, { _id: 'a', n: 1, kind: 'x' }, { _id: 'c', n: 0, kind: 'x' }]);
    expect(await live.collection('items').countDocuments({ n: { $gte: 1 } })).toBe(2);
    await expect(live.collection('items').bulkWrite([{ replaceOne: { filter: { _id: 'd' }, replacement: { _id: 'd', n: 1, kind: 'x' }, upsert: true } }])).rejects.toThrow(DuplicateKeyError);
    expect(await live.collection('checkpoints').findOne({ _id: 'p' })).toEqual({ _id: 'p', position: '3' });
    expect(await live.listCollections()).toEqual(['checkpoints', 'items']);
  });

  it('removes what a process that is gone left behind (a crash mid-build), not what a running one is building', async () => {
    const building = await live.scratch();
    const left = join(dir, 'scratch-views.sqlite.scratch-999999999-deadbeef');
    writeFileSync(left, '');
    const other = await live.scratch();
    expect(files()).toHaveLength(2);
    await Promise.all([building.close(), other.close()]);
    expect(files()).toEqual([]);
  });
});
