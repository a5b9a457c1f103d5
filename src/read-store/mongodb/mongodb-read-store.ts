/** The production read store: MongoDB through the official driver. The port is MongoDB-shaped, so this stays thin. */
import { MongoBulkWriteError, MongoClient, MongoServerError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import {
  DuplicateKeyError, type BulkWriteResult, type Document, type Filter, type FindOptions, type IndexSpec, type ReadCollection,
  type ReadStore, type WriteOperation,
} from '../read-store.port.js';

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return (error instanceof MongoServerError || error instanceof MongoBulkWriteError) && error.code === DUPLICATE_KEY;
}

class MongoReadCollection<T extends Document> implements ReadCollection<T> {
  constructor(private readonly db: Db, readonly name: string) {}

  private get collection() {
    return this.db.collection<Record<string, unknown>>(this.name);
  }

  async find(filter: Filter = {}, options: FindOptions = {}): Promise<T[]> {
    let cursor = this.collection.find(filter);
    if (options.sort) cursor = cursor.sort(options.sort as Record<string, 1 | -1>);
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
    if (operations.length === 0) return { matched: 0, modified: 0, upserted: 0, deleted: 0 };
    try {
      const result = await this.collection.bulkWrite(operations as unknown as AnyBulkWriteOperation<Record<string, unknown>>[], { ordered: true });
      return { matched: result.matchedCount, modified: result.modifiedCount, upserted: result.upsertedCount, deleted: result.deletedCount };
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError(this.name, (error as MongoServerError).keyValue ?? null);
      throw error;
    }
  }

  async createIndex(index: IndexSpec): Promise<void> {
    await this.collection.createIndex(index.keys as Record<string, 1 | -1>, { unique: index.unique ?? false });
  }

  async drop(): Promise<void> {
    await this.collection.drop().catch((error: unknown) => {
      // Dropping a collection that does not exist is not an error here.
      if (!(error instanceof MongoServerError && error.codeName === 'NamespaceNotFound')) throw error;
    });
  }
}

export class MongoReadStore implements ReadStore {
  private constructor(private readonly client: MongoClient, private readonly db: Db) {}

  static async connect(url: string, databaseName = 'rujukan'): Promise<MongoReadStore> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000, writeConcern: { w: 'majority' } });
    await client.connect();
    return new MongoReadStore(client, client.db(databaseName));
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    return new MongoReadCollection<T>(this.db, name);
  }

  async renameCollection(from: string, to: string): Promise<void> {
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
