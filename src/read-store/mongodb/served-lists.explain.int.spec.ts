/**
 * Every list the API serves narrows on an index on MongoDB: the queries are recorded as the query classes
 * build them (every role's case list and filter, inboxes and outboxes, timelines, the directory, the
 * expiry sweep, next pages included), then explained on the projections' collections with their declared
 * indexes. On MongoDB the winning plan must scan an index and never the collection. FerretDB 1.24 (the
 * stand-in here) cannot show that: its explain gives its SQLite backend's plan, a scan of the collection's
 * table for these queries (it creates the indexes but does not plan with them). There the spec checks what
 * it can, that each recorded query has a declared index whose keys it narrows on or is ordered by, and
 * says in the run, with what FerretDB's explain showed, that the plan check needs MongoDB. (The SQLite
 * twin's plans are checked by its property test and the list benchmark.)
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { describeWithServer, mongoForSpecs, mongoIsFerretDb } from '../../../test/support/servers.js';
import type { Actor } from '../../core/actor.js';
import { afterFilter, type Document, type Filter, type FindOptions, type ReadCollection, type ReadStore } from '../read-store.port.js';
import { CaseSummariesQuery } from '../../projections/case-summaries/case-summaries.query.js';
import { DirectoryQuery } from '../../projections/directory/directory.query.js';
import { PROJECTIONS } from '../../projections/projections.service.js';
import { MongoReadStore } from './mongodb-read-store.js';

const server = mongoForSpecs();

interface Recorded {
  readonly label: string;
  readonly collection: string;
  readonly filter: Filter;
  readonly options: FindOptions;
}

/** A read store that answers every find with one made-up document (so pages have a next cursor) and records the query. */
function recordingStore(recorded: Recorded[], label: () => string): ReadStore {
  const collection = <T extends Document>(name: string): ReadCollection<T> => ({
    name,
    find: async (filter = {}, options = {}) => {
      recorded.push({ label: label(), collection: name, filter, options });
      const sample = { _id: 'x', openedAt: '2026-01-01T00:00:00.000Z', active: true, dueAt: '2026-01-02T00:00:00.000Z', name: 'x', revision: 1 };
      return Array.from({ length: (options.limit ?? 1) }, () => sample) as unknown as T[];
    },
    findOne: async () => null,
    countDocuments: async () => 0,
    bulkWrite: async () => ({ matched: 0, modified: 0, upserted: 0, deleted: 0 }),
    createIndex: async () => {},
    createIndexes: async () => {},
    drop: async () => {},
  });
  return { writesTogetherAtomically: false, collection, writeTogether: async () => [], renameCollection: async () => {}, listCollections: async () => [], close: async () => {} };
}

/** The queries behind every list route, as the query classes build them, first pages and next ones. */
async function servedQueries(): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  let current = '';
  const views = recordingStore(recorded, () => current);
  const cases = new CaseSummariesQuery(views);
  const directory = new DirectoryQuery(views);
  const pages = async (label: string, read: (cursor: string | null) => Promise<{ nextCursor: string | null }>) => {
    current = label;
    const first = await read(null);
    current = `${label}, next page`;
    await read(first.nextCursor);
  };
  const page = (cursor: string | null) => ({ cursor, limit: 20 });
  const actors: Record<string, Actor> = {
    caseworker: { userId: 'u', role: 'caseworker', institutionId: 'i1' },
    coordinator: { userId: 'u', role: 'coordinator', networkId: 'n1' },
    dinsos: { userId: 'u', role: 'dinsos' },
    'dinsos of an institution': { userId: 'u', role: 'dinsos', institutionId: 'i2' },
  };
  for (const [role, actor] of Object.entries(actors)) {
    for (const [name, filters] of Object.entries({ '': {}, status: { status: 'open' as const }, category: { category: 'PPKS-08' }, region: { regionCode: '33.71' }, institution: { institutionId: 'i3' }, network: { networkId: 'n2' } })) {
      await pages(`GET /cases as ${role}${name ? ` by ${name}` : ''}`, (cursor) => cases.listCases(actor, filters, page(cursor)));
    }
  }
  const now = new Date('2026-01-01T00:00:00.000Z');
  for (const box of ['inbox', 'outbox'] as const) {
    for (const [name, filters] of Object.entries({ '': {}, status: { status: 'requested' }, overdue: { overdue: true }, 'not overdue': { overdue: false } })) {
      await pages(`GET /institutions/:id/${box}${name ? ` (${name})` : ''}`, (cursor) => cases.referrals(box, 'i1', filters, page(cursor), now));
    }
  }
  await pages('GET /cases/:id/timeline', (cursor) => cases.timeline('c1', page(cursor)));
  for (const [name, filters] of Object.entries({ '': {}, kind: { kind: 'rw' }, category: { category: 'PPKS-08' }, region: { regionCode: '33.71' }, network: { networkId: 'n1' } })) {
    await pages(`GET /institutions${name ? ` by ${name}` : ''}`, (cursor) => directory.institutions(filters, page(cursor)));
  }
  await pages('GET /networks', (cursor) => directory.networks(page(cursor)));
  current = "a subject's cases (access report, erasure)";
  await cases.subjectCases('s1');
  return recorded;
}

