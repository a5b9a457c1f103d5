/**
 * The embedded twin of the MongoDB read store: each collection is a table of JSON documents in one SQLite
 * file, and each index its own table of (type, value) key columns and the document's id (index-keys.ts),
 * kept in step with the documents in the same transaction. A find narrows on an index (query-plan.ts),
 * reads in the index's order when it matches the requested sort, and stops once the page is full; every
 * candidate is still tested with mingo, the reference semantics of MongoDB's operators, so what is
 * answered never depends on the plan. Counts the index decides alone read no documents.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { Query, update as applyUpdate } from 'mingo';
import {
  DuplicateKeyError, afterFilter, type BulkWriteResult, type CollectionWrites, type Document, type Filter, type FindOptions, type IndexSpec, type ReadCollection,
  type ReadStore, type ScratchStore, type UpdateOperators, type WriteOperation,
} from '../read-store.port.js';
import { hasExited } from '../../core/processes.js';
import { BOOLEAN, IRREGULAR, MULTIKEY, NULL, NUMBER, STRING, indexRows, rowChanges, sameKeyValues, type IndexKey, type IndexRow } from './index-keys.js';
import {
  branchSql, compareScalars, compareSortKeys, countSql, planQuery, rowSortKey, seekSteps, simpleMatcher, sortEntries,
  type Branch, type IndexDefinition, type IndexState, type Plan, type Sql,
} from './query-plan.js';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const table = (collection: string) => `c_${collection}`;
const INDEXES = 'read_store_indexes';
/**
 * WAL pages after which a commit of this connection copies the log into the database (SQLite's default: 1,000)
 * while it writes heavily. A rebuild rewrites the same pages of an index in one commit after another (the ids
 * of its documents are random): a checkpoint copies each such page once, however many commits wrote it, so
 * fewer checkpoints write less (at 1M events, 28% fewer bytes and 21% less CPU for a rebuild of every view).
 * Commits stay as durable as before: a checkpoint was never what made one durable against a crash of the process.
 */
const HEAVY_WRITE_CHECKPOINT_PAGES = 16_000;
/** Prepared statements kept; past this the cache starts over (SQL texts vary with the shape of queries). */
const MAX_STATEMENTS = 2_000;

/** How a store trades memory for CPU. */
interface StoreTuning {
  /** Parsed documents remembered at most (SqliteReadStore.documents); the oldest go first. */
  readonly keptDocuments: number;
  /** Each writeTogether call of a flush in a savepoint of its own, not only once one has failed (flushWrites). */
  readonly savepointPerCall: boolean;
}

/** A few batches' worth of a projection's documents. */
const LIVE_TUNING: StoreTuning = { keptDocuments: 2_000, savepointPerCall: false };
/**
 * A scratch build reads and writes each document once per batch of a whole log: keeping them would only hold
 * memory. Its calls keep a savepoint each, as before: without them a rebuild of every view in one pass gained no
 * speed and peaked higher (200,000 events: 319–335 MiB in four runs, 263–272 MiB in three with them, main's build
 * 266–323 MiB; the peak moves a lot from run to run, and why it would was not found).
 */
const SCRATCH_TUNING: StoreTuning = { keptDocuments: 0, savepointPerCall: true };

/**
 * The first 64 MiB read through a memory map and a larger page cache: a page of a list reads its documents
 * without a system call each (mapped pages count in the process's resident memory).
 */
const LIVE_MEMORY = ['mmap_size = 67108864', 'cache_size = -32768'];
const LIVE_PRAGMAS = ['journal_mode = WAL', 'synchronous = NORMAL', 'busy_timeout = 5000', ...LIVE_MEMORY];
/** While a scratch build moves in: each page is read and written once, so neither map nor cache would be read again. */
const MOVING_MEMORY = ['mmap_size = 0', 'cache_size = -8192'];
/**
 * A scratch file (SqliteReadStore.scratch): what it holds can be built again from the log, so no write-ahead
 * log (each page written once, not to the log and then again by a checkpoint) and nothing synced; the
 * rollback journal is kept in memory, so that a failed bulk write still undoes itself. A smaller page cache
 * than the live file's: several builds run at once, and a page it misses is read back from the system's cache.
 */
const SCRATCH_PRAGMAS = ['journal_mode = MEMORY', 'synchronous = OFF', 'cache_size = -8192'];

/** A collection's table of documents. */
const DOCUMENT_TABLE = '(id TEXT PRIMARY KEY, doc TEXT NOT NULL)';

type Row = { doc: string };
type IndexedRow = Row & Record<string, number | string>;
type WriteCounts = { matched: number; modified: number; upserted: number; deleted: number };

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`Invalid collection name ${JSON.stringify(name)}`);
  return name;
}

const isOperatorObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((key) => key.startsWith('$'));

const isEqualityField = (key: string, value: unknown): boolean => !key.startsWith('$') && !key.includes('.') && !isOperatorObject(value);

/** The top-level equality fields of a filter: what an upsert copies into the new document. */
function equalityFields(filter: Filter): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filter).filter(([key, value]) => isEqualityField(key, value)));
}

/**
 * The document an update makes of `existing`, or null when it changes nothing; `existing` is left as it is. A
 * `$set` and `$inc` of top-level fields (every projection batch writes two: its checkpoint and its hold on the
 * lease; a lease's renewal) is applied here, on a shallow copy made only when a field changes, where setting
 * up mingo's update (on a deep copy) would cost many times the write; anything else is mingo's, the reference
 * semantics.
 */
function updated(existing: Document, operators: UpdateOperators): Document | null {
  const fields = topLevelChanges(existing, operators);
  if (!fields) {
    const document = structuredClone(existing) as Record<string, unknown>;
    return applyUpdate(document, operators).length > 0 ? (document as Document) : null;
  }
  let document: Record<string, unknown> | null = null;
  for (const [path, value] of fields) {
    if (isDeepStrictEqual(existing[path], value)) continue;
    document ??= Object.assign({}, existing);
    document[path] = typeof value === 'object' && value !== null ? structuredClone(value) : value;
  }
  return document as Document | null;
}

const isTopLevelField = (path: string): boolean => path !== '_id' && !path.startsWith('$') && !path.includes('.');

/**
 * The values an update of only `$set` and `$inc` gives top-level fields of `existing`; null for any other update,
 * and for an `$inc` whose outcome mingo decides (a field not a number, an amount that changes nothing).
 */
