/**
 * The production event store: EventStoreDB or KurrentDB through `@eventstore/db-client`.
 * The port was modelled on EventStoreDB, so this adapter only translates names:
 * - an event's position is its `$all` commit position (equal to its prepare position for every append
 *   the gRPC API can make), so a position read back can be handed to the server again as `{ commit, prepare }`;
 * - event ids are sent as they are, so the server deduplicates a retried append (the command path derives
 *   them from the command id);
 * - system events (`$` streams and types) belong to the server and never reach the application.
 * Connection failures surface as EventStoreUnavailableError (503 with Retry-After), never as a hang: every
 * call but a subscription has a deadline, and subscriptions reconnect by themselves.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  WrongExpectedVersionError as ClientWrongExpectedVersionError,
  jsonEvent,
} from '@eventstore/db-client';
import {
  WrongExpectedVersionError,
  isSystemEvent,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
  type Subscription,
} from '../event-store.port.js';
import { isStreamNotFound, toRecorded, unavailable } from './eventstoredb-mapping.js';
import { EventStoreDbSubscription } from './eventstoredb-subscription.js';

export interface EventStoreDbOptions {
  /**
   * Every stream the service writes starts with one of these. Subscriptions ask the server for only these
   * streams, so other applications' events in a shared server cost a checkpoint now and then, not a delivery.
   */
  readonly serviceStreamPrefixes?: readonly string[];
  /** Longest wait for any call but a subscription before it fails as unavailable (default 5 s). */
  readonly deadlineMs?: number;
  /** Events per page when reading `$all` (default 500). */
  readonly pageSize?: number;
  /** First wait before a dropped subscription reconnects; doubles up to `maxBackoffMs` (defaults 100 ms, 5 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly deadline: number;
  private readonly pageSize: number;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  constructor(
    connectionString: string,
    private readonly options: EventStoreDbOptions = {},
  ) {
    this.client = EventStoreDBClient.connectionString(connectionString);
    this.deadline = options.deadlineMs ?? 5_000;
    this.pageSize = options.pageSize ?? 500;
  }

  async append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return this.checkExpectation(streamId, options.expectedRevision);
    try {
      const result = await this.client.appendToStream(
        streamId,
        events.map((event) => jsonEvent({ id: event.id, type: event.type, data: event.data as never, metadata: event.metadata as never })),
        { expectedRevision: options.expectedRevision, deadline: this.deadline },
      );
      // A server may answer an idempotent retry without a position: the stream knows it.
      const position = result.position?.commit ?? (await this.lastEvent(streamId, result.nextExpectedRevision))?.position ?? -1n;
      return { nextRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof ClientWrongExpectedVersionError) {
        throw new WrongExpectedVersionError(streamId, options.expectedRevision, error.actualVersion === 'no_stream' ? 'no_stream' : BigInt(error.actualVersion));
      }
      throw unavailable(error);
    }
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    const direction = options.direction ?? 'forwards';
    const from = options.fromRevision ?? (direction === 'forwards' ? 'start' : 'end');
    const reading = this.client.readStream(streamId, {
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromRevision: from === 'start' ? START : from === 'end' ? END : from,
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      deadline: this.deadline,
    });
    let finished = false;
    try {
      for await (const resolved of reading) {
        const event = toRecorded(resolved);
        if (event) yield event;
      }
      finished = true;
    } catch (error) {
      finished = true;
      if (isStreamNotFound(error)) return;
      throw unavailable(error);
    } finally {
      // A reader that stops early leaves the call open, and the client's dispose() would wait for it forever.
      if (!finished) await reading.cancel();
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let remaining = options.maxCount ?? Infinity;
    let from = options.fromPosition ?? 'start';
    // Pages go on from the last record read (a real record boundary), which is then read again and skipped.
    let readUpTo: bigint | null = null;
    while (remaining > 0) {
      const page = await this.readAllPage(from, 'forwards', this.pageSize);
      for (const event of page.events) {
        if (readUpTo !== null && event.position <= readUpTo) continue;
        if (remaining <= 0) return;
        remaining -= 1;
        yield event;
      }
      if (page.last === null) return;
      from = readUpTo = page.last;
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    const subscription = new EventStoreDbSubscription(this.client, options, {
      ...(this.options.serviceStreamPrefixes ? { serviceStreamPrefixes: this.options.serviceStreamPrefixes } : {}),
      backoffMs: this.options.backoffMs ?? 100,
      maxBackoffMs: this.options.maxBackoffMs ?? 5_000,
      onClose: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint | null> {
    let from: bigint | 'end' = 'end';
    for (;;) {
      const page = await this.readAllPage(from, 'backwards', this.pageSize);
      if (page.events[0]) return page.events[0].position;
      if (page.last === null) return null;
      from = page.last;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /**
   * One page of `$all` without the server's own events. `last` is the position of the last record read
   * (kept or not), null once the end is reached. Forwards reads are inclusive of `from`; backwards reads
   * return what lies before it, as the server does.
   */
  private async readAllPage(from: bigint | 'start' | 'end', direction: 'forwards' | 'backwards', maxCount: number): Promise<{ events: RecordedEvent[]; last: bigint | null }> {
    const events: RecordedEvent[] = [];
    let last: bigint | null = null;
    let read = 0;
    try {
      const reading = this.client.readAll({
        direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
        fromPosition: typeof from === 'bigint' ? { commit: from, prepare: from } : from === 'start' ? START : END,
        maxCount,
        deadline: this.deadline,
      });
      for await (const resolved of reading) {
        read += 1;
        last = resolved.event?.position?.commit ?? resolved.commitPosition ?? last;
        const event = toRecorded(resolved);
        if (event && !isSystemEvent(event)) events.push(event);
      }
    } catch (error) {
      throw unavailable(error);
    }
    return { events, last: read < maxCount ? null : last };
  }

  private async lastEvent(streamId: string, revision: bigint): Promise<RecordedEvent | undefined> {
    for await (const event of this.readStream(streamId, { fromRevision: revision, direction: 'backwards', maxCount: 1 })) return event;
    return undefined;
  }

  /** An empty append writes nothing; it only checks the expectation, as the port promises. */
  private async checkExpectation(streamId: string, expected: ExpectedRevision): Promise<AppendResult> {
    let tail: RecordedEvent | undefined;
    for await (const event of this.readStream(streamId, { direction: 'backwards', maxCount: 1 })) tail = event;
    const actual = tail?.revision ?? 'no_stream';
    const fits = expected === 'any' || (expected === 'no_stream' ? actual === 'no_stream' : expected === 'stream_exists' ? actual !== 'no_stream' : actual === expected);
    if (!fits) throw new WrongExpectedVersionError(streamId, expected, actual);
    return { nextRevision: tail?.revision ?? -1n, position: tail?.position ?? -1n };
  }
}
