/**
 * A projection turns batches of events into ordered writes on its own collections (docs/architecture.md, "How views are built").
 * It is applied at least once per event; the effect must be exactly once. The views are declared with
 * `viewProjection` (view-projection.ts), which makes it so by recording in every document the position of the
 * last event applied to it and skipping events at or below it.
 */
import type { EventFilter, RecordedEvent } from '../event-store/event-store.port.js';
import type { CollectionWrites, Document, IndexSpec, ReadCollection } from '../read-store/read-store.port.js';

export type { CollectionWrites };

/** The projection's own collections, by their logical names (a rebuild maps them to scratch copies). */
export interface ViewCollections {
  collection<T extends Document = Document>(name: string): ReadCollection<T>;
}

export interface Projection {
  readonly name: string;
  /** Logical collection names with their indexes. */
  readonly collections: Readonly<Record<string, readonly IndexSpec[]>>;
  readonly filter?: EventFilter;
  /**
   * The writes for a batch, in the order they must be applied: a crash between two of them must leave
   * every document either before or after the batch (write the documents that mark progress last).
   */
  project(events: readonly RecordedEvent[], views: ViewCollections): Promise<readonly CollectionWrites[]>;
}
