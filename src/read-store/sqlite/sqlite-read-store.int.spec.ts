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

describe('sqlite writeTogether, several calls at once (a process running several projections)', () => {
  const file = join(dir, 'together-views.sqlite');
  let store: SqliteReadStore;
  beforeEach(() => (store = new SqliteReadStore(file)));
  afterEach(() => store.close());

  const put = (collection: string, id: string, value: number) =>
    ({ collection, operations: [{ replaceOne: { filter: { _id: id }, replacement: { _id: id, value }, upsert: true } }] });

  it('answers each call alone: one that fails leaves none of its writes, and the others are stored', async () => {
    await store.collection('unique_items').createIndexes([{ keys: { value: 1 }, unique: true }]);
    await store.collection('unique_items').bulkWrite([put('unique_items', 'taken', 7).operations[0]!]);
    const calls = [
      store.writeTogether([put('a_items', 'a1', 1), put('checkpoints', 'a', 1)]),
      // Its second write breaks the unique index: its first must be undone with it.
      store.writeTogether([put('b_items', 'b1', 2), put('unique_items', 'clash', 7), put('checkpoints', 'b', 2)]),
      store.writeTogether([put('c_items', 'c1', 3), put('checkpoints', 'c', 3)]),
    ];
    const [a, b, c] = await Promise.allSettled(calls);

    expect(a?.status).toBe('fulfilled');
    expect(c?.status).toBe('fulfilled');
    expect(b?.status === 'rejected' ? b.reason : b).toBeInstanceOf(DuplicateKeyError);
    expect(await store.collection('a_items').find({})).toEqual([{ _id: 'a1', value: 1 }]);
    expect(await store.collection('c_items').find({})).toEqual([{ _id: 'c1', value: 3 }]);
    expect(await store.collection('b_items').find({})).toEqual([]);
    expect(await store.collection('checkpoints').find({}, { sort: { _id: 1 } })).toEqual([{ _id: 'a', value: 1 }, { _id: 'c', value: 3 }]);
    // Another connection (another process) sees the same.
    const other = new SqliteReadStore(file);
    try {
      expect(await other.collection('checkpoints').countDocuments({})).toBe(2);
      expect(await other.collection('unique_items').find({})).toEqual([{ _id: 'taken', value: 7 }]);
    } finally {
      await other.close();
    }
  });

  it('stores what was waiting when the store is closed', async () => {
    const waiting = store.writeTogether([put('late_items', 'x', 1)]);
    await store.close();
    await expect(waiting).resolves.toHaveLength(1);
    store = new SqliteReadStore(file);
    expect(await store.collection('late_items').find({})).toEqual([{ _id: 'x', value: 1 }]);
  });
});
