/**
 * One way to write a view (docs/architecture.md, "How views are built"), after Emmett's single-stream
 * projection: a view names the document an event changes and says what the event makes of it (`evolve`);
 * `viewProjection` owns the rest. For each batch it reads the documents the events touch (one find per
 * collection), skips every event a document already holds (each keeps the position of the last event applied
 * to it, `lastPosition`), folds the others in log order, and writes each changed document once: replaced only
 * while it is still older than the new version, so a slower or replaying runner never moves it back; created
 * by upsert; deleted when `evolve` answers null. The runner writes the batch with its checkpoint in one
 * `writeTogether`.
 */
import { matchesFilter, type EventFilter, type RecordedEvent } from '../event-store/event-store.port.js';
import type { CollectionWrites, Document, IndexSpec, WriteOperation } from '../read-store/read-store.port.js';
import { unfenced } from './lease.js';
import type { Projection, ViewCollections } from './projection.js';

/** A document as stored: with the position of the last event applied to it (a JSON number, exact up to 2^53). */
export type Positioned<D extends Document> = D & { readonly lastPosition: number };

/** Another view's document as it stands at this event (after the earlier events of the batch). */
export type ReadView = <T extends Document>(view: View<T>, id: string) => T | null;

export interface ViewRead {
  readonly view: View<Document>;
  readonly id: string;
}

/** Documents of another collection derived whole from each document of a view (a case's referral rows). */
export interface DerivedRows<D extends Document> {
  readonly collection: string;
  readonly indexes?: readonly IndexSpec[];
  /** The rows of one document; one that is no longer among them is deleted. */
  of(document: D): readonly Document[];
}

/** One collection of documents, each the fold of the events that name it. */
export interface View<D extends Document> {
  readonly collection: string;
  readonly indexes?: readonly IndexSpec[];
  /** The id of the document `event` changes; null when it changes none of this view's. */
  documentId(event: RecordedEvent): string | null;
  /** Documents of the projection's other views that `evolve` reads for this event (a join), fetched with the batch. */
  reads?(event: RecordedEvent): readonly ViewRead[];
  /**
   * What `event` makes of the document: null before its first event (there is no document yet, and answering
   * null writes none). Answering with the document it was given, unchanged, writes nothing: the event does
   * not concern it. Answering null for a document that exists deletes it; a deleted document keeps no
   * position, so a replay from before its deletion shows it again until the deleting event is replayed.
   */
  evolve(document: D | null, event: RecordedEvent, read: ReadView): D | null;
  /** Rewritten with each of its documents, carrying its position, and written just before it. */
  readonly rows?: DerivedRows<D>;
}

export interface ViewProjection extends Projection {
  /** In the order they are written: a crash between two leaves the earlier ones applied (on MongoDB). */
  readonly views: readonly View<Document>[];
}

/** A projection made of views: the runner runs it like any other, and `foldViews` says what it must produce. */
export function viewProjection(definition: { readonly name: string; readonly filter?: EventFilter; readonly views: readonly View<Document>[] }): ViewProjection {
  const { name, filter, views } = definition;
  return {
    name,
    filter,
    views,
    collections: Object.fromEntries(views.flatMap((view) => [
      [view.collection, view.indexes ?? []],
      ...(view.rows ? [[view.rows.collection, view.rows.indexes ?? []] as const] : []),
    ])),
    async project(events, collections) {
      const batch = new Batch(views, events);
      await batch.load(collections);
      for (const event of events) batch.apply(event);
      return batch.writes();
    },
  };
}

/**
 * What a projection's views hold after `events`, folded from nothing in one pass, by collection: the result
 * every run of it (in batches, stopped, crashed, replayed) must reproduce.
 */
export function foldViews(projection: ViewProjection, events: readonly RecordedEvent[]): Record<string, Positioned<Document>[]> {
  const own = events.filter((event) => matchesFilter(projection.filter, event));
  const batch = new Batch(projection.views, own);
  for (const event of own) batch.apply(event);
  return batch.documents();
}

/**
 * One document during a batch: as stored, and as the events so far make it. Kept as the view wrote it (without
 * its position and fencing stamp), the form evolve and reads take: positioned once, when it is written, rather
 * than copied out and back for every event that folds into it.
 */
interface Slot {
  readonly stored: Positioned<Document> | null;
  /** `stored` as the view wrote it. */
  readonly storedContent: Document | null;
  current: Document | null;
  /** The position of the last event applied to it (a deletion's included), -1 before any. */
  at: number;
}

/** What the view itself wrote: without its position and the fencing stamp. */
function content(document: Positioned<Document>): Document {
  const { lastPosition: _position, ...rest } = unfenced(document);
  return rest;
}

/**
 * `document` with its position. Object.assign rather than a spread followed by a property: V8 builds that
 * copy about five times slower, and JSON.stringify then reads it about three times slower (a view document,
 * Node 20), which a rebuild pays for every document it writes.
 */
const positioned = (document: Document, lastPosition: number): Positioned<Document> => Object.assign({}, document, { lastPosition });