function topLevelChanges(existing: Document, operators: UpdateOperators): [string, unknown][] | null {
  const { $set = {}, $inc = {}, ...others } = operators;
  if (Object.keys(others).length > 0) return null;
  const changes = Object.entries($set);
  if (changes.some(([path]) => !isTopLevelField(path))) return null;
  for (const [path, amount] of Object.entries($inc)) {
    const current = Object.hasOwn(existing, path) ? existing[path] : 0;
    if (!isTopLevelField(path) || Object.hasOwn($set, path) || typeof current !== 'number' || !Number.isFinite(amount) || current + amount === current) return null;
    changes.push([path, current + amount]);
  }
  return changes;
}

const isJsonScalar = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (Number.isFinite(value) && !Object.is(value, -0));

/**
 * Whether an updated document is exactly what parsing the JSON written of it gives back, so that the store may
 * keep it as if read: only JSON scalars set or incremented at top level (a checkpoint's strings and numbers), not a
 * Date, an undefined, an infinite number, nor anything mingo's operators made.
 */
function writtenAsParsed(document: Document, operators: UpdateOperators): boolean {
  return Object.keys(operators).every((name) => name === '$set' || name === '$inc')
    && [...Object.keys(operators.$set ?? {}), ...Object.keys(operators.$inc ?? {})].every((path) => isTopLevelField(path) && isJsonScalar(document[path]));
}

/**
 * What an upsert inserts: the replacement with the filter's equalities. Most name only fields the replacement
 * holds with the same values (its id): then the replacement itself, not a copy (a rebuild inserts a million).
 */
function upserted(filter: Filter, replacement: Document): Document {
  for (const key of Object.keys(filter)) {
    if (replacement[key] !== filter[key] && isEqualityField(key, filter[key])) return { ...equalityFields(filter), ...replacement };
  }
  return replacement;
}

/** `value` and everything in it frozen: a document shared by its readers and the store's writes. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** An index's table name: readable, and unique per collection and keys. */
function indexTable(collection: string, keys: readonly IndexKey[]): string {
  const readable = keys.map(([path, direction]) => `${path.replace(/[^a-zA-Z0-9]/g, '_')}${direction === 1 ? '' : '_desc'}`).join('__');
  const digest = createHash('sha256').update(JSON.stringify(keys)).digest('hex').slice(0, 8);
  return `x_${collection}__${readable.slice(0, 80)}_${digest}`;
}

/** The pre-index-table expression index createIndex used to make: dropped once the index has its table. */
const legacyIndexName = (collection: string, keys: readonly IndexKey[]) => `i_${collection}_${keys.map(([path]) => path).join('_').replace(/[^a-z0-9_]/gi, '_')}`;

/** An index table's key columns in its order, then the document's id: its primary key. */
const indexPrimaryKey = (keys: readonly IndexKey[]) =>
  [...keys.flatMap(([, direction], key) => [`t${key} ${direction === 1 ? 'ASC' : 'DESC'}`, `v${key} ${direction === 1 ? 'ASC' : 'DESC'}`]), 'id'].join(', ');

const indexTableColumns = (keys: readonly IndexKey[]) =>
  `(${keys.flatMap((_, key) => [`t${key} INTEGER NOT NULL`, `v${key} NOT NULL`]).join(', ')}, id TEXT NOT NULL, PRIMARY KEY (${indexPrimaryKey(keys)})) WITHOUT ROWID`;

/** Largest integer a JavaScript number holds exactly: beyond it, JSON.parse would round what SQLite reads exactly. */
const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Whether SQLite's JSON path reads `path` as keyValues does: plain names only, none that a parsed document
 * inherits from Object.prototype (keyValues would find the inherited member where SQLite finds nothing).
 */
const readInSql = (path: string): boolean => path.split('.').every((segment) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) && !(segment in Object.prototype));

/** What SQLite reads of a document at `path`, once: its JSON type (null when nothing is there) and its value. */
const keySql = (path: string): string => `json_type(doc, '$.${path}'), doc ->> '$.${path}'`;

/**
 * The type rank keyValues gives a value SQLite read (its JSON type and SQL value as expressions; `missing`: the
 * rank when nothing is there), in a row of temp.index_keys aliased `k`; null where only indexRows can say: an
 * array, an object, a number with a fraction or beyond 2^53, text in a document with a `\u` escape (this SQLite
 * decodes those as a binding of the parsed text stores them, but nothing promises that).
 */
function rankSql(type: string, value: string, missing: string): string {
  return `(CASE WHEN k.escaped THEN NULL ELSE CASE coalesce(${type}, '') WHEN 'text' THEN ${STRING} `
    + `WHEN 'integer' THEN CASE WHEN abs(${value}) <= ${MAX_EXACT_INTEGER} THEN ${NUMBER} END WHEN 'true' THEN ${BOOLEAN} WHEN 'false' THEN ${BOOLEAN} `
    + `WHEN 'null' THEN ${NULL} WHEN '' THEN ${missing} END END)`;
}

/** The value column as a binding of encode's answer stores it (better-sqlite3 binds every number as a REAL). */
const valueSql = (type: string, value: string): string => `(CASE ${type} WHEN 'text' THEN ${value} WHEN 'integer' THEN CAST(${value} AS REAL) WHEN 'true' THEN 1.0 ELSE 0.0 END)`;

/** An element of an array key (json_each aliased `e`). */
const ELEMENT_RANK = rankSql('e.type', 'e.atom', 'NULL');
const ELEMENT_VALUE = valueSql('e.type', 'e.atom');

/** MongoDB's uniqueness over the keys' values, enforced by SQLite on the documents themselves. */
const uniqueIndexSql = (schema: string, collection: string, keys: readonly IndexKey[]) =>
  `CREATE UNIQUE INDEX IF NOT EXISTS ${schema}."${legacyIndexName(collection, keys)}" ON "${table(collection)}" (${keys.map(([path]) => `json_extract(doc, '$.${path.replace(/'/g, '')}')`).join(', ')})`;

interface StoredIndex extends IndexDefinition {
  readonly unique: boolean;
}

class SqliteReadCollection<T extends Document> implements ReadCollection<T> {
  /** An upsert's insert of a new document, prepared at its first use here (a rebuild's bulk write runs it a million times). */
  private insertNew: Database.Statement | undefined;

  constructor(private readonly store: SqliteReadStore, readonly name: string) {}

