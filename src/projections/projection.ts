/**
 * A projection turns batches of events into ordered writes on its own collections (docs/architecture.md, "How views are built"). It is
 * applied at least once per event; each projection makes the effect exactly-once by recording in every
 * document the position of the last event applied to it and skipping events at or below it.
 */
import type { EventFilter, RecordedEvent } from '../event-store/event-store.port.js';
import type { CollectionWrites, Document, IndexSpec, ReadCollection, WriteOperation } from '../read-store/read-store.port.js';

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

/** Positions as stored in views: JSON numbers (exact up to 2^53, far beyond any log this service writes). */
export const positionNumber = (position: bigint): number => Number(position);

/**
 * Writes a projected document. One that existed is replaced only if it is still older than the new
 * version, so a slower or replaying runner never moves a document backwards; a new one is upserted.
 */
export function putDocument<T extends Document & { readonly lastPosition: number }>(document: T, existed: boolean): WriteOperation {
  return existed
    ? { replaceOne: { filter: { _id: document._id, lastPosition: { $lt: document.lastPosition } }, replacement: document } }
    : { replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } };
}
