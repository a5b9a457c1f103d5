/**
 * A catch-up subscription to `$all` on EventStoreDB, in the port's terms: one ordered, pulled sequence of
 * events, checkpoints and a single caught-up signal, which outlives dropped connections.
 *
 * The client hands events over as a readable stream but reports checkpoints and "caught up" through
 * callbacks, which can run while earlier events still wait in the stream's buffer. Each of those signals is
 * therefore tagged with the number of events the client had decoded when it arrived, and released only once
 * the consumer has taken that many: the three kinds come out in the server's order.
 *
 * Filtering happens in two places. The server keeps only the service's own streams (and sends checkpoints
 * while it skips other applications' events); this side applies the consumer's own filter and turns every
 * event it skips into a checkpoint at once. So a consumer that wants none of a command's events still
 * passes its position right away, and read-your-writes never waits for the server's next checkpoint.
 *
 * After a drop it subscribes again, with backoff, after the last position it handed over (an event's or a
 * checkpoint's), so nothing is missed and nothing is delivered twice.
 */
import {
  excludeSystemEvents,
  streamNameFilter,
  START,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
  type Position,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError,
  matchesFilter,
  type EventFilter,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionMessage,
} from '../event-store.port.js';
import { toRecorded, unavailable } from './eventstoredb-mapping.js';

export interface SubscriptionSettings {
  /** Every stream the service writes starts with one of these; without them the server only drops its own events. */
  readonly serviceStreamPrefixes?: readonly string[];
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly onClose: () => void;
}

/** One connection's subscription, with the signals waiting for their turn. */
interface Attempt {
  stream: AllStreamSubscription;
  readonly signals: Array<{ readonly afterEvents: number; readonly message: SubscriptionMessage }>;
  decoded: number;
  taken: number;
  failure: unknown;
  ended: boolean;
}

export class EventStoreDbSubscription implements Subscription {
  private attempt: Attempt | null = null;
  /** Exclusive: the last position handed to the consumer. */
  private resumeAfter: bigint | 'start';
  private caughtUpSent = false;
  private closed = false;
  private backoff: number;
  private wake: (() => void) | null = null;
  /** How many times the subscription reconnected after a drop (for tests and metrics). */
  reconnections = 0;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly settings: SubscriptionSettings,
  ) {
    this.resumeAfter = options.fromPosition ?? 'start';
    this.backoff = settings.backoffMs;
  }

  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage> {
    return this.messages();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notify();
    const attempt = this.attempt;
    this.attempt = null;
    if (attempt) await attempt.stream.unsubscribe();
    this.settings.onClose();
  }

  private async *messages(): AsyncGenerator<SubscriptionMessage> {
    try {
      for (;;) {
        const message = await this.next();
        if (message === null) return;
        yield message;
      }
    } finally {
      await this.close();
    }
  }

  private async next(): Promise<SubscriptionMessage | null> {
    for (;;) {
      if (this.closed) return null;
      const attempt = (this.attempt ??= this.subscribe());

      const signal = attempt.signals[0];
      if (signal && signal.afterEvents <= attempt.taken) {
        attempt.signals.shift();
        const message = this.accept(signal.message);
        if (message) return message;
        continue;
      }

      const resolved = attempt.stream.read() as AllStreamResolvedEvent | null;
      if (resolved !== null) {
        attempt.taken += 1;
        this.backoff = this.settings.backoffMs;
        const event = toRecorded(resolved);
        if (!event || (this.resumeAfter !== 'start' && event.position <= this.resumeAfter)) continue;
        this.resumeAfter = event.position;
        return matchesFilter(this.options.filter, event) ? { type: 'event', event } : { type: 'checkpoint', position: event.position };
      }

      if (attempt.failure !== null || attempt.ended) {
        const error = unavailable(attempt.failure ?? new EventStoreUnavailableError('The subscription was ended by the server'));
        if (!(error instanceof EventStoreUnavailableError)) throw error;
        await this.resubscribeLater(attempt);
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Drops checkpoints that would not move the consumer forward, and every caught-up after the first. */
  private accept(message: SubscriptionMessage): SubscriptionMessage | null {
    if (message.type === 'checkpoint') {
      if (this.resumeAfter !== 'start' && message.position <= this.resumeAfter) return null;
      this.resumeAfter = message.position;
      return message;
    }
    if (message.type === 'caughtUp') {
      if (this.caughtUpSent) return null;
      this.caughtUpSent = true;
      return { type: 'caughtUp', position: this.resumeAfter === 'start' ? null : this.resumeAfter };
    }
    return message;
  }

  private subscribe(): Attempt {
    const from = this.resumeAfter;
    const attempt: Attempt = { stream: undefined as never, signals: [], decoded: 0, taken: 0, failure: null, ended: false };
    // A dropped attempt's late callbacks must not wake the consumer (or cut a backoff short).
    const notify = (): void => {
      if (this.attempt === attempt) this.notify();
    };
    const signal = (message: SubscriptionMessage): void => {
      attempt.signals.push({ afterEvents: attempt.decoded, message });
      notify();
    };
    const stream = this.client.subscribeToAll({
      fromPosition: from === 'start' ? START : { commit: from, prepare: from },
      filter: serverFilter(this.settings.serviceStreamPrefixes, this.options.filter, (_subscription, position: Position) => signal({ type: 'checkpoint', position: position.commit })),
    });
    // Counts the events the client decodes, in the order it pushes them into the stream (see the top comment).
    const internals = stream as unknown as { convertGrpcEvent: (grpcEvent: unknown) => unknown };
    const decode = internals.convertGrpcEvent;
    // Without it, signals could overtake buffered events: refuse to run on a client that changed this.
    if (typeof decode !== 'function') throw new Error('@eventstore/db-client no longer exposes convertGrpcEvent on subscriptions; see eventstoredb-subscription.ts');
    internals.convertGrpcEvent = (grpcEvent) => {
      attempt.decoded += 1;
      return decode(grpcEvent);
    };
    stream.on('caughtUp', () => signal({ type: 'caughtUp', position: null }));
    stream.on('readable', notify);
    stream.on('error', (error: unknown) => {
      attempt.failure = error;
      notify();
    });
    stream.on('end', () => {
      attempt.ended = true;
      notify();
    });
    attempt.stream = stream;
    return attempt;
  }

  private async resubscribeLater(attempt: Attempt): Promise<void> {
    this.attempt = null;
    void attempt.stream.unsubscribe().catch(() => undefined);
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.settings.maxBackoffMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (!this.closed) this.reconnections += 1;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/**
 * The server keeps the service's streams (and those the consumer asks for, should they lie outside them);
 * without a list of the service's streams it drops only its own events.
 */
function serverFilter(serviceStreamPrefixes: readonly string[] | undefined, filter: EventFilter | undefined, checkpointReached: Filter['checkpointReached']): Filter {
  if (!serviceStreamPrefixes) return excludeSystemEvents({ checkpointReached });
  const prefixes = new Set([...serviceStreamPrefixes, ...(filter?.streamPrefixes ?? [])]);
  return streamNameFilter({ prefixes: [...prefixes], checkpointReached });
}