  private get db(): Database.Database {
    return this.store.db;
  }

  private get table(): string {
    return table(this.name);
  }

  private prepare(sql: string): Database.Statement {
    return this.store.prepare(sql);
  }

  async find(filter: Filter = {}, options: FindOptions = {}): Promise<T[]> {
    if (!this.store.exists(this.name)) return [];
    const sort = sortEntries(options.sort);
    const test = this.matcher(options.after && options.sort ? { $and: [filter, afterFilter(options.sort, options.after)] } : filter);
    const skip = options.skip ?? 0;
    const wanted = options.limit === undefined || options.limit === 0 ? Infinity : options.limit;
    const plan = this.plan(filter, sort, options.sort !== undefined || options.limit !== undefined);
    if (plan.kind === 'index' && plan.ordered) {
      const page: T[] = [];
      let skipped = 0;
      for (const document of this.orderedCandidates(plan.branches, options.after)) {
        if (!test(document)) continue;
        if (skipped < skip) skipped++;
        else if (page.push(document) >= wanted) break;
      }
      return page;
    }
    const matches = [...this.candidates(plan, options.readOnly ?? false)].filter(test);
    matches.sort((a, b) => compareScalars(a._id, b._id));
    // In id order, mingo's cursor only to sort otherwise: setting one up costs more than a find by id (a checkpoint, a batch's documents).
    if (!options.sort) return matches.slice(skip, skip + wanted);
    let cursor = new Query({}).find<T>(matches).sort(options.sort);
    if (skip) cursor = cursor.skip(skip);
    if (wanted !== Infinity) cursor = cursor.limit(wanted);
    return cursor.all();
  }

  async findOne(filter: Filter): Promise<T | null> {
    return (await this.find(filter, { limit: 1 }))[0] ?? null;
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    if (!this.store.exists(this.name)) return 0;
    if (Object.keys(filter).length === 0) return (this.prepare(`SELECT count(*) AS n FROM "${this.table}"`).get() as { n: number }).n;
    const plan = this.plan(filter, sortEntries(undefined), false);
    if (plan.kind === 'index' && plan.exact) {
      if (plan.branches.length === 0) return 0;
      const sql = countSql(plan.branches);
      return (this.prepare(sql.text).get(...sql.parameters) as { n: number }).n;
    }
    return this.matching(filter).length;
  }

  async bulkWrite(operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    return this.write(operations);
  }

  /** A bulk write, inside the transaction already open (writeTogether) or in its own. */
  write(operations: readonly WriteOperation[]): BulkWriteResult {
    const result: WriteCounts = { matched: 0, modified: 0, upserted: 0, deleted: 0 };
    if (operations.length === 0) return result;
    this.store.transaction(() => {
      this.ensure();
      const indexes = this.store.indexes(this.name);
      // Ordered like MongoDB's bulkWrite: operations before a failing one stay applied, later ones do not run.
      // A duplicate key fails the operation's first write, so nothing of it is applied; anything else
      // failing midway (I/O) undoes the whole bulk write.
      for (const operation of operations) {
        try {
          this.apply(operation, indexes, result);
        } catch (error) {
          if (error instanceof DuplicateKeyError) this.store.commitAndRethrow(error);
          throw error;
        }
      }
    });
    return result;
  }

  async createIndex(index: IndexSpec): Promise<void> {
    return this.createIndexes([index]);
  }

  async createIndexes(specs: readonly IndexSpec[]): Promise<void> {
    this.store.transaction(() => {
      this.ensure();
      // An empty collection (a runner's first start) has nothing to fill the new indexes with.
      const empty = this.prepare(`SELECT 1 FROM "${this.table}" LIMIT 1`).get() === undefined;
      const filling: { readonly name: string; readonly keys: readonly IndexKey[]; readonly stage: Database.Statement }[] = [];
      for (const index of specs) {
        const keys = Object.entries(index.keys).filter(([key]) => key !== '_id') as IndexKey[];
        if (keys.length === 0) continue;
        const name = indexTable(this.name, keys);
        const existing = this.store.indexes(this.name).find((candidate) => candidate.name === name);
        if (existing && existing.unique === (index.unique ?? false)) continue;
        this.db.exec(`CREATE TABLE IF NOT EXISTS "${name}" ${indexTableColumns(keys)}`);
        this.prepare(`INSERT OR REPLACE INTO ${INDEXES} (collection, name, keys, is_unique) VALUES (?, ?, ?, ?)`).run(this.name, name, JSON.stringify(keys), index.unique ? 1 : 0);
        this.store.schemaChanged();
        this.db.exec(`DELETE FROM "${name}"`);
        if (!empty) {
          // Staged, then inserted in the index's order: one pass of appends instead of a random insert per row.
          this.db.exec(`DROP TABLE IF EXISTS temp."staging_${name}"`);
          this.db.exec(`CREATE TABLE temp."staging_${name}" (${keys.flatMap((_, key) => [`t${key}`, `v${key}`]).join(', ')}, id)`);
          const stage = this.db.prepare(`INSERT INTO temp."staging_${name}" VALUES (${Array.from({ length: keys.length * 2 + 1 }, () => '?').join(', ')})`);
          filling.push({ name, keys, stage });
        }
        if (index.unique) this.db.exec(uniqueIndexSql('main', this.name, keys));
        else this.db.exec(`DROP INDEX IF EXISTS "${legacyIndexName(this.name, keys)}"`);
      }
      if (filling.length > 0) this.fill(filling);
    });
  }

