/**
 * A subscription to `$all` that pulls: it reads one page only when the consumer asks for more, so a slow
 * consumer holds at most one page in memory. When it has read everything it waits for a commit signal
 * from this process, or for the next poll, which is how it notices writes by another process.
 */
import {
  matchesFilter,
  type EventFilter,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionMessage,
} from '../event-store.port.js';

export interface PollableLog {
  /** Up to `limit` events with a position above `position`, in global order. */
  readAfter(position: bigint, limit: number): RecordedEvent[];
  /** Calls `listener` once, after the next commit in this process; returns a function that cancels it. */
  onNextCommit(listener: () => void): () => void;
}

export interface PollingOptions {
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  /** Called when the subscription ends, however it ends; may be called more than once. */
  readonly onEnd: () => void;
}

export class PollingSubscription implements Subscription {
  private closed = false;
  /** Set while the generator waits for new events: calling it ends the wait early. */
  private wake: (() => void) | undefined;
  private readonly messages: AsyncGenerator<SubscriptionMessage, void, undefined>;

  constructor(
    private readonly log: PollableLog,
    options: SubscribeToAllOptions,
    private readonly polling: PollingOptions,
  ) {
    this.messages = this.run(options.fromPosition ?? 'start', options.filter);
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return this.messages;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    // Runs the generator's `finally` even when the consumer stopped pulling; waits for a pending pull to end.
    await this.messages.return(undefined);
    this.polling.onEnd();
  }

  private async *run(from: bigint | 'start', filter: EventFilter | undefined): AsyncGenerator<SubscriptionMessage, void, undefined> {
    // The position of the last event read, delivered or not: the consumer's checkpoint.
    let position: bigint | null = from === 'start' ? null : from;
    let caughtUp = false;
    try {
      while (!this.closed) {
        const page = this.log.readAfter(position ?? 0n, this.polling.pageSize);
        for (const event of page) {
          if (matchesFilter(filter, event)) yield { type: 'event', event };
        }
        const last = page.at(-1);
        if (last) {
          position = last.position;
          // Without this, a consumer whose filter skips a long tail would re-read it after every restart.
          if (!matchesFilter(filter, last)) yield { type: 'checkpoint', position };
        }
        if (page.length === this.polling.pageSize) continue;
        if (!caughtUp) {
          caughtUp = true;
          yield { type: 'caughtUp', position };
        } else if (page.length === 0) {
          // No await between the empty read and registering for the signal, so no commit can slip between.
          await this.waitForCommit();
        }
      }
    } finally {
      this.closed = true;
      this.polling.onEnd();
    }
  }

  private waitForCommit(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        cancel();
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.polling.pollIntervalMs);
      const cancel = this.log.onNextCommit(done);
      this.wake = done;
    });
  }
}