/** Replaced only while older than `document`; a new one upserted. */
function put(document: Positioned<Document>, existed: boolean): WriteOperation {
  return existed
    ? { replaceOne: { filter: { _id: document._id, lastPosition: { $lt: document.lastPosition } }, replacement: document } }
    : { replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true } };
}

const remove = (id: string, at: number): WriteOperation => ({ deleteOne: { filter: { _id: id, lastPosition: { $lt: at } } } });

class Batch {
  /** Per view, the ids of the documents the batch changes or reads. */
  private readonly wanted: Map<View<Document>, Set<string>>;
  private readonly stored = new Map<View<Document>, Map<string, Positioned<Document>>>();
  private readonly slots = new Map<View<Document>, Map<string, Slot>>();

  constructor(private readonly views: readonly View<Document>[], events: readonly RecordedEvent[]) {
    this.wanted = new Map(views.map((view) => [view, new Set<string>()]));
    for (const event of events) {
      for (const view of views) {
        const id = view.documentId(event);
        if (id !== null) this.wanted.get(view)!.add(id);
        for (const read of view.reads?.(event) ?? []) {
          const ids = this.wanted.get(read.view);
          if (!ids) throw new Error(`${view.collection} reads ${read.view.collection}, a view of another projection`);
          ids.add(read.id);
        }
      }
    }
  }

  async load(collections: ViewCollections): Promise<void> {
    for (const [view, ids] of this.wanted) {
      if (ids.size === 0) continue;
      // Read only: `evolve` answers new documents, and the stored ones are compared by identity (`changed`).
      const found = await collections.collection<Positioned<Document>>(view.collection).find({ _id: { $in: [...ids] } }, { readOnly: true });
      this.stored.set(view, new Map(found.map((document) => [document._id, document])));
    }
  }

  apply(event: RecordedEvent): void {
    const position = Number(event.position);
    for (const view of this.views) {
      const id = view.documentId(event);
      if (id === null) continue;
      const slot = this.slot(view, id);
      if (position <= slot.at) continue;
      const next = view.evolve(slot.current, event, this.read);
      if (next === slot.current) continue;
      slot.current = next;
      slot.at = position;
    }
  }

  private readonly read: ReadView = <T extends Document>(view: View<T>, id: string): T | null => {
    if (!this.wanted.get(view)?.has(id)) throw new Error(`${view.collection}/${id} was read without being named by reads()`);
    // The view's own documents, as its evolve made them.
    return this.slot(view, id).current as T | null;
  };

  private slot(view: View<Document>, id: string): Slot {
    let slots = this.slots.get(view);
    if (!slots) this.slots.set(view, (slots = new Map<string, Slot>()));
    let slot = slots.get(id);
    if (!slot) {
      const stored = this.stored.get(view)?.get(id) ?? null;
      const storedContent = stored && content(stored);
      slot = { stored, storedContent, current: storedContent, at: stored?.lastPosition ?? -1 };
      slots.set(id, slot);
    }
    return slot;
  }

  private changed(view: View<Document>): Slot[] {
    return [...(this.slots.get(view)?.values() ?? [])].filter((slot) => slot.current !== slot.storedContent);
  }

  /** Each view's writes, its rows just before it, the views in their order. */
  writes(): CollectionWrites[] {
    return this.views.flatMap((view) => {
      const changed = this.changed(view);
      const documents: CollectionWrites = {
        collection: view.collection,
        operations: changed.map((slot) => (slot.current ? put(positioned(slot.current, slot.at), slot.stored !== null) : remove(slot.stored!._id, slot.at))),
      };
      const { rows } = view;
      if (!rows) return [documents];
      return [{ collection: rows.collection, operations: changed.flatMap((slot) => rowWrites(rows, slot)) }, documents];
    });
  }

  /** Every document the batch ends with, by collection (for a fold from nothing: every document there is). */
  documents(): Record<string, Positioned<Document>[]> {
    const result: Record<string, Positioned<Document>[]> = {};
    for (const view of this.views) {
      const slots = [...(this.slots.get(view)?.values() ?? [])].filter((slot) => slot.current !== null);
      result[view.collection] = slots.map((slot) => positioned(slot.current!, slot.at));
      if (view.rows) result[view.rows.collection] = slots.flatMap((slot) => positionedRows(view.rows!, slot.current!, slot.at));
    }
    return result;
  }
}

function positionedRows(rows: DerivedRows<Document>, document: Document, lastPosition: number): Positioned<Document>[] {
  return rows.of(document).map((row) => positioned(row, lastPosition));
}

function rowWrites(rows: DerivedRows<Document>, slot: Slot): WriteOperation[] {
  const before = new Set(slot.storedContent ? rows.of(slot.storedContent).map((row) => row._id) : []);
  const after = slot.current ? positionedRows(rows, slot.current, slot.at) : [];
  const kept = new Set(after.map((row) => row._id));
  return [
    ...after.map((row) => put(row, before.has(row._id))),
    ...[...before].filter((id) => !kept.has(id)).map((id) => remove(id, slot.at)),
  ];
}