  /**
   * Fills new index tables from the documents there. SQLite reads the keys of most documents itself (scalars
   * at plain paths, or one key a non-empty array of scalars: no document parsed in JavaScript, no row passed
   * through a binding), into one temporary table for all the new indexes; the rest (objects, arrays of arrays
   * or objects, numbers with a fraction, text with a `\u` escape, names SQLite's paths would read otherwise)
   * go through indexRows, the reference, as every write's index rows do. Then each index is inserted in its
   * own order: one pass of appends instead of a random insert per row.
   */
  private fill(filling: readonly { readonly name: string; readonly keys: readonly IndexKey[]; readonly stage: Database.Statement }[]): void {
    const paths = [...new Set(filling.flatMap(({ keys }) => keys.map(([path]) => path)))].filter(readInSql);
    const column = new Map(paths.map((path, at) => [path, at]));
    // Per index, the key columns SQLite read (null when some key is not read there: every document goes through JavaScript).
    const read = filling.map(({ keys }) => (keys.every(([path]) => column.has(path)) ? keys.map(([path]) => column.get(path)!) : null));
    const order = this.withoutRowid() ? 'id' : 'rowid';
    this.db.exec('DROP TABLE IF EXISTS temp.index_keys');
    // Each path's JSON type and value, read once per document; ranks and values are derived from them per index.
    this.db.exec(`CREATE TABLE temp.index_keys (k ${order === 'rowid' ? 'INTEGER PRIMARY KEY' : 'PRIMARY KEY'}, id, escaped${paths.map((_, at) => `, y${at}, x${at}`).join('')})`);
    this.db.exec(`INSERT INTO temp.index_keys SELECT ${order}, id, instr(doc, '\\u') > 0${paths.map((path) => `, ${keySql(path)}`).join('')} FROM "${this.table}"`);
    // A scalar at a path (a dotted one that finds nothing may have crossed an array: JavaScript's to say).
    const scalar = (at: number) => rankSql(`k.y${at}`, `k.x${at}`, paths[at]!.includes('.') ? 'NULL' : String(NULL));
    const scalarValue = (at: number) => valueSql(`k.y${at}`, `k.x${at}`);
    // A non-empty array of such scalars (a multikey index's rows, one per element, and its marker).
    // (CASE, not AND: SQLite may evaluate either side of an AND first, and x is JSON only when y says 'array'.)
    // What json_each reads in a row of another shape is never JSON's to parse.
    const arrayText = (at: number) => `CASE WHEN coalesce(k.y${at}, '') = 'array' THEN k.x${at} ELSE '[]' END`;
    const array = (at: number) => `(CASE WHEN coalesce(k.y${at}, '') = 'array' AND NOT k.escaped THEN json_array_length(k.x${at}) > 0 AND NOT EXISTS (SELECT 1 FROM json_each(k.x${at}) e WHERE ${ELEMENT_RANK} IS NULL) ELSE 0 END)`;
    // Per index, the shapes SQLite fills: every key a scalar, or one key an array and the others scalars.
    // (Only for the paths where some document holds an array: each shape is one more scan of the keys.)
    const arrays = paths.length === 0 ? [] : Object.values(this.db.prepare(`SELECT ${paths.map((_, at) => `max(coalesce(y${at}, '') = 'array')`).join(', ')} FROM temp.index_keys`).raw().get() as unknown[]);
    const shapes = read.map((columns) => (columns ? [null, ...[...columns.keys()].filter((position) => arrays[columns[position]!] === 1)].map((arrayAt) => ({
      arrayAt,
      where: columns.map((key, position) => (position === arrayAt ? array(key) : `${scalar(key)} IS NOT NULL`)).join(' AND '),
    })) : []));
    const irregular = shapes.map((forIndex) => (forIndex.length > 0 ? `NOT (${forIndex.map(({ where }) => `(${where})`).join(' OR ')})` : 'true'));
    // The documents some index needs JavaScript for, in pages (a connection cannot write while a statement is still reading).
    const page = this.prepare(`SELECT k.k AS k, d.doc AS doc${irregular.map((condition, at) => `, ${condition} AS i${at}`).join('')} FROM temp.index_keys k JOIN "${this.table}" d ON d.${order} = k.k WHERE k.k > ? AND (${irregular.join(' OR ')}) ORDER BY k.k LIMIT 1000`);
    type PageRow = Row & Record<string, number | string | null>;
    for (let rows = page.all(order === 'id' ? '' : 0) as PageRow[]; rows.length > 0; rows = page.all(rows[rows.length - 1]!['k']) as PageRow[]) {
      for (const row of rows) {
        const document = JSON.parse(row.doc) as Document;
        for (const [at, { name, keys, stage }] of filling.entries()) {
          if (!row[`i${at}`]) continue;
          const added = indexRows(document, keys);
          for (const indexRow of added) stage.run(...indexRow);
          this.store.indexRowsChanged(name, [], added);
        }
      }
    }
    for (const [at, { name, keys }] of filling.entries()) {
      const columns = read[at];
      const selects = (columns ? shapes[at]! : []).flatMap(({ arrayAt, where }) => {
        const key = (column: number, position: number) => (position === arrayAt ? `${ELEMENT_RANK} AS t${position}, ${ELEMENT_VALUE} AS v${position}` : `${scalar(column)} AS t${position}, ${scalarValue(column)} AS v${position}`);
        const rows = `SELECT ${columns!.map(key).join(', ')}, k.id AS id FROM temp.index_keys k${arrayAt === null ? '' : `, json_each(${arrayText(columns![arrayAt]!)}) e`} WHERE ${where}`;
        if (arrayAt === null) return [rows];
        const marker = `SELECT ${MULTIKEY + arrayAt} AS t0, 0.0 AS v0${columns!.slice(1).map((_, position) => `, 0 AS t${position + 1}, 0.0 AS v${position + 1}`).join('')}, k.id AS id FROM temp.index_keys k WHERE ${where}`;
        return [rows, marker];
      });
      const names = `${keys.flatMap((_, position) => [`t${position}`, `v${position}`]).join(', ')}, id`;
      this.db.exec(`INSERT OR IGNORE INTO "${name}" (${names}) SELECT * FROM (${[...selects, `SELECT * FROM temp."staging_${name}"`].join(' UNION ALL ')}) ORDER BY ${indexPrimaryKey(keys)}`);
      this.db.exec(`DROP TABLE temp."staging_${name}"`);
      // Markers SQLite inserted: whatever this connection remembered of them is looked at again.
      for (const position of columns?.keys() ?? []) this.store.indexRowsChanged(name, [[MULTIKEY + position, 0, ...keys.slice(1).flatMap(() => [0, 0]), '']], []);
    }
    this.db.exec('DROP TABLE temp.index_keys');
  }

  async drop(): Promise<void> {
    this.store.transaction(() => this.store.dropCollection(this.name));
  }

  /** A table made before documents were stored in rowid tables. */
  private withoutRowid(): boolean {
    const sql = this.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(this.table) as string | undefined;
    return /WITHOUT ROWID\s*$/i.test(sql ?? '');
  }

