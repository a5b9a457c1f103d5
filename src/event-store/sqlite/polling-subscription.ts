/**
 * A subscription to `$all` that pulls: it reads one page only when the consumer asks for more, so a slow
 * consumer holds at most one page in memory. When it has read everything it waits for a commit signal
 * from this process, or for the next poll, which is how it notices writes by another process.
 */
import {
  type EventFilter,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionMessage,
} from '../event-store.port.js';

/** Up to a page of the log: the events the filter keeps, decoded, and how far the page read. */
export interface LogPage {
  readonly events: readonly RecordedEvent[];
  /** Rows read, kept or not: fewer than the limit means the page reached the log's end. */
  readonly rows: number;
  /** The position of the last row read, kept or not; null when none was. */
  readonly last: bigint | null;
}

export interface PollableLog {
  /**
   * The events with a position above `position` that `filter` keeps, in global order, among the next `limit`
   * rows: the store tests the filter before decoding a row, so a subscriber pays nothing for the events it skips.
   */
  readAfter(position: bigint, limit: number, filter: EventFilter | undefined): LogPage;
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
        const page = this.log.readAfter(position ?? 0n, this.polling.pageSize, filter);
        for (const event of page.events) yield { type: 'event', event };
        if (page.last !== null) {
          position = page.last;
          // Without this, a consumer whose filter skips a long tail would re-read it after every restart.
          if (page.events.at(-1)?.position !== page.last) yield { type: 'checkpoint', position };
        }
        if (page.rows === this.polling.pageSize) continue;
        if (!caughtUp) {
          caughtUp = true;
          yield { type: 'caughtUp', position };
        } else if (page.rows === 0) {
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
