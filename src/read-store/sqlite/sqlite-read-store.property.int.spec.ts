/**
 * The SQLite read store answers from its index tables exactly what mingo, the reference semantics, answers
 * over the same documents: for random documents (scalars of every type, nulls, missing fields, arrays,
 * objects, nested paths), random indexes, random writes (replacements, updates, deletions) and random
 * queries (equalities, $in, ranges, $ne, $exists, $or, sorts, skips, limits, keyset pages and counts).
 * Strings are ASCII here: beyond the Basic Multilingual Plane SQLite orders strings by UTF-8 bytes, as
 * MongoDB does, and mingo by UTF-16 code units.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Query, update as applyUpdate } from 'mingo';
import { InvalidCursorError, findPage } from '../pagination.js';
import { afterFilter, type Document, type Filter, type IndexSpec, type SortSpec, type UpdateOperators } from '../read-store.port.js';
import { SqliteReadStore } from './sqlite-read-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rujukan-indexed-'));
const store = new SqliteReadStore(join(dir, 'views.sqlite'));
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const FIELDS = ['a', 'b', 'tags', 'nested.c'] as const;
const text = fc.constantFrom('', 'a', 'ab', 'b', 'B', 'z', '10', '9');
const number = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, -1.5, 1e6));
const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null));
const array = fc.array(fc.oneof(text, number), { minLength: 1, maxLength: 3 });
/** What a view holds: scalars, nulls, missing fields, arrays of scalars (multikey). */
const regular = fc.oneof({ weight: 8, arbitrary: scalar }, { weight: 1, arbitrary: array });
/** Also what no index row can stand for, which turns the index off while it is there. */
const irregular = fc.oneof({ weight: 6, arbitrary: regular }, { weight: 1, arbitrary: fc.constantFrom({ x: 1 }, [], [[1]], [{ x: 'a' }]) });
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 4 });

const body = (value: fc.Arbitrary<unknown>) => fc.record({
  a: maybe(value),
  b: maybe(fc.oneof({ weight: 6, arbitrary: fc.oneof(text, number) }, { weight: 1, arbitrary: value })),
  tags: maybe(fc.oneof({ weight: 6, arbitrary: array }, { weight: 1, arbitrary: value })),
  nested: maybe(fc.oneof({ weight: 6, arbitrary: fc.record({ c: maybe(value) }) }, { weight: 1, arbitrary: value })),
}, { requiredKeys: [] });
const ids = fc.constantFrom('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'D', 'e');

const clean = (document: Record<string, unknown>): Document =>
  JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(document).filter(([, field]) => field !== undefined)))) as Document;

type Write =
  | { readonly kind: 'put'; readonly id: string; readonly body: Record<string, unknown> }
  | { readonly kind: 'set'; readonly id: string; readonly field: string; readonly value: unknown; readonly guard?: Filter; readonly inc?: { readonly field: string; readonly amount: number } }
  | { readonly kind: 'delete'; readonly id: string };

const guard = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Filter> => fc.record({
  field: fc.constantFrom(...FIELDS), operator: fc.constantFrom('$lt', '$lte', '$gt', '$eq', '$in'), value, negated: fc.boolean(),
}).map(({ field, operator, value: operand, negated }) => {
  const test = { [operator]: operator === '$in' ? [operand] : operand };
  // Negated as the fence of every projection write is: `{ _fence: { $not: { $gt: token } } }`.
  return { [field]: negated ? { $not: test } : test };
});

const increment = fc.record({ field: fc.constantFrom('a', 'b', 'n'), amount: fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(0.5, 1e300)) });

const writes = (value: fc.Arbitrary<unknown>) => fc.array<Write>(fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), id: ids, body: body(value) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), id: ids, field: fc.constantFrom(...FIELDS), value }) },
  // A guarded write, as projections make them: only if the document's field is still below (or at) a value.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), id: ids, field: fc.constantFrom(...FIELDS), value, guard: guard(value) }) },
  // With an increment of another field (a lease's renewal), whatever that field holds.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), id: ids, field: fc.constantFrom(...FIELDS), value, inc: increment }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), id: ids }) },
), { minLength: 1, maxLength: 30 });

