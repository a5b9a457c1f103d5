/**
 * The event store port, modelled on EventStoreDB's semantics so its adapter stays thin.
 * Revisions count from 0 within a stream; positions are global, increase strictly with every event,
 * but need not be contiguous (EventStoreDB's are byte offsets).
 */
/** The log as the current code reads it: older event versions upcast (core/upcasting.ts). What folds and projections read. */
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The same log exactly as stored, which the hash chain covers: for integrity checks and exports. */
export const STORED_EVENT_STORE = Symbol('STORED_EVENT_STORE');

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface NewEvent {
  /** Unique across the store; an append that repeats the ids of events already at the stream's tail is a no-op. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * `metadata` already written as JSON text (the command path writes it while sealing the hash chain), parsing to
   * exactly the value beside it: a store that keeps JSON text may keep it instead of serializing again.
   */
  readonly json?: { readonly metadata: string } | undefined;
}

export interface RecordedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the store wrote it (the store's clock, not the command's `occurredAt`). */
  readonly recordedAt: Date;
}

export interface AppendResult {
  /** Revision of the last event now in the stream. */
  readonly nextRevision: bigint;
  /** Position of the last appended event. */
  readonly position: bigint;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/** The store cannot be reached or failed: surfaces as 503, never as a hang. */
export class EventStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

export interface ReadStreamOptions {
  /** Inclusive; default 'start' forwards, 'end' backwards. */
  readonly fromRevision?: bigint | 'start' | 'end';
  readonly direction?: 'forwards' | 'backwards';
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Inclusive, as in EventStoreDB; default 'start'. Only a position the store handed out (EventStoreDB reads from nothing else). */
  readonly fromPosition?: bigint | 'start';
  readonly maxCount?: number;
}

export interface EventFilter {
  /** Keep events whose stream id starts with one of these. */
  readonly streamPrefixes?: readonly string[];
  /** Keep events of these types. */
  readonly eventTypes?: readonly string[];
}

export interface SubscribeToAllOptions {
  /** Exclusive: the subscription delivers events after this position; default 'start' (everything). */
  readonly fromPosition?: bigint | 'start';
  readonly filter?: EventFilter;
}

export type SubscriptionMessage =
  | { readonly type: 'event'; readonly event: RecordedEvent }
  /** Everything up to `position` was read (and filtered out): a consumer may store it as its checkpoint. */
  | { readonly type: 'checkpoint'; readonly position: bigint }
  /** The catch-up phase reached the end of the log; live events follow. Sent once. */
  | { readonly type: 'caughtUp'; readonly position: bigint | null };

export interface Subscription extends AsyncIterable<SubscriptionMessage> {
  close(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /** An unknown stream reads as empty. */
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Every event of the store in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Catch-up, then live, strictly in global order; pulls, so a slow consumer is never overrun. */
  subscribeToAll(options?: SubscribeToAllOptions): Subscription;
  /** Position of the last event in the store, null when it is empty. */
  headPosition(): Promise<bigint | null>;
  close(): Promise<void>;
}

/** The store's own bookkeeping (EventStoreDB's `$` streams and types), never the application's. */
export function isSystemEvent(event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  return event.streamId.startsWith('$') || event.type.startsWith('$');
}

export function matchesFilter(filter: EventFilter | undefined, event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean {
  if (isSystemEvent(event)) return false;
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  return true;
}
