/**
 * Base for event stores that change how another one is read (upcasting, a log cut at a position):
 * everything is passed through to the store underneath unless a subclass overrides it.
 */
import type {
  AppendResult, EventStore, ExpectedRevision, NewEvent, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeToAllOptions, Subscription,
  SubscriptionMessage,
} from './event-store.port.js';

export abstract class EventStoreDecorator implements EventStore {
  constructor(protected readonly inner: EventStore) {}

  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return this.inner.append(streamId, events, options);
  }

  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<bigint | null> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A subscription whose messages pass through `map` (an async generator over the original), closed with it. */
export function mappedSubscription(
  subscription: Subscription,
  map: (messages: AsyncIterable<SubscriptionMessage>) => AsyncIterable<SubscriptionMessage>,
): Subscription {
  const messages = map(subscription);
  return {
    [Symbol.asyncIterator]: () => messages[Symbol.asyncIterator](),
    close: () => subscription.close(),
  };
}
