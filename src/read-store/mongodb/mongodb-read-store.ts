/** The production read store: MongoDB through the official driver. The port is MongoDB-shaped, so this stays thin. */
import {
  MongoBulkWriteError, MongoClient, MongoClientClosedError, MongoError, MongoExpiredSessionError, MongoNetworkError, MongoNotConnectedError,
  MongoServerClosedError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError, type AnyBulkWriteOperation, type ClientSession, type Db, type UpdateFilter,
} from 'mongodb';
import {
  DuplicateKeyError, afterFilter, type BulkWriteResult, type CollectionWrites, type Document, type Filter, type FindOptions, type IndexSpec, type ReadCollection,
  type ReadStore, type WriteOperation,
} from '../read-store.port.js';

const DUPLICATE_KEY = 11000;

/**
 * The server cannot be reached (down, restarting, no primary, refusing connections): not a fault of the
 * operation. A bulk write reports a failed connection as a MongoBulkWriteError around the network error.
 */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof MongoBulkWriteError && error.errorResponse instanceof Error) return isUnreachable(error.errorResponse);
  return error instanceof MongoNetworkError || error instanceof MongoServerSelectionError || error instanceof MongoTopologyClosedError
    || error instanceof MongoNotConnectedError || POOL_ERRORS.has((error as Error | null)?.name ?? '')
    || (error instanceof MongoError && (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('SystemOverloadedError')))
    // A socket closed under a write can surface as the socket's own error, unwrapped.
    || SOCKET_ERRORS.has(String((error as { code?: unknown } | null)?.code))
    // The client was closed under the operation (reconnect() replaced it): tried again, it runs on the new one.
    || error instanceof MongoClientClosedError || error instanceof MongoServerClosedError || error instanceof MongoExpiredSessionError;
}

const SOCKET_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);
/** The connection pool's own errors (the driver does not export their classes): no connection within the wait, the pool cleared or closed under the operation. */
const POOL_ERRORS = new Set(['MongoWaitQueueTimeoutError', 'MongoPoolClearedError', 'PoolClearedOnNetworkError', 'MongoPoolClosedError']);

/**
 * No operation waits longer than this for an answer on its socket, or for a connection from the pool: a server
 * gone mid-operation must not leave it (and a projection behind it) hanging. Driver 7's `timeoutMS` has no effect.
 */
const OPERATION_TIMEOUT_MS = 30_000;

function isDuplicateKey(error: unknown): boolean {
  return (error instanceof MongoServerError || error instanceof MongoBulkWriteError) && error.code === DUPLICATE_KEY;
}

/** Server quirks this adapter works around. */
interface Quirks {
  /** FerretDB 1.x leaves `$setOnInsert` fields whose value is null or [] out of the document an upsert inserts. */
  readonly setOnInsertDropsEmpty: boolean;
  /** Multi-document transactions: a replica set or a sharded cluster (not a standalone server, not FerretDB 1.x). */
  readonly transactions: boolean;
}

const NO_WRITES: BulkWriteResult = { matched: 0, modified: 0, upserted: 0, deleted: 0 };
const sum = (a: BulkWriteResult, b: BulkWriteResult): BulkWriteResult =>
  ({ matched: a.matched + b.matched, modified: a.modified + b.modified, upserted: a.upserted + b.upserted, deleted: a.deleted + b.deleted });

/** The null and [] values of an upsert's `$setOnInsert`: what FerretDB would leave out. */
function emptyOnInsert(operation: WriteOperation): Record<string, unknown> | null {
  if (!('updateOne' in operation) || !operation.updateOne.upsert || !operation.updateOne.update.$setOnInsert) return null;
  const empty = Object.entries(operation.updateOne.update.$setOnInsert).filter(([, value]) => value === null || (Array.isArray(value) && value.length === 0));
  return empty.length > 0 ? Object.fromEntries(empty) : null;
}