const field = fc.constantFrom(...FIELDS, '_id');
const condition: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field, value: scalar }).map(({ field: name, value: operand }) => ({ [name]: operand })),
  fc.record({ field, values: fc.array(scalar, { maxLength: 3 }) }).map(({ field: name, values }) => ({ [name]: { $in: values } })),
  fc.record({ field, operator: fc.constantFrom('$gt', '$gte', '$lt', '$lte'), value: scalar }).map(({ field: name, operator, value: operand }) => ({ [name]: { [operator]: operand } })),
  fc.record({ field, low: fc.oneof(text, number), high: fc.oneof(text, number) }).map(({ field: name, low, high }) => ({ [name]: { $gte: low, $lt: high } })),
  fc.record({ field, value: scalar }).map(({ field: name, value: operand }) => ({ [name]: { $ne: operand } })),
  fc.record({ field, operator: fc.constantFrom('$gt', '$gte', '$lt', '$lte'), value: scalar }).map(({ field: name, operator, value: operand }) => ({ [name]: { $not: { [operator]: operand } } })),
  fc.record({ field, exists: fc.boolean() }).map(({ field: name, exists }) => ({ [name]: { $exists: exists } })),
);
const filter: fc.Arbitrary<Filter> = fc.oneof(
  { weight: 4, arbitrary: fc.array(condition, { maxLength: 3 }).map((conditions) => (conditions.length === 0 ? {} : { $and: conditions })) },
  { weight: 1, arbitrary: fc.record({ any: fc.array(condition, { minLength: 1, maxLength: 3 }), also: fc.array(condition, { maxLength: 1 }) }).map(({ any, also }) => ({ $and: [{ $or: any }, ...also] })) },
);
const sort: fc.Arbitrary<SortSpec> = fc.record({
  keys: fc.uniqueArray(fc.constantFrom('a', 'b', 'nested.c'), { maxLength: 2 }),
  directions: fc.array(fc.constantFrom(1 as const, -1 as const), { minLength: 3, maxLength: 3 }),
}).map(({ keys, directions }) => Object.fromEntries([...keys.map((key, index) => [key, directions[index]!]), ['_id', directions[2]!]]) as SortSpec);
const index: fc.Arbitrary<IndexSpec> = fc.constantFrom<IndexSpec>(
  { keys: { a: 1 } }, { keys: { b: -1 } }, { keys: { tags: 1 } }, { keys: { 'nested.c': 1 } },
  { keys: { a: 1, b: -1 } }, { keys: { b: 1, a: 1 } }, { keys: { tags: 1, b: -1 } }, { keys: { a: -1, 'nested.c': 1 } },
);

/** What mingo answers over the reference documents. */
function reference(documents: readonly Document[], query: Filter, options: { sort: SortSpec; skip?: number; limit?: number }): Document[] {
  let cursor = new Query(query).find<Document>([...documents]).sort(options.sort);
  if (options.skip) cursor = cursor.skip(options.skip);
  if (options.limit) cursor = cursor.limit(options.limit);
  return cursor.all();
}

let run = 0;

