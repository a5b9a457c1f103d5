/**
 * Runs one projection, supervised: catch up from its checkpoint through subscribeToAll, then follow live
 * events, applying bounded batches (every collection's writes and the checkpoint written together).
 *
 * - With a lease (the application's runners), it runs on one replica at a time: elsewhere it stands by and
 *   follows the shared checkpoint, so read-your-writes and the lag still answer there. Every write carries
 *   the lease's fencing token; a write refused by it means the lease was lost, and the runner stands by.
 * - A transient failure (a store unreachable, the subscription dropped) is retried with backoff for as long
 *   as it lasts, from the checkpoint; nothing is skipped. A batch whose write failed that way is retried in
 *   halves (down to one event), and the batch size doubles back with each full batch written: a store too slow to
 *   take a whole batch before the driver's timeout still makes progress, where the same batch retried whole
 *   would time out again and again.
 * - A batch that keeps failing otherwise is applied one event at a time to find the event at fault (the
 *   poison): the events before it are applied, and the projection halts at it, recording its position and
 *   error beside the checkpoint, where `/health/ready`, `/metrics` and `projections status` show it, on every
 *   replica. Only this projection stops. `projections retry <name>` clears the halt; the runner then tries
 *   again from the checkpoint.
 */
import { Logger } from '@nestjs/common';
import { logged } from '../core/error-log.js';
import { EventStoreUnavailableError, type EventStore, type RecordedEvent, type Subscription, type SubscriptionMessage } from '../event-store/event-store.port.js';
import {
  DuplicateKeyError, ReadStoreUnavailableError, type CollectionWrites, type Document, type ReadStore, type WriteOperation,
} from '../read-store/read-store.port.js';
import { fenced, type Lease } from './lease.js';
import type { Projection, ViewCollections } from './projection.js';

export const CHECKPOINTS = 'projection_checkpoints';
const NOT_READY = Symbol('not ready');

/** Where a projection halted: the event it could not apply, and why (the error's name and where it was thrown, never its message, which may quote personal data). */
export interface Halt {
  readonly position: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly error: string;
  readonly frames: string | null;
  readonly at: string;
}

export interface CheckpointDocument extends Document {
  /** Absent when the projection halted before its first checkpoint. */
  readonly position?: string;
  readonly updatedAt: string;
  readonly halted?: Halt;
}

/**
 * running: applying the log here; standby: another replica holds the lease; retrying: a failure is being
 * retried; halted: stopped at a poison event until `projections retry`; stopped: not started, or stopped.
 */
export type ProjectionState = 'running' | 'standby' | 'retrying' | 'halted' | 'stopped';

export interface ProjectionStatus {
  readonly name: string;
  /** Position of the last event applied (or read past), null before the first; on standby, the shared checkpoint's. */
  readonly position: string | null;
  readonly caughtUp: boolean;
  /** Keeping the views current, here or on another replica (running, standby or retrying). */
  readonly running: boolean;
  readonly state: ProjectionState;
  readonly eventsApplied: number;
  /** When the last applied event was recorded in the log. */
  readonly lastEventRecordedAt: string | null;
  /** The error being retried, or the one it halted on: its name (and code). */
  readonly error: string | null;
  readonly halted: Halt | null;
  /** Failed attempts since the last success. */
  readonly failures: number;
}

export interface RunnerOptions {
  readonly batchSize?: number;
  /** Maps logical collection names to physical ones (a rebuild writes into scratch collections). */
  readonly collectionName?: (logical: string) => string;
  /** Where the checkpoint is kept (a rebuild keeps its own). */
  readonly checkpointId?: string;
  /** Run only while holding this lease, fencing every write with its token. Without one, it always runs (tests, scratch builds). */
  readonly lease?: Lease;
  /** A fixed fencing token for every write (a rebuild's scratch build, under a token it reserved). */
  readonly fence?: number;
  /** Never run the projection here: only follow the checkpoint another process writes (RUN_PROJECTIONS=false). */
  readonly follower?: boolean;
  /** First wait after a failure; it doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Attempts at a failing batch before looking for the poison event in it. */
  readonly attempts?: number;
  /** How often a runner that does not run here (standby, halted) reads the shared checkpoint and tries the lease. */
  readonly pollMs?: number;
  /** How often a standby runner reads the checkpoint while a read waits for a position (the running replica notices a commit within about as long). */
  readonly watchMs?: number;
  /** Reads this runner's checkpoint together with other runners' while reads wait (instead of one watch of its own, every `watchMs`). */
  readonly checkpoints?: CheckpointWatch;
}

