/**
 * The read-store port: a narrow, MongoDB-shaped document store for the views, so projection
 * code is written once and runs on MongoDB in production and on the embedded SQLite twin by default.
 * Only what the projections use: equality/range/$in/$or filters, sort, limit, keyset pages, counts, and
 * ordered bulk writes of updateOne/replaceOne/deleteOne with upsert and the usual update operators.
 */
export const READ_STORE = Symbol('READ_STORE');

export type Document = { readonly _id: string } & Readonly<Record<string, unknown>>;
export type Filter = Readonly<Record<string, unknown>>;
export type SortSpec = Readonly<Record<string, 1 | -1>>;

export interface UpdateOperators {
  readonly $set?: Readonly<Record<string, unknown>>;
  readonly $setOnInsert?: Readonly<Record<string, unknown>>;
  readonly $unset?: Readonly<Record<string, ''>>;
  readonly $inc?: Readonly<Record<string, number>>;
  readonly $max?: Readonly<Record<string, unknown>>;
  readonly $min?: Readonly<Record<string, unknown>>;
  readonly $push?: Readonly<Record<string, unknown>>;
  readonly $addToSet?: Readonly<Record<string, unknown>>;
  readonly $pull?: Readonly<Record<string, unknown>>;
}

export type WriteOperation =
  | { readonly updateOne: { readonly filter: Filter; readonly update: UpdateOperators; readonly upsert?: boolean } }
  | { readonly replaceOne: { readonly filter: Filter; readonly replacement: Document; readonly upsert?: boolean } }
  | { readonly deleteOne: { readonly filter: Filter } };

/** Writes for one collection, applied with one ordered bulkWrite, in the order given. */
export interface CollectionWrites {
  readonly collection: string;
  readonly operations: readonly WriteOperation[];
}

export interface BulkWriteResult {
  readonly matched: number;
  readonly modified: number;
  readonly upserted: number;
  readonly deleted: number;
}

export interface FindOptions {
  readonly sort?: SortSpec;
  readonly limit?: number;
  readonly skip?: number;
  /**
   * A keyset page: only documents after these values of the sort keys, in the order of `sort` (which then
   * names `_id` last). Means exactly the filter `afterFilter(sort, after)`; adapters may seek instead.
   */
  readonly after?: readonly unknown[];
  /**
   * The caller never changes the documents it is answered: a store may answer documents it shares with others
   * (frozen), as the embedded store does for documents found by id, whose writes then decide their filters on
   * the same documents instead of reading and parsing them again.
   */
  readonly readOnly?: boolean;
}

export interface IndexSpec {
  readonly keys: SortSpec;
  readonly unique?: boolean;
}

export interface ReadCollection<T extends Document = Document> {
  readonly name: string;
  find(filter?: Filter, options?: FindOptions): Promise<T[]>;
  findOne(filter: Filter): Promise<T | null>;
  countDocuments(filter?: Filter): Promise<number>;
  /** Ordered: stops at the first failing operation (as MongoDB and FerretDB do); earlier ones stay applied. */
  bulkWrite(operations: readonly WriteOperation[]): Promise<BulkWriteResult>;
  createIndex(index: IndexSpec): Promise<void>;
  /** Several at once: the embedded store fills those it creates in one pass over the documents (a rebuild's bulk load). */
  createIndexes(indexes: readonly IndexSpec[]): Promise<void>;
  /** Removes the collection and its documents; a later write creates it again. */
  drop(): Promise<void>;
}

export interface ReadStore {
  /**
   * Whether writeTogether is all or nothing (the embedded store; MongoDB on a replica set). Where it is not, a
   * projection runner that stalls between its lease check and its view writes for longer than a take-over can
   * still apply that one batch after losing its lease (the fence refuses overwrites, not new documents).
   */
  readonly writesTogetherAtomically: boolean;
  collection<T extends Document = Document>(name: string): ReadCollection<T>;
  /**
   * Writes to several collections, in the order given, as one unit where the store has transactions (the
   * embedded store: all or nothing); on MongoDB one ordered bulkWrite after the other, stopping at the first
   * failure. One result per entry.
   */
  writeTogether(writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]>;
  /** Renames `from` to `to`, replacing `to`: how a rebuilt view goes live. A `from` never written is empty: `to` ends empty. */
  renameCollection(from: string, to: string): Promise<void>;
  listCollections(): Promise<string[]>;
  /**
   * Optional: until the answered function is called, this process writes much (a rebuild's scratch builds), and
   * the store may favour throughput where nothing is given up for it (the embedded store checkpoints its
   * write-ahead log less often). Calls may overlap; each is ended once.
   */
  writeHeavily?(): () => void;
  /**
   * Optional: an empty store apart from this one, to build collections in bulk and then move them here whole
   * (a rebuild's first build, which the log can always repeat). It may give up durability for speed: the
   * embedded store's is a file of its own with no write-ahead log and nothing synced, which a crash leaves
   * to be removed by the next one made. Closing it removes it, with whatever was not moved.
   */
  scratch?(): Promise<ScratchStore>;
  close(): Promise<void>;
}

/** What `ReadStore.scratch` answers. */
export interface ScratchStore extends ReadStore {
  /**
   * Moves `collections` (documents and indexes) into the store that made this one, each replacing its namesake
   * there, and applies `writes` there, all in one transaction.
   */
  moveOut(collections: readonly string[], writes: readonly CollectionWrites[]): Promise<void>;
}

/** Documents strictly after `values` in the order of `sort`, as a filter: what `FindOptions.after` means. */
export function afterFilter(sort: SortSpec, values: readonly unknown[]): Filter {
  const keys = Object.entries(sort);
  return {
    $or: keys.map(([key, direction], index) => ({
      ...Object.fromEntries(keys.slice(0, index).map(([previous], at) => [previous, values[at]])),
      [key]: { [direction === 1 ? '$gt' : '$lt']: values[index] },
    })),
  };
}

export class DuplicateKeyError extends Error {
  constructor(readonly collection: string, readonly key: unknown) {
    super(`Duplicate key in ${collection}: ${JSON.stringify(key)}`);
    this.name = 'DuplicateKeyError';
  }
}

/** The store cannot be reached: reads answer 503, projections retry with backoff, commands go on without it where they can. */
export class ReadStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadStoreUnavailableError';
  }
}