  ensure(): void {
    if (this.store.exists(this.name)) return;
    // A rowid table, documents stored in the order written, with the id in a separate small index: keyed on
    // the id itself (WITHOUT ROWID) every insert of a random id split and moved pages of whole documents,
    // three times slower for documents of a few hundred bytes. Tables made before stay as they are.
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${this.table}" ${DOCUMENT_TABLE}`);
    this.store.schemaChanged();
  }

  /** The reference test of a filter; simple filters (most writes') are decided without building a mingo query. */
  private matcher(filter: Filter): (document: T) => boolean {
    if (Object.keys(filter).length === 0) return () => true;
    const simple = simpleMatcher(filter);
    let query: Query | undefined;
    const reference = (document: T) => (query ??= new Query(filter)).test(document);
    return simple ? (document) => simple(document) ?? reference(document) : reference;
  }

  private plan(filter: Filter, sort: [string, 1 | -1][], wantsOrder: boolean): Plan {
    return planQuery(filter, sort, wantsOrder, this.store.indexes(this.name), this.store.indexState);
  }

  /**
   * The documents that may match, in no particular order, each once. `shared`: documents looked up by id are
   * answered from those the store remembers, and those read are remembered, frozen (`SqliteReadStore.documents`).
   */
  private *candidates(plan: Plan, shared: boolean): Iterable<T> {
    if (plan.kind === 'ids') {
      const unread: string[] = [];
      for (const id of new Set(plan.ids)) {
        const remembered = shared ? this.store.storedDocument(this.table, id) : undefined;
        if (remembered) yield remembered as T;
        else unread.push(id);
      }
      for (let start = 0; start < unread.length; start += 500) {
        const chunk = unread.slice(start, start + 500);
        const rows = this.prepare(`SELECT doc FROM "${this.table}" WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as Row[];
        for (const row of rows) {
          const document = JSON.parse(row.doc) as T;
          if (shared) this.store.rememberDocument(this.table, document);
          yield document;
        }
      }
      return;
    }
    if (plan.kind === 'scan') {
      for (const row of this.prepare(`SELECT doc FROM "${this.table}"`).iterate() as IterableIterator<Row>) yield JSON.parse(row.doc) as T;
      return;
    }
    const seen = new Set<string>();
    for (const branch of plan.branches) {
      const sql = branchSql({ ...branch, sort: null }, this.table);
      for (const row of this.prepare(sql.text).iterate(...sql.parameters) as IterableIterator<IndexedRow>) {
        if (seen.has(row['id'] as string)) continue;
        seen.add(row['id'] as string);
        yield JSON.parse(row.doc) as T;
      }
    }
  }

  /** The documents that may match, in the requested order (branches merged), each once, read lazily. */
  private *orderedCandidates(branches: readonly Branch[], after: readonly unknown[] | undefined): Iterable<T> {
    const streams = branches.map((branch) => this.branchRows(branch, after));
    // Statements still reading keep the connection from writing: close them however the reader stops.
    try {
      const heads = streams.map((stream) => stream.next());
      const seen = new Set<string>();
      const first = branches[0];
      if (!first) return;
      for (;;) {
        let best = -1;
        for (const [at, head] of heads.entries()) {
          if (head.done) continue;
          if (best < 0 || compareSortKeys(first.sort!, first.idDirection, head.value, (heads[best] as IteratorYieldResult<BranchRow>).value) < 0) best = at;
        }
        if (best < 0) return;
        const { value } = heads[best] as IteratorYieldResult<BranchRow>;
        heads[best] = streams[best]!.next();
        if (seen.has(value.id)) continue;
        seen.add(value.id);
        yield JSON.parse(value.doc) as T;
      }
    } finally {
      for (const stream of streams) stream.return?.();
    }
  }

  /** One branch's rows in order: after the cursor, seek step by seek step. */
  private *branchRows(branch: Branch, after: readonly unknown[] | undefined): Iterator<BranchRow> {
    const steps = after ? seekSteps(branch, after) : null;
    for (const seek of steps ?? [[] as Sql[]]) {
      const sql = branchSql(branch, this.table, seek);
      for (const row of this.reader(sql.text).iterate(...sql.parameters) as IterableIterator<IndexedRow>) {
        yield { id: row['id'] as string, doc: row.doc, key: rowSortKey(branch, row) };
      }
    }
  }

  /** A statement to read with, also while the cached one is still reading for another branch. */
  private reader(sql: string): Database.Statement {
    const statement = this.prepare(sql);
    return statement.busy ? this.db.prepare(sql) : statement;
  }

  private matching(filter: Filter): T[] {
    if (!this.store.exists(this.name)) return [];
    const test = this.matcher(filter);
    // A filter naming a string id (most writes') is planned as planQuery would, without analysing it.
    const id = filter['_id'];
    const plan: Plan = typeof id === 'string' ? { kind: 'ids', ids: [id] } : this.plan(filter, sortEntries(undefined), false);
    // The write path only reads what it is answered: it shares the documents the store remembers.
    return [...this.candidates(plan, true)].filter(test);
  }

  private apply(operation: WriteOperation, indexes: readonly StoredIndex[], result: WriteCounts): void {
    if ('deleteOne' in operation) {
      const [document] = this.matching(operation.deleteOne.filter);
      if (document) {
        this.store.forgetDocument(this.table, document._id);
        this.prepare(`DELETE FROM "${this.table}" WHERE id = ?`).run(document._id);
        this.reindex(indexes, document, null);
        result.deleted++;
      }
      return;
    }
    if ('replaceOne' in operation) {
      const { filter, replacement, upsert } = operation.replaceOne;
      if (upsert && this.insertedAsNew(indexes, upserted(filter, replacement), filter)) {
        result.upserted++;
        return;
      }
      const [existing] = this.matching(filter);
      if (existing) {
        result.matched++;
        // The replacement itself when it names the same id (a copy by spread would also be slower to serialize).
        this.put(indexes, replacement._id === existing._id ? replacement : Object.assign({}, replacement, { _id: existing._id }), existing);
        result.modified++;
      } else if (upsert) {
        this.put(indexes, upserted(filter, replacement), null);
        result.upserted++;
      }
      return;
    }
    const { filter, update, upsert } = operation.updateOne;
    const [existing] = this.matching(filter);
    const { $setOnInsert, ...operators } = update;
    if (existing) {
      result.matched++;
      const document = updated(existing, operators);
      if (document) {
        this.put(indexes, document, existing);
        // A copy of the store's own making, not the caller's: the next write of it (a checkpoint's) need not read it.
        if (writtenAsParsed(document, operators)) this.store.rememberDocument(this.table, document);
        result.modified++;
      }
    } else if (upsert) {
      const document = structuredClone(equalityFields(filter));
      applyUpdate(document, { ...operators, $set: { ...$setOnInsert, ...operators.$set } });
      this.put(indexes, document as Document, null);
      result.upserted++;
    }
  }

  /**
   * An upsert whose filter names the new document's id: when no document has that id, none matches the filter,
   * and the document is inserted without reading first (what a replay writing new documents does most).
   * False, having written nothing, when a document with that id exists.
   */
  private insertedAsNew(indexes: readonly StoredIndex[], document: Document, filter: Filter): boolean {
    if (typeof document._id !== 'string' || filter['_id'] !== document._id) return false;
    let changes: number;
    try {
      this.insertNew ??= this.prepare(`INSERT INTO "${this.table}" (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`);
      ({ changes } = this.insertNew.run(document._id, JSON.stringify(document)));
    } catch (error) {
      // Another unique index refused it.
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw new DuplicateKeyError(this.name, document._id);
      throw error;
    }
    if (changes === 0) return false;
    this.reindex(indexes, null, document);
    return true;
  }

  private put(indexes: readonly StoredIndex[], document: Document, previous: Document | null): void {
    if (typeof document._id !== 'string') throw new Error(`Documents in ${this.name} need a string _id`);
    this.store.forgetDocument(this.table, document._id);
    try {
      if (previous) this.prepare(`UPDATE "${this.table}" SET doc = ? WHERE id = ?`).run(JSON.stringify(document), document._id);
      else this.prepare(`INSERT INTO "${this.table}" (id, doc) VALUES (?, ?)`).run(document._id, JSON.stringify(document));
    } catch (error) {
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw new DuplicateKeyError(this.name, document._id);
      throw error;
    }
    this.reindex(indexes, previous, document);
  }

  /** Brings each index from the rows of `before` to those of `after` (either may be absent). */
  private reindex(indexes: readonly StoredIndex[], before: Document | null, after: Document | null): void {
    for (const index of indexes) {
      if (before && after && sameKeyValues(before, after, index.keys)) continue;
      const { removed, added } = rowChanges(before ? indexRows(before, index.keys) : [], after ? indexRows(after, index.keys) : []);
      if (removed.length > 0) {
        const columns = index.keys.flatMap((_, key) => [`t${key} = ?`, `v${key} = ?`]);
        const remove = this.prepare(`DELETE FROM "${index.table}" WHERE ${columns.join(' AND ')} AND id = ?`);
        for (const row of removed) remove.run(...row);
      }
      this.insertRows(index, added);
      this.store.indexRowsChanged(index.table, removed, []);
    }
  }

  private insertRows(index: StoredIndex, rows: readonly IndexRow[]): void {
    if (rows.length === 0) return;
    const insert = this.prepare(`INSERT OR IGNORE INTO "${index.table}" VALUES (${Array.from({ length: index.keys.length * 2 + 1 }, () => '?').join(', ')})`);
    for (const row of rows) insert.run(...row);
    this.store.indexRowsChanged(index.table, [], rows);
  }
}

interface BranchRow {
  readonly id: string;
  readonly doc: string;
  readonly key: ReturnType<typeof rowSortKey>;
}

export class SqliteReadStore implements ReadStore {
  /** writeTogether is one SQLite transaction. */
  readonly writesTogetherAtomically = true;
  readonly db: Database.Database;
  /** Prepared once per SQL text: SQLite recompiles a statement itself when the schema changes under it. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Collections and their indexes as of a schema version (another process may change them: the CLI's rebuild). */
  private schema: { version: number; tables: Set<string>; indexes: Map<string, StoredIndex[]> } | null = null;
  private schemaChecked = false;
  private depth = 0;
  /** writeTogether calls waiting for the next turn of the event loop, and the flush that will write them. */
  private waitingWrites: WaitingWrite[] = [];
  private writesFlush: NodeJS.Immediate | undefined;
  private heavyWriters = 0;

  /** Whether an index holds marker rows of a kind (irregular, multikey at a key), as last seen. */
  private readonly markers = new Map<string, boolean>();
  /**
   * Documents as stored, parsed and frozen, by table and id: read for callers that never change what they are
   * answered (FindOptions.readOnly) or by this connection's writes, which then decide their filters on them
   * instead of reading and parsing them again. A document is dropped when this connection writes it, everything
   * when another connection has committed (data_version) or a transaction or savepoint is undone.
   */
  private readonly documents = new Map<string, Document>();
  private dataVersion: number | null = null;
  private dataVersionChecked = false;

  readonly indexState: IndexState = {
    irregular: (index) => this.hasMarker(index.table, IRREGULAR),
    multikey: (index, key) => this.hasMarker(index.table, MULTIKEY + key),
  };

  constructor(file: string, pragmas: readonly string[] = LIVE_PRAGMAS, private readonly tuning: StoreTuning = LIVE_TUNING) {
    this.db = new Database(file);
    for (const pragma of pragmas) this.db.pragma(pragma);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${INDEXES} (collection TEXT NOT NULL, name TEXT NOT NULL, keys TEXT NOT NULL, is_unique INTEGER NOT NULL, PRIMARY KEY (collection, name))`);
  }

  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      this.statements.set(sql, (statement = this.db.prepare(sql)));
    }
    return statement;
  }

  /** Runs `work` in one write transaction (or inside the one already open). */
  transaction(work: () => void): void {
    if (this.depth > 0) return work();
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      this.lookForOtherCommits(true);
      work();
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec(error instanceof CommittedError ? 'COMMIT' : 'ROLLBACK');
      // Documents read in the transaction may hold what was undone.
      if (!(error instanceof CommittedError)) this.documents.clear();
      throw error instanceof CommittedError ? error.cause : error;
    } finally {
      this.depth--;
      // It may have changed tables or indexes: look at the schema version again next time.
      this.schemaChecked = false;
    }
  }

