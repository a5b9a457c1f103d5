/**
 * The embedded twin of the MongoDB read store: each collection is a table of JSON documents in one SQLite
 * file. Query and update semantics come from mingo (a maintained implementation of MongoDB's operators);
 * SQLite only narrows the candidates (by _id or an indexed field) and keeps writes atomic and durable.
 */
import Database from 'better-sqlite3';
import { Query, update as applyUpdate } from 'mingo';
import {
  DuplicateKeyError, type BulkWriteResult, type Document, type Filter, type FindOptions, type IndexSpec, type ReadCollection,
  type ReadStore, type UpdateOperators, type WriteOperation,
} from '../read-store.port.js';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const table = (collection: string) => `c_${collection}`;

type Row = { doc: string };
type Scalar = string | number;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`Invalid collection name ${JSON.stringify(name)}`);
  return name;
}

const isOperatorObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((key) => key.startsWith('$'));

/** The top-level equality fields of a filter: what an upsert copies into the new document. */
function equalityFields(filter: Filter): Record<string, unknown> {
  return Object.fromEntries(Object.entries(filter).filter(([key, value]) => !key.startsWith('$') && !key.includes('.') && !isOperatorObject(value)));
}

class SqliteReadCollection<T extends Document> implements ReadCollection<T> {
  constructor(
    private readonly db: Database.Database,
    readonly name: string,
    private readonly indexedFields: () => ReadonlySet<string>,
    private readonly prepare: (sql: string) => Database.Statement,
  ) {}

  private exists(): boolean {
    return this.prepare('SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?').get('table', table(this.name)) !== undefined;
  }

  ensure(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS "${table(this.name)}" (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID`);
  }

  /** Rows that may match: narrowed by _id or one indexed scalar equality; mingo decides exactly. */
  private candidates(filter: Filter): T[] {
    if (!this.exists()) return [];
    const id = filter['_id'];
    let rows: Row[];
    if (typeof id === 'string') {
      rows = this.prepare(`SELECT doc FROM "${table(this.name)}" WHERE id = ?`).all(id) as Row[];
    } else if (isOperatorObject(id) && Array.isArray((id as { $in?: unknown }).$in)) {
      const ids = (id as { $in: unknown[] }).$in.filter((value): value is string => typeof value === 'string');
      rows = ids.length === 0 ? [] : this.prepare(`SELECT doc FROM "${table(this.name)}" WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Row[];
    } else {
      const indexed = this.indexedFields();
      const narrowing = Object.entries(filter).find((entry): entry is [string, Scalar] =>
        indexed.has(entry[0]) && (typeof entry[1] === 'string' || typeof entry[1] === 'number'));
      // Equality in MongoDB also matches an array holding the value, hence json_each, which yields a scalar
      // itself or each element of an array; the indexed json_extract comparison catches the scalar case fast.
      rows = narrowing
        ? this.prepare(`SELECT doc FROM "${table(this.name)}" WHERE json_extract(doc, $path) = $value
            OR EXISTS (SELECT 1 FROM json_each(doc, $path) WHERE value = $value)`).all({ path: `$.${narrowing[0]}`, value: narrowing[1] }) as Row[]
        : this.prepare(`SELECT doc FROM "${table(this.name)}"`).all() as Row[];
    }
    return rows.map((row) => JSON.parse(row.doc) as T);
  }

  private matching(filter: Filter): T[] {
    const query = new Query(filter as Record<string, unknown>);
    return this.candidates(filter).filter((document) => query.test(document));
  }

  async find(filter: Filter = {}, options: FindOptions = {}): Promise<T[]> {
    let cursor = new Query(filter as Record<string, unknown>).find<T>(this.candidates(filter));
    if (options.sort) cursor = cursor.sort(options.sort as Record<string, 1 | -1>);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return cursor.all();
  }

  async findOne(filter: Filter): Promise<T | null> {
    return this.matching(filter)[0] ?? null;
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return this.matching(filter).length;
  }

