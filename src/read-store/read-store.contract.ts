/**
 * The read-store contract: every adapter (the embedded SQLite twin, MongoDB, FerretDB in tests) must pass
 * it, so projection code written against the port behaves the same on each.
 */
import { randomUUID } from 'node:crypto';
import { findPage } from './pagination.js';
import { DuplicateKeyError, type Document, type ReadStore } from './read-store.port.js';

interface Item extends Document {
  readonly _id: string;
  readonly kind?: string;
  readonly n?: number;
  readonly tags?: string[];
  readonly nested?: { readonly region?: string };
  readonly lastPosition?: number;
  readonly count?: number;
}

export function describeReadStoreContract(name: string, open: () => Promise<ReadStore>): void {
  describe(`read store contract: ${name}`, () => {
    let store: ReadStore;
    let collectionName: string;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(() => store.close());
    beforeEach(() => {
      collectionName = `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });
    afterEach(() => store.collection(collectionName).drop());

    const items = () => store.collection<Item>(collectionName);
    const insert = (...documents: Item[]) =>
      items().bulkWrite(documents.map((document) => ({ replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } })));

    it('finds by equality, range, $in, $or and dotted paths, sorted, skipped and limited', async () => {
      await insert(
        { _id: 'a', kind: 'x', n: 3, nested: { region: '33.71.01' }, tags: ['p'] },
        { _id: 'b', kind: 'y', n: 1, nested: { region: '33.71.02' }, tags: ['q'] },
        { _id: 'c', kind: 'x', n: 2, nested: { region: '33.71.01' }, tags: ['p', 'q'] },
        { _id: 'd', kind: 'z', n: 5 },
      );
      const ids = (documents: Item[]) => documents.map((document) => document._id);
      expect(ids(await items().find({ kind: 'x' }, { sort: { n: 1 } }))).toEqual(['c', 'a']);
      expect(ids(await items().find({ n: { $gte: 2, $lt: 5 } }, { sort: { n: -1 } }))).toEqual(['a', 'c']);
      expect(ids(await items().find({ kind: { $in: ['y', 'z'] } }, { sort: { _id: 1 } }))).toEqual(['b', 'd']);
      expect(ids(await items().find({ $or: [{ kind: 'z' }, { n: 1 }] }, { sort: { _id: -1 } }))).toEqual(['d', 'b']);
      expect(ids(await items().find({ 'nested.region': '33.71.01' }, { sort: { _id: 1 } }))).toEqual(['a', 'c']);
      expect(ids(await items().find({ tags: 'q' }, { sort: { _id: 1 } }))).toEqual(['b', 'c']);
      expect(ids(await items().find({}, { sort: { n: 1 }, skip: 1, limit: 2 }))).toEqual(['c', 'a']);
      expect(await items().countDocuments({ kind: 'x' })).toBe(2);
      expect(await items().countDocuments()).toBe(4);
      expect(await items().findOne({ _id: 'b' })).toEqual({ _id: 'b', kind: 'y', n: 1, nested: { region: '33.71.02' }, tags: ['q'] });
      expect(await items().findOne({ _id: 'nope' })).toBeNull();
    });

    it('matches an array field holding the value by equality, also when the field is indexed', async () => {
      await items().createIndex({ keys: { tags: 1 } });
      await insert({ _id: 'a', tags: ['p', 'q'] }, { _id: 'b', tags: ['q'] }, { _id: 'c', tags: ['r'] }, { _id: 'd' });
      expect((await items().find({ tags: 'q' }, { sort: { _id: 1 } })).map((document) => document._id)).toEqual(['a', 'b']);
      expect(await items().countDocuments({ tags: 'r' })).toBe(1);
    });

    it('reads an unknown collection as empty', async () => {
      expect(await items().find({})).toEqual([]);
      expect(await items().countDocuments({})).toBe(0);
    });

    it('upserts with $setOnInsert, $set and $inc, then applies a guarded update only for a newer position', async () => {
      const touch = (position: number) => items().bulkWrite([
        { updateOne: { filter: { _id: 'counter' }, update: { $setOnInsert: { kind: 'cell', count: 0, lastPosition: 0 } }, upsert: true } },
        { updateOne: { filter: { _id: 'counter', lastPosition: { $lt: position } }, update: { $inc: { count: 1 }, $set: { lastPosition: position } } } },
      ]);
      const first = await touch(10);
      expect(first.upserted).toBe(1);
      await touch(11);
      await touch(11);
      await touch(10);
      expect(await items().findOne({ _id: 'counter' })).toEqual({ _id: 'counter', kind: 'cell', count: 2, lastPosition: 11 });
    });

    it('replaces and deletes one document', async () => {
      await insert({ _id: 'a', kind: 'x', n: 1 });
      const replaced = await items().bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', kind: 'y' } } }]);
      expect(replaced.modified).toBe(1);
      expect(await items().findOne({ _id: 'a' })).toEqual({ _id: 'a', kind: 'y' });
      const deleted = await items().bulkWrite([{ deleteOne: { filter: { _id: 'a' } } }, { deleteOne: { filter: { _id: 'missing' } } }]);
      expect(deleted.deleted).toBe(1);
      expect(await items().countDocuments()).toBe(0);
    });

    it('updates nested fields, $unset, $max, $push and $pull', async () => {
      await insert({ _id: 'a', n: 1, tags: ['p'], nested: { region: 'r1' } });
      await items().bulkWrite([{ updateOne: { filter: { _id: 'a' }, update: { $set: { 'nested.region': 'r2' }, $unset: { n: '' }, $max: { count: 4 }, $push: { tags: 'q' } } } }]);
      await items().bulkWrite([{ updateOne: { filter: { _id: 'a' }, update: { $max: { count: 2 }, $pull: { tags: 'p' } } } }]);
      expect(await items().findOne({ _id: 'a' })).toEqual({ _id: 'a', tags: ['q'], nested: { region: 'r2' }, count: 4 });
    });

    it('enforces a unique index, stopping an ordered bulk write at the first duplicate', async () => {
      await items().createIndex({ keys: { kind: 1 }, unique: true });
      await insert({ _id: 'a', kind: 'x' });
      await expect(items().bulkWrite([
        { replaceOne: { filter: { _id: 'b' }, replacement: { _id: 'b', kind: 'y' }, upsert: true } },
        { replaceOne: { filter: { _id: 'c' }, replacement: { _id: 'c', kind: 'x' }, upsert: true } },
        { replaceOne: { filter: { _id: 'd' }, replacement: { _id: 'd', kind: 'w' }, upsert: true } },
      ])).rejects.toBeInstanceOf(DuplicateKeyError);
      expect((await items().find({}, { sort: { _id: 1 } })).map((document) => document._id)).toEqual(['a', 'b']);
    });

    it('pages with a keyset cursor that neither repeats nor skips while documents arrive', async () => {
      await insert(...['a', 'b', 'c', 'd', 'e'].map((id, index) => ({ _id: id, n: index % 2 })));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof findPage<Item>>> = await findPage(items(), {}, { sort: { n: 1 }, limit: 2, cursor });
        seen.push(...page.items.map((item) => item._id));
        cursor = page.nextCursor;
        // A newcomer that sorts before the cursor must not shift the next page.
        if (seen.length === 2) await insert({ _id: '0', n: 0 });
      } while (cursor);
      expect(seen).toEqual(['a', 'c', 'e', 'b', 'd']);
    });

    it('writes to several collections in one call, in order', async () => {
      const other = `${collectionName}_b`;
      await store.writeTogether([
        { collection: collectionName, operations: [{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', n: 1 }, upsert: true } }] },
        { collection: other, operations: [{ updateOne: { filter: { _id: 'p' }, update: { $setOnInsert: { count: 0 }, $inc: { n: 2 } }, upsert: true } }] },
        { collection: collectionName, operations: [{ updateOne: { filter: { _id: 'a', n: { $lt: 2 } }, update: { $inc: { n: 5 } } } }] },
      ]);
      expect(await items().find({})).toEqual([{ _id: 'a', n: 6 }]);
      expect(await store.collection(other).find({})).toEqual([{ _id: 'p', count: 0, n: 2 }]);
      await store.collection(other).drop();
    });

    it('writes several collections all or nothing where it says so, else in order up to the failure', async () => {
      const other = `${collectionName}_b`;
      await store.collection(other).bulkWrite([{ replaceOne: { filter: { _id: 'p' }, replacement: { _id: 'p', token: 2 }, upsert: true } }]);
      await expect(store.writeTogether([
        { collection: collectionName, operations: [{ replaceOne: { filter: { _id: 'f' }, replacement: { _id: 'f', n: 1 }, upsert: true } }] },
        // An upsert whose filter no longer matches the document with that id: refused as a duplicate key.
        { collection: other, operations: [{ updateOne: { filter: { _id: 'p', token: 1 }, update: { $set: { position: '9' } }, upsert: true } }] },
      ])).rejects.toBeInstanceOf(DuplicateKeyError);
      expect(await items().find({})).toEqual(store.writesTogetherAtomically ? [] : [{ _id: 'f', n: 1 }]);
      expect(await store.collection(other).find({})).toEqual([{ _id: 'p', token: 2 }]);
      await store.collection(other).drop();
    });

    it('renames a collection over another, and lists collections', async () => {
      const target = `${collectionName}_live`;
      await insert({ _id: 'new' });
      await store.collection(target).bulkWrite([{ replaceOne: { filter: { _id: 'old' }, replacement: { _id: 'old' }, upsert: true } }]);
      await store.renameCollection(collectionName, target);
      expect(await store.collection(target).find({})).toEqual([{ _id: 'new' }]);
      const names = await store.listCollections();
      expect(names).toContain(target);
      expect(names).not.toContain(collectionName);
      await store.collection(target).drop();
    });

    it('renames a collection never written (an empty view) over another: the other is then empty', async () => {
      const target = `${collectionName}_live`;
      await store.collection(target).bulkWrite([{ replaceOne: { filter: { _id: 'old' }, replacement: { _id: 'old' }, upsert: true } }]);
      await store.renameCollection(`${collectionName}_never`, target);
      expect(await store.collection(target).find({})).toEqual([]);
      expect(await store.listCollections()).not.toContain(`${collectionName}_never`);
      await store.collection(target).drop();
    });
  });
}