interface Gathered {
  readonly events: readonly RecordedEvent[];
  /** The position everything gathered reaches (an event's or a checkpoint's), null when nothing moved. */
  readonly upTo: bigint | null;
  /** The subscription ended. */
  readonly ended: boolean;
}

/** The lease was taken by another replica: a fenced write was refused, or a renewal was. */
class LeaseLostError extends Error {
  constructor() {
    super('The projection lease was taken over by another runner');
    this.name = 'LeaseLostError';
  }
}

/** Failures worth waiting out: a store that cannot be reached, a database busy with another process. */
export function isTransient(error: unknown): boolean {
  return error instanceof ReadStoreUnavailableError || error instanceof EventStoreUnavailableError
    || /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown } | null)?.code ?? ''));
}

export class ProjectionRunner {
  private readonly logger: Logger;
  private readonly batchSize: number;
  /** The most events the next batch gathers: halved after a batch's write failed transiently, doubled back after each full one written. */
  private limit: number;
  private readonly collectionName: (logical: string) => string;
  readonly checkpointId: string;
  private readonly lease: Lease | null;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly attempts: number;
  private readonly pollMs: number;
  private readonly checkpoints: CheckpointWatch;
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private state: ProjectionState = 'stopped';
  private position: bigint | null = null;
  private caughtUp = false;
  private eventsApplied = 0;
  private lastEventRecordedAt: Date | null = null;
  private lastError: string | null = null;
  private halt: Halt | null = null;
  private failures = 0;
  /** The fencing token of the current run; set when following, with the lease's token at that moment. */
  private token: number | null = null;
  /** Set by the renewal timer when the lease was lost: the follow loop then stands down. */
  private lostLease = false;
  private waiters: { position: bigint; resolve: () => void }[] = [];
  /** The message asked for but not yet taken: the first of the next batch. */
  private pending: Promise<IteratorResult<SubscriptionMessage>> | null = null;

  constructor(
    readonly projection: Projection,
    private readonly events: EventStore,
    private readonly views: ReadStore,
    private readonly options: RunnerOptions = {},
  ) {
    this.logger = new Logger(`Projection ${projection.name}`);
    this.batchSize = options.batchSize ?? 500;
    this.limit = this.batchSize;
    this.collectionName = options.collectionName ?? ((logical) => logical);
    this.checkpointId = options.checkpointId ?? projection.name;
    this.lease = options.lease ?? null;
    this.retryMs = options.retryMs ?? 200;
    this.maxRetryMs = options.maxRetryMs ?? 5_000;
    this.attempts = options.attempts ?? 3;
    this.pollMs = options.pollMs ?? 1_000;
    this.checkpoints = options.checkpoints ?? new CheckpointWatch(views, options.watchMs ?? 20);
  }

  get collections(): ViewCollections {
    return { collection: (name) => this.views.collection(this.collectionName(name)) };
  }

