import type { EventStore } from '../event-store/event-store.port.js';

const LAG_COUNT_LIMIT = 10_000;

/**
 * How far a projection is behind, on the wall clock (the store stamps events with it): the events after its
 * checkpoint, counted up to a bound so a far-behind projection costs no more, and the age of the oldest.
 */
export async function projectionLag(store: EventStore, position: bigint | null, now: Date): Promise<{ eventsBehind: number; secondsBehind: number }> {
  let eventsBehind = 0;
  let oldest: Date | null = null;
  // From the checkpoint itself (a position the store handed out; EventStoreDB reads only from those), skipped.
  for await (const event of store.readAll({ fromPosition: position ?? 'start', maxCount: LAG_COUNT_LIMIT + 1 })) {
    if (position !== null && event.position <= position) continue;
    if (eventsBehind === LAG_COUNT_LIMIT) break;
    oldest ??= event.recordedAt;
    eventsBehind++;
  }
  return { eventsBehind, secondsBehind: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0 };
}
