/**
 * Event upcasting (docs/architecture.md, "How to add an upcaster"): events stay stored as they were written, forever; an event with an older
 * `schemaVersion` is read in the current shape by chaining upcasters, each taking one event type from
 * version v to v + 1. A type with no upcaster at some version kept its shape through that step.
 *
 * Versions:
 * - 0, the pre-release shape of the pilot (Kota Magelang's trial log, written before 0.1):
 *   - `CaseOpened` had a single PPKS code, `category`; 1 has `categories[]` (a case carries one or more).
 *   - `ReferralDeclined` had only the free-text reason; 1 adds `reasonCode`, and a version-0 decline
 *     reads as `other` (its text is still in `personal.reason`).
 *   Every other event type already had its version-1 shape.
 * - 1, CURRENT_SCHEMA_VERSION: what every command writes today.
 * Sealing `personal` took no new version: a sealed field says so itself (`v: 1`), and the readers
 * still take the plaintext of events written before (src/privacy/personal-data.cipher.ts).
 *
 * Upcasting is applied in one place, the UpcastingEventStore that the folds and projections read through
 * (EVENT_STORE). It changes only `data` and `metadata.schemaVersion`, never the type (subscription filters
 * match on it) nor `metadata.hash`; hash verification and export read the stored events, which the hash covers.
 */
import type { CaseEvent } from '../cases/case.events.js';
import { EventStoreDecorator, mappedSubscription } from '../event-store/event-store-decorator.js';
import type {
  ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeToAllOptions, Subscription, SubscriptionMessage,
} from '../event-store/event-store.port.js';
/** What every command writes today. */
export const CURRENT_SCHEMA_VERSION = 1;
const OLDEST_SCHEMA_VERSION = 0;

type CaseEventData<Type extends CaseEvent['type']> = Extract<CaseEvent, { type: Type }>['data'];

export type CaseOpenedV0 = Omit<CaseEventData<'CaseOpened'>, 'categories'> & { readonly category: string };
export type ReferralDeclinedV0 = Omit<CaseEventData<'ReferralDeclined'>, 'reasonCode'>;

/** By event type, then by the version an upcaster reads (it returns the next version's data). */
const UPCASTERS: Readonly<Record<string, Readonly<Record<number, (data: never) => unknown>>>> = {
  CaseOpened: {
    0: ({ category, ...rest }: CaseOpenedV0): CaseEventData<'CaseOpened'> => ({ ...rest, categories: [category] }),
  },
  ReferralDeclined: {
    0: (data: ReferralDeclinedV0): CaseEventData<'ReferralDeclined'> => ({ ...data, reasonCode: 'other' }),
  },
};

/** An event this release cannot read: written by a newer release, or without a valid version. */
export class UnknownSchemaVersionError extends Error {
  constructor(event: RecordedEvent) {
    super(`Event ${event.id} (${event.type} in ${event.streamId}) has schemaVersion ${JSON.stringify(event.metadata['schemaVersion'])}; `
      + `this release reads ${OLDEST_SCHEMA_VERSION} to ${CURRENT_SCHEMA_VERSION}`);
    this.name = 'UnknownSchemaVersionError';
  }
}

/** The event in the current shape; an event already current is returned as it is. */
export function upcast(event: RecordedEvent): RecordedEvent {
  const version = event.metadata['schemaVersion'];
  if (version === CURRENT_SCHEMA_VERSION) return event;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < OLDEST_SCHEMA_VERSION || version > CURRENT_SCHEMA_VERSION) {
    throw new UnknownSchemaVersionError(event);
  }
  let data = event.data;
  for (let from = version; from < CURRENT_SCHEMA_VERSION; from++) {
    const step = UPCASTERS[event.type]?.[from];
    if (step) data = step(data as never);
  }
  return { ...event, data, metadata: { ...event.metadata, schemaVersion: CURRENT_SCHEMA_VERSION } };
}

/** The store as the current code reads it: every event read, in a stream, from `$all` or live, is upcast. */
export class UpcastingEventStore extends EventStoreDecorator {
  override async *readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    for await (const event of this.inner.readStream(streamId, options)) yield upcast(event);
  }

  override async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    for await (const event of this.inner.readAll(options)) yield upcast(event);
  }

  override subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return mappedSubscription(this.inner.subscribeToAll(options), upcastMessages);
  }
}

async function* upcastMessages(messages: AsyncIterable<SubscriptionMessage>): AsyncIterable<SubscriptionMessage> {
  for await (const message of messages) yield message.type === 'event' ? { type: 'event', event: upcast(message.event) } : message;
}
