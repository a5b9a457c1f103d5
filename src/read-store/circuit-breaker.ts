/**
 * A read store that says at once when its server is gone: the first operation that finds it unreachable
 * fails with ReadStoreUnavailableError (503 for reads), and for the next second every operation does too,
 * without waiting for the driver's server-selection timeout each time. After that second, the next
 * operation tries again; the driver reconnects by itself when the server is back.
 *
 * Two last resorts for a client that does not recover by itself: after a long stretch of nothing but
 * "unreachable" the adapter is asked for a new client; and an operation that neither answers nor fails within
 * a deadline (well past the driver's own timeouts) is given up as unreachable, and the client replaced. The
 * outage spec saw one: a projection's write sent as the MongoDB-protocol server went away stayed pending for
 * minutes, and that projection with it, while every other operation had long recovered.
 */
import {
  ReadStoreUnavailableError, type BulkWriteResult, type CollectionWrites, type Document, type ReadCollection, type ReadStore,
} from './read-store.port.js';

export interface BreakerOptions {
  /** After an operation found the server unreachable, every operation fails at once for this long. */
  readonly openMs?: number;
  /** Unreachable this long without a single success: the adapter is asked to replace its client, then again after as long. */
  readonly reconnectAfterMs?: number;
  /** An operation still pending after this long is given up as unreachable and the client replaced. */
  readonly deadlineMs?: number;
}

/** An operation that neither answered nor failed within the deadline. */
export class OperationOverdueError extends Error {
  constructor(deadlineMs: number) {
    super(`The read store did not answer within ${deadlineMs / 1000} s`);
    this.name = 'OperationOverdueError';
  }
}

export class CircuitBreakingReadStore implements ReadStore {
  private openUntil = 0;
  /** Since when every operation that reached the driver found the server unreachable (null: the last one did not). */
  private unreachableSince: number | null = null;

  private readonly openMs: number;
  private readonly reconnectAfterMs: number;
  private readonly deadlineMs: number;

  constructor(
    private readonly inner: ReadStore & { reconnect?: () => void },
    /** The adapter's own test of an error meaning "the server cannot be reached". */
    private readonly isUnreachable: (error: unknown) => boolean,
    options: BreakerOptions = {},
  ) {
    this.openMs = options.openMs ?? 1_000;
    this.reconnectAfterMs = options.reconnectAfterMs ?? 20_000;
    this.deadlineMs = options.deadlineMs ?? 60_000;
  }

  get writesTogetherAtomically(): boolean {
    return this.inner.writesTogetherAtomically;
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    if (Date.now() < this.openUntil) throw new ReadStoreUnavailableError('The read store is unreachable; retry shortly');
    try {
      const result = await this.withinDeadline(work());
      this.unreachableSince = null;
      return result;
    } catch (error) {
      const overdue = error instanceof OperationOverdueError;
      if (!overdue && !this.isUnreachable(error)) {
        this.unreachableSince = null;
        throw error;
      }
      const now = Date.now();
      this.unreachableSince ??= now;
      if ((overdue || now - this.unreachableSince >= this.reconnectAfterMs) && this.inner.reconnect) {
        this.inner.reconnect();
        this.unreachableSince = now;
      }
      this.openUntil = now + this.openMs;
      throw new ReadStoreUnavailableError('The read store is unreachable; retry shortly', { cause: error });
    }
  }

  /** The operation's outcome, or OperationOverdueError once the deadline passes (the operation itself cannot be cancelled; replacing the client ends it). */
  private withinDeadline<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new OperationOverdueError(this.deadlineMs)), this.deadlineMs);
    });
    return Promise.race([operation, overdue]).finally(() => clearTimeout(timer));
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