  /** Ends the transaction keeping what it wrote so far, then fails with `error`. */
  commitAndRethrow(error: unknown): never {
    throw new CommittedError(error);
  }

  /** This connection changed tables or indexes, or undid writes: what it remembers of them is read again. */
  schemaChanged(): void {
    this.schemaChecked = false;
    this.schema = null;
    this.markers.clear();
    this.documents.clear();
  }

  /**
   * Forgets the index markers and documents remembered once another connection has committed (once per
   * synchronous run, and at the start of each write transaction, when no other connection can commit until it ends).
   */
  private lookForOtherCommits(always = false): void {
    if (this.dataVersionChecked && !always) return;
    this.dataVersionChecked = true;
    queueMicrotask(() => (this.dataVersionChecked = false));
    const version = this.prepare('PRAGMA data_version').pluck().get() as number;
    if (version !== this.dataVersion) {
      this.markers.clear();
      this.documents.clear();
    }
    this.dataVersion = version;
  }

  /** The document of `table` with `id` as stored, parsed and frozen, if remembered (see `documents`). */
  storedDocument(table: string, id: string): Document | undefined {
    this.lookForOtherCommits();
    return this.documents.get(`${table}\u0000${id}`);
  }

  /** Remembers a document just read (frozen: whoever is answered it can only read it). */
  rememberDocument(table: string, document: Document): void {
    if (this.tuning.keptDocuments === 0) return;
    if (this.documents.size >= this.tuning.keptDocuments) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(`${table}\u0000${document._id}`, deepFreeze(document));
  }