  async bulkWrite(operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    const result = { matched: 0, modified: 0, upserted: 0, deleted: 0 };
    if (operations.length === 0) return result;
    this.ensure();
    // Ordered like MongoDB's bulkWrite: operations before a failing one stay applied, later ones do not run.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const operation of operations) this.apply(operation, result);
    } finally {
      this.db.exec('COMMIT');
    }
    return result;
  }

  private apply(operation: WriteOperation, result: { matched: number; modified: number; upserted: number; deleted: number }): void {
    if ('deleteOne' in operation) {
      const [document] = this.matching(operation.deleteOne.filter);
      if (document) {
        this.prepare(`DELETE FROM "${table(this.name)}" WHERE id = ?`).run(document._id);
        result.deleted++;
      }
      return;
    }
    if ('replaceOne' in operation) {
      const { filter, replacement, upsert } = operation.replaceOne;
      const [existing] = this.matching(filter);
      if (existing) {
        result.matched++;
        this.write({ ...replacement, _id: existing._id }, 'replace');
        result.modified++;
      } else if (upsert) {
        this.write({ ...equalityFields(filter), ...replacement } as Document, 'insert');
        result.upserted++;
      }
      return;
    }
    const { filter, update, upsert } = operation.updateOne;
    const [existing] = this.matching(filter);
    const { $setOnInsert, ...operators } = update;
    if (existing) {
      result.matched++;
      const document = structuredClone(existing) as Record<string, unknown>;
      if (applyUpdate(document, operators as UpdateOperators).length > 0) {
        this.write(document as Document, 'replace');
        result.modified++;
      }
    } else if (upsert) {
      const document = structuredClone(equalityFields(filter));
      applyUpdate(document, { ...operators, $set: { ...$setOnInsert, ...operators.$set } });
      this.write(document as Document, 'insert');
      result.upserted++;
    }
  }

  private write(document: Document, mode: 'insert' | 'replace'): void {
    if (typeof document._id !== 'string') throw new Error(`Documents in ${this.name} need a string _id`);
    const sql = mode === 'insert'
      ? `INSERT INTO "${table(this.name)}" (id, doc) VALUES (?, ?)`
      : `UPDATE "${table(this.name)}" SET doc = ? WHERE id = ?`;
    try {
      if (mode === 'insert') this.prepare(sql).run(document._id, JSON.stringify(document));
      else this.prepare(sql).run(JSON.stringify(document), document._id);
    } catch (error) {
      if (String((error as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')) throw new DuplicateKeyError(this.name, document._id);
      throw error;
    }
  }

  async createIndex(index: IndexSpec): Promise<void> {
    this.ensure();
    const keys = Object.keys(index.keys).filter((key) => key !== '_id');
    if (keys.length === 0) return;
    const name = `i_${this.name}_${keys.join('_').replace(/[^a-z0-9_]/gi, '_')}`;
    const expressions = keys.map((key) => `json_extract(doc, '$.${key.replace(/'/g, '')}')`).join(', ');
    this.db.exec(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS "${name}" ON "${table(this.name)}" (${expressions})`);
  }

  async drop(): Promise<void> {
    this.db.exec(`DROP TABLE IF EXISTS "${table(this.name)}"`);
  }
}

export class SqliteReadStore implements ReadStore {
  private readonly db: Database.Database;
  /** Prepared once per SQL text: SQLite recompiles a statement itself when the schema changes under it. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly prepare = (sql: string): Database.Statement => {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  };

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
  }

  /** Fields with an index in some collection: candidates for narrowing a scan (json_extract can use it). */
  private indexedFields(collection: string): ReadonlySet<string> {
    const rows = this.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table(collection)) as { sql: string }[];
    return new Set(rows.flatMap((row) => [...row.sql.matchAll(/json_extract\(doc, '\$\.([^']+)'\)/g)].map((match) => match[1]!)));
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    return new SqliteReadCollection<T>(this.db, checkName(name), () => this.indexedFields(name), this.prepare);
  }

  async renameCollection(from: string, to: string): Promise<void> {
    checkName(from);
    checkName(to);
    this.db.transaction(() => {
      this.db.exec(`DROP TABLE IF EXISTS "${table(to)}"`);
      this.db.exec(`ALTER TABLE "${table(from)}" RENAME TO "${table(to)}"`);
    })();
  }

  async listCollections(): Promise<string[]> {
    const rows = this.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'c\\_%' ESCAPE '\\'").all() as { name: string }[];
    return rows.map((row) => row.name.slice(2)).sort();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