describe('SQLite read store: indexed answers equal the reference semantics (mingo)', () => {
  it('for random documents, indexes, writes and queries', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(index, { maxLength: 3, selector: (spec) => JSON.stringify(spec.keys) }),
      fc.oneof({ weight: 3, arbitrary: writes(regular) }, { weight: 1, arbitrary: writes(irregular) }),
      fc.boolean(),
      fc.array(fc.record({ filter, sort, skip: fc.nat(3), limit: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 4 }),
      async (indexes, writes, indexFirst, queries) => {
        const collection = store.collection(`p_${run++}`);
        const documents = new Map<string, Document>();
        // Indexes made before the documents are kept in step by each write; made after, they are filled from what is there.
        if (indexFirst) for (const spec of indexes) await collection.createIndex(spec);
        for (const change of writes) {
          if (change.kind === 'put') {
            const document = clean({ ...change.body, _id: change.id });
            documents.set(change.id, document);
            await collection.bulkWrite([{ replaceOne: { filter: { _id: change.id }, replacement: document, upsert: true } }]);
          } else if (change.kind === 'set') {
            const update: UpdateOperators = change.inc && change.inc.field !== change.field
              ? { $set: { [change.field]: change.value }, $inc: { [change.inc.field]: change.inc.amount } }
              : { $set: { [change.field]: change.value } };
            const existing = documents.get(change.id);
            const filter = { _id: change.id, ...change.guard };
            if (existing && new Query(filter).test(existing)) {
              const changed = structuredClone(existing) as Record<string, unknown>;
              applyUpdate(changed, update);
              documents.set(change.id, changed as Document);
            }
            await collection.bulkWrite([{ updateOne: { filter, update } }]);
          } else {
            documents.delete(change.id);
            await collection.bulkWrite([{ deleteOne: { filter: { _id: change.id } } }]);
          }
        }
        // Made after, all at once: filled in one pass over the documents (as a rebuild's bulk load does).
        if (!indexFirst) await collection.createIndexes(indexes);
        const all = [...documents.values()];
        const ids = (found: readonly Document[]) => found.map((document) => document._id);
        for (const query of queries) {
          expect(await collection.find(query.filter, { sort: query.sort, skip: query.skip, limit: query.limit })).toEqual(reference(all, query.filter, query));
          // Without a sort: in id order.
          expect(await collection.find(query.filter, { skip: query.skip, limit: query.limit })).toEqual(reference(all, query.filter, { sort: { _id: 1 }, skip: query.skip, limit: query.limit }));
          expect(await collection.countDocuments(query.filter)).toBe(reference(all, query.filter, { sort: { _id: 1 } }).length);
          // Every keyset page, the cursor read by the reference as what it means (a filter).
          let cursor: string | null = null;
          let after: unknown[] | null = null;
          let pages = 0;
          do {
            const expected = reference(all, after ? { $and: [query.filter, afterFilter(query.sort, after)] } : query.filter, { sort: query.sort, limit: query.limit });
            const page: Awaited<ReturnType<typeof findPage>> = await findPage(collection, query.filter, { sort: query.sort, limit: query.limit, cursor });
            expect(ids(page.items)).toEqual(ids(expected));
            const last = page.items[page.items.length - 1];
            // What the cursor holds: each sort key's value, as JSON (a missing one reads as null).
            after = last ? JSON.parse(JSON.stringify(Object.keys(query.sort).map((key) => key.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], last) ?? null))) as unknown[] : null;
            cursor = page.nextCursor;
            // A cursor past a sort key holding an array or object is refused (keyset cursors hold scalars only).
            if (cursor && after!.some((part) => typeof part === 'object' && part !== null)) {
              await expect(findPage(collection, query.filter, { sort: query.sort, limit: query.limit, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
              break;
            }
          } while (cursor && ++pages <= all.length);
        }
        await collection.drop();
      },
    ), { numRuns: 600 });
  });

  // A bulk load's indexes are filled at once, mostly by SQLite reading the documents' JSON: the rows must be
  // exactly those each write keeps (indexRows), for any value, also those SQLite cannot decode as JavaScript does.
  it('fills an index at once with exactly the rows each write keeps', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('a\\u0041', 'x"y', 'é', '\ud800', '\u0000'),
      fc.integer(), fc.double(), fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1e21, -0, 0.1),
      fc.boolean(), fc.constant(null), fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 2 })), { maxLength: 3 }), fc.constantFrom({ x: 1 }, [[1]], [{ x: 'a' }]),
    );
    const documentBody = fc.record({
      a: maybe(value), 'b-c': maybe(value), constructor: maybe(value),
      nested: maybe(fc.oneof({ weight: 4, arbitrary: fc.record({ c: maybe(value) }, { requiredKeys: [] }) }, { weight: 1, arbitrary: value })),
    }, { requiredKeys: [] });
    const indexes: IndexSpec[] = [{ keys: { a: 1 } }, { keys: { 'nested.c': -1, a: 1 } }, { keys: Object.fromEntries([['constructor', 1]]) }, { keys: { 'b-c': 1, a: -1 } }];
    const rows = (collection: string) => (store.db.prepare('SELECT name FROM read_store_indexes WHERE collection = ? ORDER BY keys').pluck().all(collection) as string[])
      .map((name) => {
        const columns = (store.db.prepare(`SELECT name FROM pragma_table_info('${name}')`).pluck().all() as string[]).map((column) => `quote(${column})`);
        return store.db.prepare(`SELECT ${columns.join(', ')} FROM "${name}" ORDER BY ${columns.join(', ')}`).raw().all();
      });
    await fc.assert(fc.asyncProperty(fc.array(documentBody, { minLength: 1, maxLength: 12 }), async (bodies) => {
      const kept = store.collection(`kept_${run}`);
      const filled = store.collection(`filled_${run++}`);
      await kept.createIndexes(indexes);
      const writes = bodies.map((document, at) => ({ replaceOne: { filter: { _id: `d${at}` }, replacement: clean({ ...document, _id: `d${at}` }), upsert: true } }));
      await kept.bulkWrite(writes);
      await filled.bulkWrite(writes);
      await filled.createIndexes(indexes);
      expect(rows(filled.name)).toEqual(rows(kept.name));
      await Promise.all([kept.drop(), filled.drop()]);
    }), { numRuns: 300 });
  });
});