  /** This connection writes the document: it is read again next time. */
  forgetDocument(table: string, id: string): void {
    this.documents.delete(`${table}\u0000${id}`);
  }

  private hasMarker(indexTable: string, type: number): boolean {
    // Another connection's commits may have added or removed markers: then look again.
    this.lookForOtherCommits();
    const key = `${indexTable}\u0000${type}`;
    let present = this.markers.get(key);
    if (present === undefined) {
      present = this.prepare(`SELECT 1 FROM "${indexTable}" WHERE t0 = ? LIMIT 1`).get(type) !== undefined;
      this.markers.set(key, present);
    }
    return present;
  }

  /** This connection wrote index rows: a marker added is there; one removed may have been the last. */
  indexRowsChanged(indexTable: string, removed: readonly IndexRow[], added: readonly IndexRow[]): void {
    for (const row of removed) if ((row[0] as number) >= IRREGULAR) this.markers.delete(`${indexTable}\u0000${row[0]}`);
    for (const row of added) if ((row[0] as number) >= IRREGULAR) this.markers.set(`${indexTable}\u0000${row[0]}`, true);
  }

  exists(collection: string): boolean {
    return this.currentSchema().tables.has(table(collection));
  }

  indexes(collection: string): StoredIndex[] {
    return this.currentSchema().indexes.get(collection) ?? [];
  }

