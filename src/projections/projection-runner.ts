/**
 * Runs one projection: catch up from its checkpoint through subscribeToAll, then follow live events,
 * applying bounded batches (one bulkWrite per collection) and storing the checkpoint after each batch.
 * A failing batch stops the projection and is reported; no event is ever skipped.
 */
import { Logger } from '@nestjs/common';
import type { EventStore, RecordedEvent, Subscription, SubscriptionMessage } from '../event-store/event-store.port.js';
import { logged } from '../core/error-log.js';
import type { Document, ReadStore } from '../read-store/read-store.port.js';
import type { Projection, ViewCollections } from './projection.js';

export const CHECKPOINTS = 'projection_checkpoints';
const NOT_READY = Symbol('not ready');

interface CheckpointDocument extends Document {
  readonly position: string;
  readonly updatedAt: string;
}

export interface ProjectionStatus {
  readonly name: string;
  /** Position of the last event applied (or read past), null before the first. */
  readonly position: string | null;
  readonly caughtUp: boolean;
  readonly running: boolean;
  readonly eventsApplied: number;
  /** When the last applied event was recorded in the log. */
  readonly lastEventRecordedAt: string | null;
  readonly error: string | null;
}

export interface RunnerOptions {
  readonly batchSize?: number;
  /** Maps logical collection names to physical ones (a rebuild writes into scratch collections). */
  readonly collectionName?: (logical: string) => string;
  /** Where the checkpoint is kept (a rebuild keeps its own). */
  readonly checkpointId?: string;
}

export class ProjectionRunner {
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly collectionName: (logical: string) => string;
  private readonly checkpointId: string;
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private position: bigint | null = null;
  private caughtUp = false;
  private eventsApplied = 0;
  private lastEventRecordedAt: Date | null = null;
  private error: Error | null = null;
  private waiters: { position: bigint; resolve: () => void }[] = [];

  constructor(
    readonly projection: Projection,
    private readonly events: EventStore,
    private readonly views: ReadStore,
    options: RunnerOptions = {},
  ) {
    this.logger = new Logger(`Projection ${projection.name}`);
    this.batchSize = options.batchSize ?? 500;
    this.collectionName = options.collectionName ?? ((logical) => logical);
    this.checkpointId = options.checkpointId ?? projection.name;
  }

  get collections(): ViewCollections {
    return { collection: (name) => this.views.collection(this.collectionName(name)) };
  }

  async start(): Promise<void> {
    if (this.loop) return;
    for (const [name, indexes] of Object.entries(this.projection.collections)) {
      for (const index of indexes) await this.views.collection(this.collectionName(name)).createIndex(index);
    }
    const stored = await this.views.collection<CheckpointDocument>(CHECKPOINTS).findOne({ _id: this.checkpointId });
    this.position = stored ? BigInt(stored.position) : null;
    this.error = null;
    this.caughtUp = false;
    const subscription = this.events.subscribeToAll({ fromPosition: this.position ?? 'start', ...(this.projection.filter ? { filter: this.projection.filter } : {}) });
    this.subscription = subscription;
    this.loop = this.run(subscription).catch(async (error: unknown) => {
      this.error = error instanceof Error ? error : new Error(String(error));
      const [summary, frames] = logged(this.error);
      this.logger.error(`stopped at position ${this.position ?? 'start'}: ${summary}`, frames);
      // Nobody reads it any more: left open, its pending pull would keep polling the store, and a later
      // start() would replace it without stop() ever closing it.
      await subscription.close();
    }).finally(() => {
      this.loop = null;
      this.releaseWaiters();
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = null;
  }

  status(): ProjectionStatus {
    return {
      name: this.projection.name,
      position: this.position?.toString() ?? null,
      caughtUp: this.caughtUp,
      running: this.loop !== null,
      eventsApplied: this.eventsApplied,
      lastEventRecordedAt: this.lastEventRecordedAt?.toISOString() ?? null,
      error: this.error?.message ?? null,
    };
  }

  /**
   * Resolves true once the projection has applied everything up to `position`; false if it stops first or
   * `timeoutMs` passes (the waiter is then forgotten, so abandoned waits do not pile up).
   */
  reached(position: bigint, timeoutMs = Infinity): Promise<boolean> {
    if (this.position !== null && this.position >= position) return Promise.resolve(true);
    if (!this.loop) return Promise.resolve(false);
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
    });
  }

  private async run(subscription: Subscription): Promise<void> {
    const iterator = subscription[Symbol.asyncIterator]();
    let next = iterator.next();
    for (;;) {
      let result: IteratorResult<SubscriptionMessage> | typeof NOT_READY = await next;
      const batch: RecordedEvent[] = [];
      let upTo: bigint | null = null;
      // Gather what is already available, up to the batch size; never wait for more once something is in hand.
      while (result !== NOT_READY) {
        if (result.done) {
          await this.commit(batch, upTo);
          return;
        }
        const message = result.value;
        if (message.type === 'event') {
          batch.push(message.event);
          upTo = message.event.position;
        } else if (message.type === 'checkpoint') {
          upTo = message.position;
        }
        next = iterator.next();
        if (message.type === 'caughtUp') {
          this.caughtUp = true;
          break;
        }
        if (batch.length >= this.batchSize) break;
        result = await Promise.race([next, new Promise<typeof NOT_READY>((resolve) => setImmediate(() => resolve(NOT_READY)))]);
      }
      await this.commit(batch, upTo);
      this.releaseWaiters();
    }
  }

  private async commit(batch: readonly RecordedEvent[], upTo: bigint | null): Promise<void> {
    const writes = batch.length > 0 ? await this.projection.project(batch, this.collections) : [];
    // The views' writes, then the checkpoint: in one transaction where the read store has them.
    await this.views.bulkWriteAll([
      ...writes.map(({ collection, operations }) => ({ collection: this.collectionName(collection), operations })),
      ...(upTo === null ? [] : [{ collection: CHECKPOINTS, operations: [{
        replaceOne: { filter: { _id: this.checkpointId }, replacement: { _id: this.checkpointId, position: upTo.toString(), updatedAt: new Date().toISOString() }, upsert: true },
      }] }]),
    ]);
    if (batch.length > 0) {
      this.eventsApplied += batch.length;
      this.lastEventRecordedAt = batch[batch.length - 1]!.recordedAt;
    }
    if (upTo !== null) this.position = upTo;
  }

  private releaseWaiters(): void {
    const stopped = this.loop === null;
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (stopped || (this.position !== null && this.position >= waiter.position)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }
}