/** Every stage name in an explain's winning plan, however the server nests them. */
function stages(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(stages);
  if (typeof plan !== 'object' || plan === null) return [];
  return Object.entries(plan).flatMap(([key, value]) => (key === 'stage' && typeof value === 'string' ? [value] : stages(value)));
}

describeWithServer('served lists on MongoDB', server.skipReason, () => {
  let client: MongoClient;
  let db: Db;
  let store: MongoReadStore;
  let queries: Recorded[];
  const name = `rujukan_explain_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    client = await MongoClient.connect(server.url!);
    db = client.db(name);
    store = await MongoReadStore.connect(server.url!, name);
    for (const projection of PROJECTIONS) {
      for (const [collection, indexes] of Object.entries(projection.collections)) {
        for (const index of indexes) await store.collection(collection).createIndex(index);
      }
    }
    queries = await servedQueries();
  });
  afterAll(async () => {
    await store.dropDatabase();
    await Promise.all([store.close(), client.close()]);
  });

  it('records a query for every list route, first and next pages', () => {
    expect(queries.length).toBeGreaterThan(60);
    expect(queries.filter((query) => query.label.endsWith('next page')).every((query) => query.options.after !== undefined)).toBe(true);
  });

  it('has, for each query, an index whose keys it narrows on or is ordered by', async () => {
    for (const query of queries) {
      const indexes = (await db.collection(query.collection).listIndexes().toArray()).map((index) => Object.keys(index['key'] as object));
      const fields = new Set([...Object.keys(query.options.sort ?? {}), ...fieldsOf(query.filter)]);
      const usable = indexes.filter((keys) => keys[0] !== '_id' && fields.has(keys[0]!));
      expect({ query: query.label, usable: usable.length > 0 }).toEqual({ query: query.label, usable: true });
    }
  });

  const planCheck = 'scans an index, never the collection, for each query';
  // FerretDB's explain would show its SQLite backend's plan: a scan of the collection's table, whatever the indexes.
  const ferretDbReason = 'not run on FerretDB 1.24, whose explain shows its SQLite backend\'s table scan and which plans with no secondary index: needs MONGODB_URL of a MongoDB server';
  if (mongoIsFerretDb()) process.stderr.write(`NOT RUN: served lists on MongoDB: ${planCheck}: ${ferretDbReason}\n`);
  const onMongoDbOnly = mongoIsFerretDb()
    ? (body: () => Promise<void>) => it.skip(`${planCheck} (${ferretDbReason})`, body)
    : (body: () => Promise<void>) => it(planCheck, body);

  onMongoDbOnly(async () => {
    for (const query of queries) {
      const filter = query.options.after && query.options.sort ? { $and: [query.filter, afterFilter(query.options.sort, query.options.after)] } : query.filter;
      const explained = await db.collection(query.collection).find(filter, {
        ...(query.options.sort ? { sort: query.options.sort as Record<string, 1 | -1> } : {}),
        ...(query.options.limit ? { limit: query.options.limit } : {}),
      }).explain('queryPlanner');
      const used = stages((explained as { queryPlanner: { winningPlan: unknown } }).queryPlanner.winningPlan);
      expect({ query: query.label, scansIndex: used.some((stage) => /IXSCAN|IDHACK/.test(stage)), scansCollection: used.includes('COLLSCAN') })
        .toEqual({ query: query.label, scansIndex: true, scansCollection: false });
    }
  });
});

/** The fields a filter names, through $and and $or. */
function fieldsOf(filter: Filter): string[] {
  return Object.entries(filter).flatMap(([key, value]) => (key === '$and' || key === '$or' ? (value as Filter[]).flatMap(fieldsOf) : key.startsWith('$') ? [] : [key]));
}