  private currentSchema(): NonNullable<SqliteReadStore['schema']> {
    // Checked once per synchronous run of reads and writes: what another process changes shows at the next.
    if (this.schema && this.schemaChecked) return this.schema;
    this.schemaChecked = true;
    queueMicrotask(() => (this.schemaChecked = false));
    const version = this.prepare('PRAGMA schema_version').pluck().get() as number;
    if (this.schema?.version === version) return this.schema;
    const tables = new Set((this.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((row) => row.name));
    const indexes = new Map<string, StoredIndex[]>();
    for (const row of this.prepare(`SELECT collection, name, keys, is_unique FROM ${INDEXES}`).all() as { collection: string; name: string; keys: string; is_unique: number }[]) {
      if (!tables.has(row.name)) continue;
      indexes.set(row.collection, [...(indexes.get(row.collection) ?? []), { name: row.name, table: row.name, keys: JSON.parse(row.keys) as IndexKey[], unique: row.is_unique === 1 }]);
    }
    this.schema = { version, tables, indexes };
    return this.schema;
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    return new SqliteReadCollection<T>(this, checkName(name));
  }

  /** In this file (`main`), also while a scratch file is attached (moveIn). */
  dropCollection(name: string): void {
    for (const index of this.indexes(name)) this.db.exec(`DROP TABLE IF EXISTS main."${index.table}"`);
    this.prepare(`DELETE FROM main.${INDEXES} WHERE collection = ?`).run(name);
    this.db.exec(`DROP TABLE IF EXISTS main."${table(name)}"`);
    this.schemaChanged();
  }

  /**
   * All in one transaction: a projection's views and checkpoint commit together, or none of them. Calls made
   * in one turn of the event loop (a process's runners, woken by the same commit of the log) share one SQLite
   * transaction, each in a savepoint of its own: a call that fails undoes its own writes alone, and the file
   * takes one commit where it took one per projection (pages they share, the checkpoints' and the leases',
   * are written once). A call is answered once the transaction holding it has committed.
   */
  writeTogether(writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> {
    return new Promise((resolve, reject) => {
      this.waitingWrites.push({ writes, resolve, reject });
      this.writesFlush ??= setImmediate(() => this.flushWrites());
    });
  }

  /**
   * Writes every waiting writeTogether call in one transaction, then answers each. The calls are written one
   * after the other; only when one of them fails is the transaction undone and written again with each call in
   * a savepoint of its own, so that the failing one is undone alone. (A savepoint around every call would copy
   * each page a call first touches, to be able to undo it: for a projection's batch, about as much CPU as its
   * writes.)
   */
  private flushWrites(): void {
    clearImmediate(this.writesFlush);
    this.writesFlush = undefined;
    const batch = this.waitingWrites;
    this.waitingWrites = [];
    if (batch.length === 0) return;
    let answers: Array<() => void>;
    try {
      try {
        answers = this.writeCalls(batch, this.tuning.savepointPerCall && batch.length > 1);
      } catch (error) {
        if (!(error instanceof CallFailedError)) throw error;
        if (batch.length === 1) throw error.cause;
        // What this connection remembers of tables and index markers may include what was just undone.
        this.schemaChanged();
        answers = this.writeCalls(batch, true);
      }
    } catch (error) {
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const answer of answers) answer();
  }

  /** The calls' writes in one transaction; `apart`: each in a savepoint, a failing one undone and answered alone. */
  private writeCalls(batch: readonly WaitingWrite[], apart: boolean): Array<() => void> {
    const answers: Array<() => void> = [];
    this.transaction(() => {
      for (const { writes, resolve, reject } of batch) {
        if (!apart) {
          let results: BulkWriteResult[];
          try {
            results = this.writeAll(writes);
          } catch (error) {
            throw new CallFailedError(error);
          }
          answers.push(() => resolve(results));
          continue;
        }
        this.db.exec('SAVEPOINT write_together');
        try {
          const results = this.writeAll(writes);
          this.db.exec('RELEASE write_together');
          answers.push(() => resolve(results));
        } catch (error) {
          // SQLite ends the whole transaction on some errors (I/O, a full disk): then every call fails.
          if (!this.db.inTransaction) throw error;
          this.db.exec('ROLLBACK TO write_together');
          this.db.exec('RELEASE write_together');
          this.schemaChanged();
          answers.push(() => reject(error));
        }
      }
    });
    return answers;
  }

  private writeAll(writes: readonly CollectionWrites[]): BulkWriteResult[] {
    try {
      return writes.map(({ collection, operations }) => new SqliteReadCollection(this, checkName(collection)).write(operations));
    } catch (error) {
      // A duplicate key ends one bulk write keeping its earlier operations; here it undoes them all.
      throw error instanceof CommittedError ? error.cause : error;
    }
  }

  /**
   * A file of its own beside this one (in the temporary directory for a store in memory), named after this
   * process; the files of processes that no longer run (a crash mid-build) are removed first.
   */
  async scratch(): Promise<ScratchStore> {
    const directory = this.db.memory ? tmpdir() : dirname(this.db.name);
    const prefix = `${this.db.memory ? 'rujukan-views' : basename(this.db.name)}.scratch-`;
    for (const name of await readdir(directory)) {
      const pid = name.startsWith(prefix) ? Number(name.slice(prefix.length).split('-')[0]) : NaN;
      if (Number.isInteger(pid) && hasExited(pid)) await rm(join(directory, name), { force: true });
    }
    return new SqliteScratchStore(this, join(directory, `${prefix}${process.pid}-${randomUUID().slice(0, 8)}`));
  }

  /**
   * ScratchStore.moveOut, from this connection: the scratch file attached, each collection copied in the order
   * of its keys (its tables' B-trees filled by appending, not split at random), `writes` applied, in one
   * transaction. Names are qualified throughout: a table missing here must not be looked for in the scratch file.
   */
  moveIn(scratchFile: string, collections: readonly string[], writes: readonly CollectionWrites[]): void {
    for (const pragma of MOVING_MEMORY) this.db.pragma(pragma);
    this.db.prepare('ATTACH DATABASE ? AS scratch').run(scratchFile);
    try {
      this.transaction(() => {
        const tables = new Set(this.db.prepare("SELECT name FROM scratch.sqlite_master WHERE type = 'table'").pluck().all() as string[]);
        const indexes = this.db.prepare(`SELECT name, keys, is_unique FROM scratch.${INDEXES} WHERE collection = ?`);
        for (const name of collections.map(checkName)) {
          this.dropCollection(name);
          if (!tables.has(table(name))) continue;
          this.db.exec(`CREATE TABLE main."${table(name)}" ${DOCUMENT_TABLE}`);
          this.db.exec(`INSERT INTO main."${table(name)}" SELECT * FROM scratch."${table(name)}"`);
          for (const index of indexes.all(name) as { name: string; keys: string; is_unique: number }[]) {
            const keys = JSON.parse(index.keys) as IndexKey[];
            this.db.exec(`CREATE TABLE main."${index.name}" ${indexTableColumns(keys)}`);
            this.db.exec(`INSERT INTO main."${index.name}" SELECT * FROM scratch."${index.name}"`);
            this.prepare(`INSERT INTO main.${INDEXES} (collection, name, keys, is_unique) VALUES (?, ?, ?, ?)`).run(name, index.name, index.keys, index.is_unique);
            if (index.is_unique === 1) this.db.exec(uniqueIndexSql('main', name, keys));
          }
          this.schemaChanged();
        }
        this.writeAll(writes);
      });
    } finally {
      this.db.exec('DETACH DATABASE scratch');
      for (const pragma of LIVE_MEMORY) this.db.pragma(pragma);
      this.schemaChanged();
    }
  }

  async renameCollection(from: string, to: string): Promise<void> {
    checkName(from);
    checkName(to);
    this.transaction(() => {
      this.dropCollection(to);
      // Never written and without indexes, `from` has no table: it is an empty collection, and so is `to` now.
      if (!this.exists(from)) return;
      for (const index of this.indexes(from)) {
        const renamed = indexTable(to, index.keys);
        this.db.exec(`ALTER TABLE "${index.table}" RENAME TO "${renamed}"`);
        this.prepare(`UPDATE ${INDEXES} SET collection = ?, name = ? WHERE collection = ? AND name = ?`).run(to, renamed, from, index.name);
      }
      this.db.exec(`ALTER TABLE "${table(from)}" RENAME TO "${table(to)}"`);
      this.schemaChanged();
    });
  }

  writeHeavily(): () => void {
    if (this.heavyWriters++ === 0) this.db.pragma(`wal_autocheckpoint = ${HEAVY_WRITE_CHECKPOINT_PAGES}`);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.heavyWriters === 0 && this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
    };
  }

  async listCollections(): Promise<string[]> {
    const rows = this.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c\\_%' ESCAPE '\\'").all() as { name: string }[];
    return rows.map((row) => row.name.slice(2)).sort();
  }

  async close(): Promise<void> {
    this.flushWrites();
    if (this.db.open) this.db.close();
  }
}

/** A rebuild's first build (SqliteReadStore.scratch), moved into the live file once built. */
class SqliteScratchStore extends SqliteReadStore implements ScratchStore {
  constructor(private readonly live: SqliteReadStore, private readonly file: string) {
    super(file, SCRATCH_PRAGMAS, SCRATCH_TUNING);
  }

  async moveOut(collections: readonly string[], writes: readonly CollectionWrites[]): Promise<void> {
    this.live.moveIn(this.file, collections, writes);
  }

  override async close(): Promise<void> {
    await super.close();
    await rm(this.file, { force: true });
  }
}

/** A writeTogether call waiting for the next flush. */
interface WaitingWrite {
  readonly writes: readonly CollectionWrites[];
  readonly resolve: (results: BulkWriteResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** A failure inside a transaction whose earlier work must still be committed (an ordered bulk write). */
class CommittedError extends Error {
  constructor(override readonly cause: unknown) {
    super('committed before failing');
  }
}

/** One writeTogether call failed while the calls of a flush were written without savepoints. */
class CallFailedError extends Error {
  constructor(override readonly cause: unknown) {
    super('a writeTogether call failed');
  }
}
