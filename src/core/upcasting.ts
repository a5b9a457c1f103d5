/**
 * Event upcasting (docs/architecture.md, "How to add an upcaster"): events stay stored as they were written, forever; an event with an older
 * `schemaVersion` is read in the current shape by chaining upcasters, each taking one event type from
 * version v to v + 1. A type with no upcaster at some version kept its shape through that step.
 *
 * Core knows no event type: each slice declares the upcasters of its own events (the versions are described
 * there, e.g. src/cases/case.upcasters.ts) and src/event-catalog.ts gathers them into the one table the
 * store reads through.
 *
 * Versions: 0, the pre-release shape of the pilot; 1, CURRENT_SCHEMA_VERSION, what every command writes today.
 * Sealing `personal` took no new version: a sealed field says so itself (`v: 1`), and the readers
 * still take the plaintext of events written before (src/privacy/personal-data.cipher.ts).
 *
 * Upcasting is applied in one place, the UpcastingEventStore that the folds and projections read through
 * (EVENT_STORE). It changes only `data` and `metadata.schemaVersion`, never the type (subscription filters
 * match on it) nor `metadata.hash`; hash verification and export read the stored events, which the hash covers.
 */
import { EventStoreDecorator, mappedSubscription } from '../event-store/event-store-decorator.js';
import type {
  EventStore, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeToAllOptions, Subscription, SubscriptionMessage,
} from '../event-store/event-store.port.js';
/** What every command writes today. */
export const CURRENT_SCHEMA_VERSION = 1;
const OLDEST_SCHEMA_VERSION = 0;

/** By event type, then by the version an upcaster reads (it returns the next version's data). */
export type Upcasters = Readonly<Record<string, Readonly<Record<number, (data: never) => unknown>>>>;

/** The DI token of the service's upcasters (src/event-catalog.ts), for code that upcasts one stored event. */
export const UPCASTERS = Symbol('UPCASTERS');

/** An event this release cannot read: written by a newer release, or without a valid version. */
export class UnknownSchemaVersionError extends Error {
  constructor(event: RecordedEvent) {
    super(`Event ${event.id} (${event.type} in ${event.streamId}) has schemaVersion ${JSON.stringify(event.metadata['schemaVersion'])}; `
      + `this release reads ${OLDEST_SCHEMA_VERSION} to ${CURRENT_SCHEMA_VERSION}`);
    this.name = 'UnknownSchemaVersionError';
  }
}

/** The event in the current shape; an event already current is returned as it is. */
export function upcast(event: RecordedEvent, upcasters: Upcasters): RecordedEvent {
  const version = event.metadata['schemaVersion'];
  if (version === CURRENT_SCHEMA_VERSION) return event;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < OLDEST_SCHEMA_VERSION || version > CURRENT_SCHEMA_VERSION) {
    throw new UnknownSchemaVersionError(event);
  }
  let data = event.data;
  for (let from = version; from < CURRENT_SCHEMA_VERSION; from++) {
    const step = upcasters[event.type]?.[from];
    if (step) data = step(data as never);
  }
  return { ...event, data, metadata: { ...event.metadata, schemaVersion: CURRENT_SCHEMA_VERSION } };
}

/** The store as the current code reads it: every event read, in a stream, from `$all` or live, is upcast. */
export class UpcastingEventStore extends EventStoreDecorator {
  constructor(inner: EventStore, private readonly upcasters: Upcasters) {
    super(inner);
  }

  override async *readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    for await (const event of this.inner.readStream(streamId, options)) yield upcast(event, this.upcasters);
  }

  override async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    for await (const event of this.inner.readAll(options)) yield upcast(event, this.upcasters);
  }

  override subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return mappedSubscription(this.inner.subscribeToAll(options), (messages) => this.upcastMessages(messages));
  }

  private async *upcastMessages(messages: AsyncIterable<SubscriptionMessage>): AsyncIterable<SubscriptionMessage> {
    for await (const message of messages) {
      if (message.type !== 'event') {
        yield message;
        continue;
      }
      const event = upcast(message.event, this.upcasters);
      // An event already current is passed on in the message it came in (a rebuild reads a million).
      yield event === message.event ? message : { type: 'event', event };
    }
  }
}
