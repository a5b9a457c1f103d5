/**
 * A read store that says at once when its server is gone: the first operation that finds it unreachable
 * fails with ReadStoreUnavailableError (503 for reads), and for the next second every operation does too,
 * without waiting for the driver's server-selection timeout each time. After that second, the next
 * operation tries again; the driver reconnects by itself when the server is back.
 */
import {
  ReadStoreUnavailableError, type BulkWriteResult, type CollectionWrites, type Document, type ReadCollection, type ReadStore,
} from './read-store.port.js';

export class CircuitBreakingReadStore implements ReadStore {
  private openUntil = 0;
  /** Since when every operation that reached the driver found the server unreachable (null: the last one did not). */
  private unreachableSince: number | null = null;

  constructor(
    private readonly inner: ReadStore & { reconnect?: () => void },
    /** The adapter's own test of an error meaning "the server cannot be reached". */
    private readonly isUnreachable: (error: unknown) => boolean,
    private readonly openMs = 1_000,
    /** Unreachable this long without a single success: the adapter is asked to replace its client, then again after as long. */
    private readonly reconnectAfterMs = 20_000,
  ) {}

  get writesTogetherAtomically(): boolean {
    return this.inner.writesTogetherAtomically;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    if (Date.now() < this.openUntil) throw new ReadStoreUnavailableError('The read store is unreachable; retry shortly');
    try {
      const result = await work();
      this.unreachableSince = null;
      return result;
    } catch (error) {
      if (!this.isUnreachable(error)) {
        this.unreachableSince = null;
        throw error;
      }
      const now = Date.now();
      this.unreachableSince ??= now;
      if (now - this.unreachableSince >= this.reconnectAfterMs && this.inner.reconnect) {
        this.inner.reconnect();
        this.unreachableSince = now;
      }
      this.openUntil = now + this.openMs;
      throw new ReadStoreUnavailableError('The read store is unreachable; retry shortly', { cause: error });
    }
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    const collection = this.inner.collection<T>(name);
    return {
      name: collection.name,
      find: (filter, options) => this.guarded(() => collection.find(filter, options)),
      findOne: (filter) => this.guarded(() => collection.findOne(filter)),
      countDocuments: (filter) => this.guarded(() => collection.countDocuments(filter)),
      bulkWrite: (operations) => this.guarded(() => collection.bulkWrite(operations)),
      createIndex: (index) => this.guarded(() => collection.createIndex(index)),
      createIndexes: (indexes) => this.guarded(() => collection.createIndexes(indexes)),
      drop: () => this.guarded(() => collection.drop()),
    };
  }

  writeTogether(writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> {
    return this.guarded(() => this.inner.writeTogether(writes));
  }

  renameCollection(from: string, to: string): Promise<void> {
    return this.guarded(() => this.inner.renameCollection(from, to));
  }

  listCollections(): Promise<string[]> {
    return this.guarded(() => this.inner.listCollections());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