class MongoReadCollection<T extends Document> implements ReadCollection<T> {
  /** `db` is asked on every operation: the store may have replaced its client since (MongoReadStore.reconnect). */
  constructor(private readonly db: () => Db, readonly name: string, private readonly quirks: Quirks) {}

  private get collection() {
    return this.db().collection<Record<string, unknown>>(this.name);
  }

  async find(filter: Filter = {}, options: FindOptions = {}): Promise<T[]> {
    let cursor = this.collection.find(options.after && options.sort ? { $and: [filter, afterFilter(options.sort, options.after)] } : filter);
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return (await cursor.toArray()) as unknown as T[];
  }

  async findOne(filter: Filter): Promise<T | null> {
    return (await this.collection.findOne(filter)) as unknown as T | null;
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return this.collection.countDocuments(filter);
  }

  async bulkWrite(operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    try {
      return this.quirks.setOnInsertDropsEmpty ? await this.writeAroundEmptyOnInsert(operations) : await this.write(operations);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError(this.name, (error as MongoServerError).keyValue ?? null);
      throw error;
    }
  }

  /** The operations as one ordered bulk write, inside `session`'s transaction when given (writeTogether). */
  async bulkWriteIn(session: ClientSession, operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    try {
      return await this.write(operations, session);
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError(this.name, (error as MongoServerError).keyValue ?? null);
      throw error;
    }
  }

  private async write(operations: readonly WriteOperation[], session?: ClientSession): Promise<BulkWriteResult> {
    if (operations.length === 0) return NO_WRITES;
    const result = await this.collection.bulkWrite(operations as unknown as AnyBulkWriteOperation<Record<string, unknown>>[], { ordered: true, ...(session ? { session } : {}) });
    return { matched: result.matchedCount, modified: result.modifiedCount, upserted: result.upsertedCount, deleted: result.deletedCount };
  }

  /**
   * FerretDB: each upsert whose `$setOnInsert` holds null or [] runs on its own, and if it inserted, the
   * values it left out are set on that document, so it holds what MongoDB would have inserted. (Not atomic:
   * for tests and small installs only, like the rename fallback below.)
   */
  private async writeAroundEmptyOnInsert(operations: readonly WriteOperation[]): Promise<BulkWriteResult> {
    let total = NO_WRITES;
    let start = 0;
    for (const [index, operation] of operations.entries()) {
      const empty = emptyOnInsert(operation);
      if (empty === null || !('updateOne' in operation)) continue;
      total = sum(total, await this.write(operations.slice(start, index)));
      start = index + 1;
      const { filter, update } = operation.updateOne;
      const result = await this.collection.updateOne(filter, update as UpdateFilter<Record<string, unknown>>, { upsert: true });
      total = sum(total, { matched: result.matchedCount, modified: result.modifiedCount, upserted: result.upsertedCount, deleted: 0 });
      if (result.upsertedId !== null) {
        const missing = Object.keys(empty).map((field) => ({ [field]: { $exists: false } }));
        await this.collection.updateOne({ _id: result.upsertedId, $and: missing }, { $set: empty });
      }
    }
    return sum(total, await this.write(operations.slice(start)));
  }

  async createIndex(index: IndexSpec): Promise<void> {
    await this.collection.createIndex(index.keys, { unique: index.unique ?? false }, undefined);
  }

  async createIndexes(indexes: readonly IndexSpec[]): Promise<void> {
    for (const index of indexes) await this.createIndex(index);
  }

  async drop(): Promise<void> {
    await this.collection.drop().catch((error: unknown) => {
      // Dropping a collection that does not exist is not an error here.
      if (!(error instanceof MongoServerError && error.codeName === 'NamespaceNotFound')) throw error;
    });
  }
}

export class MongoReadStore implements ReadStore {
  /** On a replica set (as docker-compose runs it), writeTogether is one transaction: all or nothing, as on the embedded store. */
  readonly writesTogetherAtomically: boolean;

