/**
 * One read of the log shared by several scratch builds (`projections rebuild` of every projection, rebuild.ts):
 * each build subscribes through a reader of its own and sees what a subscription from the start would show it
 * (the events its filter takes, checkpoints past those it skips), while the log is read, parsed and upcast once.
 *
 * Memory stays bounded: the messages between the slowest reader and the fastest are kept, at most `window` of
 * them (and one fetch's more); a reader that far ahead waits for the slowest. A reader that leaves (its build
 * ended or failed) no longer holds the others back. Only a reader's first subscription, from the start, shares
 * the pass; any other (a runner subscribing again from its checkpoint after a failure) reads the log by itself,
 * as it would alone.
 */
import { EventStoreDecorator } from '../event-store/event-store-decorator.js';
import {
  matchesFilter, type EventFilter, type EventStore, type SubscribeToAllOptions, type Subscription, type SubscriptionMessage,
} from '../event-store/event-store.port.js';

/** Messages kept between the slowest reader and the fastest: a few scratch batches' worth. */
const WINDOW = 4_000;
/** Read messages are dropped in runs of this many, not one by one. */
const TRIM = 500;
/** Messages read from the log at a time: a reader at the end waits once for as many, not once per message. */
const FETCH = 100;

export class SharedLogPass {
  /** Messages from index `base` on, in log order. */
  private buffer: SubscriptionMessage[] = [];
  private base = 0;
  private ended = false;
  private source: AsyncIterator<SubscriptionMessage> | null = null;
  private sourceSubscription: Subscription | null = null;
  private fetching: Promise<void> | null = null;
  /** Each reader still in the pass, by the index of the next message it reads. */
  private readonly cursors = new Map<symbol, number>();
  /** The smallest of the cursors (the end of what was read when no reader is left), kept up to date by trim. */
  private slowest = 0;
  private waiting: (() => void)[] = [];

  /** `inner` must end by itself (a log cut at a position): the pass reads it to its end. */
  constructor(private readonly inner: EventStore, private readonly window = WINDOW) {}

  /**
   * A reader for one build: an event store whose first subscription from the start shares the pass. Every
   * reader must be made before any of them reads (the pass keeps each message until all have read it), and
   * left once its build ends.
   */
  reader(): EventStore & { leave(): void } {
    const slot = Symbol('reader');
    this.cursors.set(slot, 0);
    let subscribed = false;
    const pass = this;
    return new (class extends EventStoreDecorator {
      override subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
        const fromStart = options.fromPosition === undefined || options.fromPosition === 'start';
        if (subscribed || !fromStart || !pass.cursors.has(slot)) return this.inner.subscribeToAll(options);
        subscribed = true;
        return pass.subscription(slot, options.filter);
      }

      leave(): void {
        pass.leave(slot);
      }
    })(this.inner);
  }

  private leave(slot: symbol): void {
    if (!this.cursors.delete(slot)) return;
    this.trim();
    // Its own wait included: a reader closed while it waits for the slowest ends.
    this.wakeAll();
    if (this.cursors.size === 0) void this.sourceSubscription?.close();
  }

  private subscription(slot: symbol, filter: EventFilter | undefined): Subscription {
    const pass = this;
    async function* messages(): AsyncGenerator<SubscriptionMessage, void, undefined> {
      // The last event skipped by the filter since the last message: reported as a checkpoint before waiting.
      let skipped: bigint | null = null;
      try {
        for (;;) {
          const cursor = pass.cursors.get(slot);
          if (cursor === undefined) return;
          const message = pass.buffer[cursor - pass.base];
          if (message === undefined) {
            if (skipped !== null) {
              yield { type: 'checkpoint', position: skipped };
              skipped = null;
              continue;
            }
            if (pass.ended) return;
            await pass.more(slot);
            continue;
          }
          pass.advance(slot, cursor + 1);
          if (message.type === 'event' && !matchesFilter(filter, message.event)) {
            skipped = message.event.position;
            continue;
          }
          skipped = null;
          yield message;
        }
      } finally {
        pass.leave(slot);
      }
    }
    const iterator = messages();
    return {
      [Symbol.asyncIterator]: () => iterator,
      close: async () => {
        this.leave(slot);
        await iterator.return(undefined);
      },
    };
  }

  private advance(slot: symbol, cursor: number): void {
    this.cursors.set(slot, cursor);
    // Only a reader that was the slowest can move the slowest cursor on: the others need not look (a look for
    // every reader and message added up).
    if (cursor - 1 === this.slowest) this.trim();
  }

  /** Drops what every reader has read (a page at a time); wakes the readers that waited for the slowest. */
  private trim(): void {
    const end = this.base + this.buffer.length;
    const slowest = Math.min(...this.cursors.values(), end);
    this.slowest = slowest;
    if (slowest - this.base >= TRIM || slowest === end) {
      this.buffer = this.buffer.slice(slowest - this.base);
      this.base = slowest;
    }
    if (this.waiting.length > 0 && end - slowest < this.window) this.wakeAll();
  }

  private wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /** Waits until the reader at `slot`, at the end of what was read, can be given more: read further, or the end. */
  private async more(slot: symbol): Promise<void> {
    if (this.base + this.buffer.length - this.slowest >= this.window && this.cursors.get(slot)! > this.slowest) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      return;
    }
    this.fetching ??= this.fetch().finally(() => (this.fetching = null));
    await this.fetching;
  }

  private async fetch(): Promise<void> {
    if (!this.source) {
      this.sourceSubscription = this.inner.subscribeToAll({ fromPosition: 'start' });
      this.source = this.sourceSubscription[Symbol.asyncIterator]();
    }
    for (let fetched = 0; fetched < FETCH; fetched++) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return;
      }
      this.buffer.push(next.value);
    }
  }
}
