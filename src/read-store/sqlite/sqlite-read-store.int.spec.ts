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

describe('sqlite documents read once (FindOptions.readOnly) and shared with the writes', () => {
  const file = join(dir, 'shared-views.sqlite');
  let store: SqliteReadStore;
  beforeEach(() => (store = new SqliteReadStore(file)));
  afterEach(() => store.close());

  const guarded = (id: string, position: number, value: string) =>
    ({ replaceOne: { filter: { _id: id, position: { $lt: position } }, replacement: { _id: id, position, value } } });

  it("answers and decides writes on the document as stored after another connection's write, not the one read before it", async () => {
    const items = store.collection('shared_items');
    await items.createIndex({ keys: { value: 1 } });
    await items.bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', position: 1, value: 'one' }, upsert: true } }]);
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', position: 1, value: 'one' }]);
    // Another process moves the document on.
    const other = new SqliteReadStore(file);
    try {
      await other.collection('shared_items').bulkWrite([guarded('a', 5, 'five')]);
    } finally {
      await other.close();
    }

    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', position: 5, value: 'five' }]);
    // Decided on position 5: a write older than it changes nothing.
    expect(await items.bulkWrite([guarded('a', 3, 'three')])).toMatchObject({ matched: 0, modified: 0 });
    expect(await items.find({ value: 'five' })).toHaveLength(1);
  });

  it("answers this connection's own writes, and nothing a failed call undid", async () => {
    const items = store.collection('own_items');
    await items.createIndex({ keys: { value: 1 }, unique: true });
    await items.bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', position: 1, value: 'one' }, upsert: true } }]);
    await items.bulkWrite([{ replaceOne: { filter: { _id: 'b' }, replacement: { _id: 'b', position: 1, value: 'taken' }, upsert: true } }]);
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toHaveLength(1);
    await items.bulkWrite([guarded('a', 2, 'two')]);
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', position: 2, value: 'two' }]);

    // The call moves `a` on and reads it again (a write whose filter it fails), then fails on the unique index: all undone.
    const clash = { replaceOne: { filter: { _id: 'c' }, replacement: { _id: 'c', position: 1, value: 'taken' }, upsert: true } };
    const failed = store.writeTogether([{ collection: 'own_items', operations: [guarded('a', 3, 'three'), guarded('a', 2, 'older'), clash] }]);
    await expect(failed).rejects.toBeInstanceOf(DuplicateKeyError);

    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', position: 2, value: 'two' }]);
    expect(await items.bulkWrite([guarded('a', 3, 'three')])).toMatchObject({ modified: 1 });
    expect(await items.find({ value: { $in: ['two', 'three', 'older'] } })).toEqual([{ _id: 'a', position: 3, value: 'three' }]);
  });

  it('answers what an update stored, as its JSON reads back, not the values it was given', async () => {
    const items = store.collection('updated_items');
    await items.bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', n: 1 }, upsert: true } }]);
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toHaveLength(1);
    await items.bulkWrite([{ updateOne: { filter: { _id: 'a' }, update: { $set: { at: new Date(0), gone: undefined, note: 'x' }, $inc: { n: 1 } } } }]);

    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', n: 2, at: '1970-01-01T00:00:00.000Z', note: 'x' }]);
    await items.bulkWrite([{ updateOne: { filter: { _id: 'a' }, update: { $set: { note: 'y' }, $inc: { n: 1 } } } }]);
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', n: 3, at: '1970-01-01T00:00:00.000Z', note: 'y' }]);
  });

  it('answers read-only documents frozen, and others as copies of their own', async () => {
    const items = store.collection('frozen_items');
    await items.bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', nested: { n: 1 } }, upsert: true } }]);
    const [shared] = await items.find({ _id: { $in: ['a'] } }, { readOnly: true });
    expect(() => ((shared!['nested'] as { n: number }).n = 2)).toThrow(TypeError);
    const [own] = await items.find({ _id: { $in: ['a'] } });
    (own!['nested'] as { n: number }).n = 2;
    expect(await items.find({ _id: { $in: ['a'] } }, { readOnly: true })).toEqual([{ _id: 'a', nested: { n: 1 } }]);
  });
});