  private constructor(
    private client: MongoClient,
    private readonly url: string,
    private readonly databaseName: string,
    private readonly serverSelectionTimeoutMS: number,
    private readonly quirks: Quirks,
  ) {
    this.writesTogetherAtomically = quirks.transactions;
  }

  private get db(): Db {
    return this.client.db(this.databaseName);
  }

  private static newClient(url: string, serverSelectionTimeoutMS: number): MongoClient {
    return new MongoClient(url, {
      serverSelectionTimeoutMS, socketTimeoutMS: OPERATION_TIMEOUT_MS, waitQueueTimeoutMS: OPERATION_TIMEOUT_MS, writeConcern: { w: 'majority' },
    });
  }

  static async connect(url: string, databaseName = 'rujukan', serverSelectionTimeoutMS = 5_000): Promise<MongoReadStore> {
    const client = MongoReadStore.newClient(url, serverSelectionTimeoutMS);
    await client.connect();
    // FerretDB says who it is in buildInfo; a replica set member names its set in hello, a mongos says isdbgrid.
    const ferretDb = 'ferretdbVersion' in (await client.db('admin').command({ buildInfo: 1 }));
    const hello = await client.db('admin').command({ hello: 1 });
    const transactions = !ferretDb && (typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid');
    return new MongoReadStore(client, url, databaseName, serverSelectionTimeoutMS, { setOnInsertDropsEmpty: ferretDb, transactions });
  }

  /**
   * Replaces the driver's client with a new one (the circuit breaker's last resort when the server has stayed
   * unreachable for long): a client whose pool or monitor got stuck while the server went away and came back
   * then recovers too. Operations still running on the old client fail as unreachable, and are retried.
   */
  reconnect(): void {
    const old = this.client;
    this.client = MongoReadStore.newClient(this.url, this.serverSelectionTimeoutMS);
    void old.close(true).catch(() => undefined);
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    return new MongoReadCollection<T>(() => this.db, name, this.quirks);
  }

  /**
   * On a replica set, one transaction (retried by the driver on a transient transaction error): a projection's
   * batch, its checkpoint and its lease check are all or nothing. Without transactions (a standalone server,
   * FerretDB) one ordered bulkWrite after the other: each projection orders its writes so that a cut between two
   * is repaired by the replay, and a runner's lease check goes first (see `writesTogetherAtomically`).
   */
  async writeTogether(writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> {
    if (!this.quirks.transactions) {
      const results: BulkWriteResult[] = [];
      for (const { collection, operations } of writes) results.push(await this.collection(collection).bulkWrite(operations));
      return results;
    }
    return this.client.withSession((session) => session.withTransaction(async () => {
      const results: BulkWriteResult[] = [];
      for (const { collection, operations } of writes) {
        results.push(await new MongoReadCollection(() => this.db, collection, this.quirks).bulkWriteIn(session, operations));
      }
      return results;
    }));
  }

  async renameCollection(from: string, to: string): Promise<void> {
    // A collection never written does not exist: renaming it would fail (NamespaceNotFound); it is empty.
    if ((await this.db.listCollections({ name: from }, { nameOnly: true }).toArray()).length === 0) {
      await this.collection(to).drop();
      return;
    }
    try {
      await this.db.renameCollection(from, to, { dropTarget: true });
    } catch (error) {
      // FerretDB 1.x lacks dropTarget: drop, then rename (not atomic, so for tests and small installs only).
      if (!(error instanceof MongoServerError && error.codeName === 'NotImplemented')) throw error;
      await this.collection(to).drop();
      await this.db.renameCollection(from, to);
    }
  }

  async listCollections(): Promise<string[]> {
    return (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((collection) => collection.name).sort();
  }

  /** Removes the whole database: for test runs, which each get their own. */
  async dropDatabase(): Promise<void> {
    await this.db.dropDatabase();
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