  /** Starts supervising (idempotent); the runner then runs, stands by or retries by itself until stop(). */
  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.failures = 0;
    this.loop = this.supervise().finally(() => {
      this.loop = null;
      this.state = 'stopped';
      this.releaseWaiters();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.subscription?.close();
    await this.loop;
    await this.checkpoints.settled();
    this.subscription = null;
  }

  status(): ProjectionStatus {
    return {
      name: this.projection.name,
      position: this.position?.toString() ?? null,
      caughtUp: this.caughtUp,
      running: this.state === 'running' || this.state === 'standby' || this.state === 'retrying',
      state: this.state,
      eventsApplied: this.eventsApplied,
      lastEventRecordedAt: this.lastEventRecordedAt?.toISOString() ?? null,
      error: this.halt?.error ?? (this.state === 'retrying' ? this.lastError : null),
      halted: this.halt,
      failures: this.failures,
    };
  }

  /**
   * Resolves true once the views have applied everything up to `position` (here, or on the replica running
   * the projection); false if the runner stops first or `timeoutMs` passes (the waiter is then forgotten, so
   * abandoned waits do not pile up).
   */
  reached(position: bigint, timeoutMs = Infinity): Promise<boolean> {
    if (this.position !== null && this.position >= position) return Promise.resolve(true);
    if (!this.loop || this.state === 'halted') return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.position !== null && this.position >= position);
        },
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve(false);
      }, timeoutMs) : undefined;
      this.waiters.push(waiter);
      if (this.state !== 'running') this.checkpoints.watch(this);
    });
  }

  /** The checkpoint as stored: its position and halt, which any replica may have written. */
  async storedCheckpoint(): Promise<CheckpointDocument | null> {
    return this.views.collection<CheckpointDocument>(CHECKPOINTS).findOne({ _id: this.checkpointId });
  }

  // --- supervision ------------------------------------------------------------------------------------

  private async supervise(): Promise<void> {
    await this.createIndexes();
    while (!this.stopping) {
      try {
        if (this.options.follower || (this.lease && !(await this.lease.acquire(new Date())))) {
          this.state = 'standby';
          this.caughtUp = false;
          await this.observe();
          await this.sleep(this.pollMs);
          continue;
        }
        const stored = await this.storedCheckpoint();
        this.observed(stored);
        if (stored?.halted) {
          this.state = 'halted';
          this.releaseWaiters();
          await this.sleep(this.pollMs);
          continue;
        }
        await this.follow(this.position);
      } catch (error) {
        if (this.stopping) break;
        if (error instanceof LeaseLostError) {
          this.logger.warn('another replica took the lease over; standing by');
          continue;
        }
        await this.retryLater(error);
      }
    }
    await this.lease?.release().catch(() => undefined);
  }

  private async retryLater(error: unknown): Promise<void> {
    this.failures++;
    this.state = 'retrying';
    this.caughtUp = false;
    const [summary, frames] = logged(error);
    this.lastError = summary;
    const wait = Math.min(this.retryMs * 2 ** (this.failures - 1), this.maxRetryMs);
    this.logger.warn(`failed at position ${this.position ?? 'start'} (attempt ${this.failures}), retrying in ${wait} ms: ${summary}`, ...(frames && !isTransient(error) ? [frames] : []));
    await this.sleep(wait);
  }

  private async createIndexes(): Promise<void> {
    for (;;) {
      try {
        for (const [name, indexes] of Object.entries(this.projection.collections)) {
          for (const index of indexes) await this.views.collection(this.collectionName(name)).createIndex(index);
        }
        return;
      } catch (error) {
        if (this.stopping) return;
        await this.retryLater(error);
      }
    }
  }

  /** Follows the log from `from` until stopped, the lease is lost, it halts on a poison event, or a bounded log ends. */
  private async follow(from: bigint | null): Promise<void> {
    const subscription = this.events.subscribeToAll({ fromPosition: from ?? 'start', ...(this.projection.filter ? { filter: this.projection.filter } : {}) });
    this.subscription = subscription;
    this.pending = null;
    this.caughtUp = false;
    this.state = 'running';
    this.token = this.options.fence ?? this.lease?.token ?? null;
    this.lostLease = false;
    const renewal = this.lease ? setInterval(() => void this.renew(subscription), Math.max(50, Math.min(this.lease.ttlMs / 3, 2_000))) : undefined;
    try {
      const iterator = subscription[Symbol.asyncIterator]();
      for (;;) {
        let batch: Gathered;
        try {
          batch = await this.gather(iterator);
        } catch (error) {
          // Reading the log failed: wait it out, then read again from the checkpoint.
          throw isTransient(error) ? error : new EventStoreUnavailableError('The subscription failed', { cause: error });
        }
        if (this.lostLease) throw new LeaseLostError();
        if (this.stopping) return;
        if ((await this.apply(batch)) === 'halted') return;
        if (batch.events.length >= this.limit) this.limit = Math.min(this.batchSize, this.limit * 2);
        this.state = 'running';
        this.failures = 0;
        this.releaseWaiters();
        if (batch.ended) {
          // Only a log cut at a position (a scratch build) ends by itself: the work is done.
          this.stopping = true;
          return;
        }
        // One turn of the event loop per batch: the gather's timer fires (and lets its batch go), and requests
        // and timers run during a long catch-up, which otherwise resolves in microtasks alone.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      clearInterval(renewal);
      this.subscription = null;
      await subscription.close();
    }
  }

  /** Keeps the lease; once another replica has it (or it was taken anew), stops following: its writes would be refused. */
  private async renew(subscription: Subscription): Promise<void> {
    try {
      if (await this.lease!.acquire(new Date()) && this.lease!.token === this.token) return;
    } catch {
      // The read store is unreachable: the batch writes fail too and are retried; the fence guards the rest.
      return;
    }
    this.lostLease = true;
    await subscription.close();
  }

  /**
   * The next batch: waits for a first message, then takes whatever else is already available, up to the batch
   * size, without waiting for more. "Already available" means before one timer turn (a single setImmediate per
   * batch); the message asked for last is carried to the next batch.
   */
  private async gather(iterator: AsyncIterator<SubscriptionMessage>): Promise<Gathered> {
    const events: RecordedEvent[] = [];
    let upTo: bigint | null = null;
    let result: IteratorResult<SubscriptionMessage> | typeof NOT_READY = await (this.pending ?? iterator.next());
    this.pending = null;
    const turn = new Promise<typeof NOT_READY>((resolve) => setImmediate(resolve, NOT_READY));
    for (;;) {
      if (result === NOT_READY) return { events, upTo, ended: false };
      if (result.done) return { events, upTo, ended: true };
      const message = result.value;
      if (message.type === 'event') {
        events.push(message.event);
        upTo = message.event.position;
      } else if (message.type === 'checkpoint') {
        upTo = message.position;
      }
      this.pending = iterator.next();
      if (message.type === 'caughtUp') {
        this.caughtUp = true;
        return { events, upTo, ended: false };
      }
      if (events.length >= this.limit) return { events, upTo, ended: false };
      result = await Promise.race([this.pending, turn]);
      if (result !== NOT_READY) this.pending = null;
    }
  }

  /** Applies a batch, retrying it; a batch that keeps failing is applied event by event to find the poison. */
  private async apply(batch: Gathered): Promise<'applied' | 'halted'> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.commit(batch.events, batch.upTo);
        return 'applied';
      } catch (error) {
        if (this.stopping || error instanceof LeaseLostError) throw error;
        if (isTransient(error)) {
          // Read again from the checkpoint, in a smaller batch: this one may be too much for the store to take in time.
          this.limit = Math.max(1, Math.min(this.limit, batch.events.length) >> 1);
          throw error;
        }
        // A holder that lost the lease may have read collections a rebuild was switching: not the batch's fault.
        if (this.lease && !(await this.lease.stillHeld())) throw new LeaseLostError();
        if (attempt >= this.attempts) return this.isolate(batch, error);
        this.failures++;
        this.state = 'retrying';
        this.lastError = logged(error)[0];
        await this.sleep(Math.min(this.retryMs * 2 ** (attempt - 1), this.maxRetryMs));
        if (this.stopping) throw error;
      }
    }
  }

  /** Applies the batch's events one at a time up to the one that fails, and halts there. */
  private async isolate(batch: Gathered, batchError: unknown): Promise<'applied' | 'halted'> {
    for (const event of batch.events) {
      try {
        await this.commit([event], event.position);
      } catch (error) {
        if (isTransient(error) || error instanceof LeaseLostError) throw error;
        await this.halted(event, error);
        return 'halted';
      }
    }
    // Every event applied on its own: what failed was the batch as a whole (logged); carry on.
    this.logger.warn(`a batch failed as a whole but each of its events applied alone: ${logged(batchError)[0]}`);
    await this.commit([], batch.upTo);
    return 'applied';
  }

  private async halted(event: RecordedEvent, error: unknown): Promise<void> {
    const [summary, frames] = logged(error);
    const halt: Halt = {
      position: event.position.toString(), eventId: event.id, eventType: event.type, error: summary,
      frames: frames?.split('\n').slice(0, 5).join('\n') ?? null, at: new Date().toISOString(),
    };
    this.logger.error(`halted at position ${halt.position} (event ${halt.eventId}, ${halt.eventType}): ${summary}; fix the cause, then run \`rujukan projections retry ${this.projection.name}\``, frames);
    await this.views.writeTogether([...this.holding(), { collection: CHECKPOINTS, operations: [this.fenced({ updateOne: { filter: { _id: this.checkpointId }, update: { $set: { halted: halt } }, upsert: true } })] }]);
    this.halt = halt;
    this.state = 'halted';
    this.releaseWaiters();
  }

  /** Applies a batch: its views and the checkpoint in one write (atomic on the embedded store). */
  private async commit(batch: readonly RecordedEvent[], upTo: bigint | null): Promise<void> {
    if (batch.length === 0 && upTo === null) return;
    const writes = batch.length > 0 ? await this.projection.project(batch, this.collections) : [];
    const checkpoint: CollectionWrites[] = upTo === null ? [] : [{
      collection: CHECKPOINTS,
      operations: [this.fenced({ updateOne: { filter: { _id: this.checkpointId }, update: { $set: { position: upTo.toString(), updatedAt: new Date().toISOString() } }, upsert: true } })],
    }];
    try {
      await this.views.writeTogether([
        ...this.holding(),
        ...writes.filter(({ operations }) => operations.length > 0)
          .map(({ collection, operations }) => ({ collection: this.collectionName(collection), operations: operations.map((operation) => this.fenced(operation)) })),
        ...checkpoint,
      ]);
    } catch (error) {
      // A batch refused by the lease, or a fenced upsert over a newer holder's document, fails as a duplicate key.
      if (error instanceof DuplicateKeyError && this.lease && !(await this.lease.stillHeld())) throw new LeaseLostError();
      throw error;
    }
    if (batch.length > 0) {
      this.eventsApplied += batch.length;
      this.lastEventRecordedAt = batch[batch.length - 1]!.recordedAt;
    }
    if (upTo !== null) this.position = upTo;
  }

  /**
   * With a lease, the write every batch starts with: it refuses the batch once the lease was taken from this
   * run, before any of its writes. The fence alone would not: a document that does not exist yet is inserted
   * whatever the token, and a rebuild's hand-over switches collections under a holder that has not noticed
   * yet (rebuild.ts).
   */
  private holding(): CollectionWrites[] {
    return this.lease && this.token !== null ? [this.lease.holding(this.token)] : [];
  }

  private fenced(operation: WriteOperation): WriteOperation {
    return this.token === null ? operation : fenced(operation, this.token);
  }

  // --- following the shared checkpoint ------------------------------------------------------------------

  private observed(stored: CheckpointDocument | null): void {
    // A halt recorded before any checkpoint leaves a document without a position.
    this.position = stored?.position === undefined ? null : BigInt(stored.position);
    this.halt = stored?.halted ?? null;
  }

  /** Standing by: takes the position (and any halt) from the checkpoint the running replica writes. */
  private async observe(): Promise<void> {
    this.observed(await this.storedCheckpoint());
    this.releaseWaiters();
  }

  /** Whether reads wait here for a position while another replica runs the projection: then its checkpoint is followed closely. */
  watchesCheckpoint(): boolean {
    return this.waiters.length > 0 && this.state !== 'running' && !this.stopping;
  }

  /** The checkpoint as the watch read it (another replica wrote it). */
  checkpointRead(stored: CheckpointDocument | null): void {
    if (!this.watchesCheckpoint()) return;
    this.observed(stored);
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const stopped = this.loop === null || this.state === 'halted';
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (stopped || (this.position !== null && this.position >= waiter.position)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/**
 * `projections retry <name>`: clears the projection's halt, so that whichever replica runs it tries again from
 * its checkpoint (within its poll interval). False when it had not halted.
 */
export async function clearHalt(views: ReadStore, name: string): Promise<boolean> {
  const result = await views.collection<CheckpointDocument>(CHECKPOINTS).bulkWrite([
    { updateOne: { filter: { _id: name, halted: { $exists: true } }, update: { $unset: { halted: '' } } } },
  ]);
  return result.modified === 1;
}

/**
 * Follows the checkpoints that reads wait for while other processes run their projections: one query for all
 * of them every `intervalMs`, for as long as any read waits (a process serving reads would otherwise poll once
 * per projection).
 */
export class CheckpointWatch {
  private readonly runners = new Set<ProjectionRunner>();
  private loop: Promise<void> | null = null;

  constructor(private readonly views: ReadStore, private readonly intervalMs: number) {}

  /** Reads `runner`'s checkpoint until no read waits for it there. */
  watch(runner: ProjectionRunner): void {
    this.runners.add(runner);
    this.loop ??= this.follow().finally(() => (this.loop = null));
  }

  /** Resolves once no read waits on any of its runners (a stopped runner is no longer read: the runners sharing a watch stop together). */
  async settled(): Promise<void> {
    await this.loop;
  }

  private async follow(): Promise<void> {
    for (;;) {
      for (const runner of this.runners) if (!runner.watchesCheckpoint()) this.runners.delete(runner);
      if (this.runners.size === 0) return;
      const watched = [...this.runners];
      try {
        const ids = watched.map((runner) => runner.checkpointId);
        const stored = new Map((await this.views.collection<CheckpointDocument>(CHECKPOINTS).find({ _id: { $in: ids } })).map((document) => [document._id, document]));
        for (const runner of watched) runner.checkpointRead(stored.get(runner.checkpointId) ?? null);
      } catch {
        // Unreachable for now: the waits time out by themselves.
      }
      if (watched.some((runner) => runner.watchesCheckpoint())) await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }
}
