/**
 * The embedded event store: one SQLite file in WAL mode with synchronous=FULL, so an
 * acknowledged append survives a crash. Appends that arrive together are written in one transaction
 * (group commit): a burst of commands pays for one fsync, not one each. Subscriptions that have read
 * everything wake on this process's commits at once, and on another process's (the API's, for a
 * `projections run` process) within `changeCheckMs`: SQLite's `data_version` changes only on commits by
 * other connections, and reading it costs a few microseconds, no I/O.
 */
import Database from 'better-sqlite3';
import {
  EventStoreUnavailableError,
  matchesFilter,
  type EventFilter,
  WrongExpectedVersionError,
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
import { PollingSubscription, type LogPage, type PollableLog } from './polling-subscription.js';
import { RecentLog } from '../recent-log.js';

export interface SqliteEventStoreOptions {
  /** Gather appends that arrive together into one transaction (default true); off only to measure what it buys. */
  readonly groupCommit?: boolean;
  /** How often a subscription that has read everything reads the log again, whatever the change check says. */
  readonly pollIntervalMs?: number;
  /**
   * How often, while a subscription waits, the store checks whether another process has committed (default 5):
   * a `projections run` process notices the API's commits 2.5 ms after them on average instead of 10 at 20 ms,
   * for a check of a few microseconds.
   */
  readonly changeCheckMs?: number;
  /** How long a write waits for another process (the CLI) to release the file before failing. */
  readonly busyTimeoutMs?: number;
  /** Rows per read: bounds the memory a long stream or a slow subscriber can take. */
  readonly pageSize?: number;
}

/** An event id already stored (or repeated within one append), other than by the same append being retried. */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`Event id ${eventId} is already used by another event`);
    this.name = 'DuplicateEventIdError';
  }
}

// AUTOINCREMENT: a position is never handed out twice, even after the newest rows were rolled back.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    event_id    TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  )`;

const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata, recorded_at';
const MAX_REVISION = 2n ** 63n - 1n;
/** Streams whose end is kept in memory (about 100 bytes each). */
const KNOWN_ENDS = 10_000;

interface EventRow {
  readonly position: bigint;
  readonly stream_id: string;
  readonly revision: bigint;
  readonly event_id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly recorded_at: string;
}

type EventRef = Pick<EventRow, 'position' | 'stream_id' | 'revision'>;

/** A stream's last event (its revision and position), or null when the stream has none. */
type Tail = Pick<EventRow, 'position' | 'revision'> | null;

/** What this connection knows of a stream: nothing is stored from revision `end` on; `tail`, when known, is its last event. */
interface KnownEnd {
  readonly end: bigint;
  readonly tail?: Tail;
}

interface SerializedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly SerializedEvent[];
  readonly expectedRevision: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly groupCommit: boolean;
  private readonly pollIntervalMs: number;
  private readonly pageSize: number;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Writes a batch in one transaction; returns how to settle each caller once it has committed. */
  private readonly writeBatch: (batch: readonly PendingAppend[], recordedAt: string) => Array<() => void>;
  /** Inserts an append's events in a savepoint: a later event's reused id undoes the earlier ones. */
  private readonly insertAllOrNone: (pending: PendingAppend, after: AppendResult, recordedAt: string) => AppendResult;
  private queue: PendingAppend[] = [];
  private scheduledFlush: NodeJS.Immediate | undefined;
  private readonly commitListeners = new Set<() => void>();
  private readonly changeCheckMs: number;
  /** Runs while a subscription waits: wakes it when another connection has committed. */
  private changeCheck: NodeJS.Timeout | undefined;
  private dataVersion: unknown;
  /**
   * Per stream, the revision from which it is known to hold nothing, and often its last event, as this
   * connection last saw it (its own appends, its reads to a stream's end): a command's read of what was
   * appended since its cached fold then costs a `data_version` check, not a query, and so does its append's
   * look-up of the stream's tail. Forgotten whenever another connection has committed.
   */
  private readonly knownEnds = new Map<string, KnownEnd>();
  private knownEndsVersion: unknown;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly recent: RecentLog<EventRow, RecordedEvent>;
  private commits = 0;
  private closed = false;

  constructor(path: string, options: SqliteEventStoreOptions = {}) {
    this.groupCommit = options.groupCommit ?? true;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.pageSize = options.pageSize ?? 500;
    this.changeCheckMs = options.changeCheckMs ?? 5;
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.defaultSafeIntegers(true);
    this.db.exec(SCHEMA);
    this.statements = prepareStatements(this.db);
    this.recent = new RecentLog({
      read: (after, limit) => this.statements.all.all(after + 1n, limit),
      decode: toRecordedEvent,
      version: () => `${this.statements.dataVersion.get()}:${this.commits}`,
    });
    // A refused append (its expectation, a reused id) leaves no trace and the others still commit: the
    // expectation is checked before the first write, and a reused id fails its insert, which SQLite undoes
    // (that statement alone, or the append's savepoint when it has several events). A failing write (I/O, a
    // full disk) aborts the whole batch. IMMEDIATE takes the write lock up front: a deferred transaction that
    // read first could not wait for another process's lock (SQLITE_BUSY_SNAPSHOT ignores busy_timeout).
    this.writeBatch = this.db
      .transaction((batch: readonly PendingAppend[], recordedAt: string) => {
        // The tails of the streams written so far in this transaction, which `knownEnds` learns only once it commits.
        const written = new Map<string, NonNullable<Tail>>();
        // Checked once: no other connection can commit while this one holds the write lock.
        this.forgetEndsIfOthersCommitted();
        return batch.map((pending) => {
          try {
            const { result, tail } = this.appendInTransaction(pending, recordedAt, written);
            return () => {
              if (tail !== undefined) this.rememberEnd(pending.streamId, { end: (tail?.revision ?? -1n) + 1n, tail });
              pending.resolve(result);
            };
          } catch (error) {
            // The caller's own mistake; anything else (I/O, a full disk) aborts the whole batch.
            if (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError) return () => pending.reject(error);
            throw error;
          }
        });
      })
      .immediate;
    this.insertAllOrNone = this.db.transaction((pending: PendingAppend, after: AppendResult, recordedAt: string) => this.insert(pending, after, recordedAt));
  }

  /** For tests and diagnostics: write transactions committed (with group commit, fewer than the appends), open subscriptions. */
  get stats(): { readonly commits: number; readonly openSubscriptions: number } {
    return { commits: this.commits, openSubscriptions: this.subscriptions.size };
  }

  /**
   * Not an async function: the promise it returns settles with the batch's commit, without another promise around it.
   * What the executor throws (a closed store, a repeated id, unserializable data) rejects it, for this caller alone.
   */
  append(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.assertOpen();
      const repeated = events.find((event, index) => events.findIndex(({ id }) => id === event.id) !== index);
      if (repeated) throw new DuplicateEventIdError(repeated.id);
      // Serialized here, outside the batch, so unserializable data fails this caller alone.
      const serialized = events.map((event) => ({
        id: event.id,
        type: event.type,
        data: JSON.stringify(event.data ?? null),
        metadata: event.json?.metadata ?? JSON.stringify(event.metadata),
      }));
      this.queue.push({ streamId, events: serialized, expectedRevision: options.expectedRevision, resolve, reject });
      if (!this.groupCommit) this.flush();
      else this.scheduledFlush ??= setImmediate(() => this.flush());
    });
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    return {
      // Decided when the read starts, as a generator's body would be. A read of what was appended since a cached fold
      // (every command's) usually finds the stream known to end there: it then costs no generator and no query.
      [Symbol.asyncIterator]: () => {
        if (this.closed || options.direction === 'backwards') return this.readRows(streamId, options)[Symbol.asyncIterator]();
        const from = options.fromRevision === undefined || options.fromRevision === 'start' ? 0n : options.fromRevision;
        return from !== 'end' && this.knownEmpty(streamId, from) ? emptyIterator() : this.readRows(streamId, options)[Symbol.asyncIterator]();
      },
    };
  }

  /** The rows of a read; a forward one reaches here only once `readStream` found its stream not known to end before it. */
  private async *readRows(streamId: string, options: ReadStreamOptions): AsyncIterable<RecordedEvent> {
    const backwards = options.direction === 'backwards';
    const fromRevision = options.fromRevision ?? (backwards ? 'end' : 'start');
    if (fromRevision === 'end' && !backwards) return;
    let from = fromRevision === 'start' ? 0n : fromRevision === 'end' ? MAX_REVISION : fromRevision;
    const statement = backwards ? this.statements.streamBackwards : this.statements.streamForwards;
    let remaining = options.maxCount ?? Infinity;
    this.assertOpen();
    while (remaining > 0 && from >= 0n) {
      this.assertOpen();
      const limit = Math.min(this.pageSize, remaining);
      const rows = statement.all(streamId, from, limit);
      const last = rows.at(-1);
      // Taken in before the first yield: what the query saw, not what the stream may hold by the time the consumer asks again.
      if (!backwards && rows.length < limit) {
        this.rememberEnd(streamId, last ? { end: last.revision + 1n, tail: { revision: last.revision, position: last.position } }
          : from === 0n ? { end: 0n, tail: null } : { end: from });
      }
      for (const row of rows) yield toRecordedEvent(row);
      if (!last || rows.length < limit) return;
      remaining -= rows.length;
      from = backwards ? last.revision - 1n : last.revision + 1n;
    }
  }

  async headPosition(): Promise<bigint | null> {
    this.assertOpen();
    const row = this.db.prepare('SELECT max(position) AS head FROM events').get() as { head: bigint | null };
    return row.head;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromPosition === undefined || options.fromPosition === 'start' ? 0n : options.fromPosition;
    let remaining = options.maxCount ?? Infinity;
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const events = this.readFrom(from, limit);
      yield* events;
      const last = events.at(-1);
      if (!last || events.length < limit) return;
      remaining -= events.length;
      from = last.position + 1n;
    }
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    this.assertOpen();
    const log: PollableLog = {
      readAfter: (position, limit, filter) => this.readPage(position, limit, filter),
      onNextCommit: (listener) => {
        this.commitListeners.add(listener);
        this.watchOtherWriters();
        return () => this.commitListeners.delete(listener);
      },
    };
    const subscription = new PollingSubscription(log, options, {
      pageSize: this.pageSize,
      pollIntervalMs: this.pollIntervalMs,
      onEnd: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.changeCheck);
    this.flush();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.db.close();
  }

  private readFrom(position: bigint, limit: number): RecordedEvent[] {
    this.assertOpen();
    return this.statements.all.all(position, limit).map(toRecordedEvent);
  }

  /**
   * A subscription's page: rows the filter skips are never decoded (JSON.parse is most of a read's cost), and
   * rows another subscription has just read are taken from it (`recent`).
   */
  private readPage(after: bigint, limit: number, filter: EventFilter | undefined): LogPage {
    this.assertOpen();
    const rows = this.recent.rowsAfter(after, limit);
    const events: RecordedEvent[] = [];
    for (const row of rows) if (matchesFilter(filter, { streamId: row.stream_id, type: row.type })) events.push(this.recent.event(row));
    return { events, rows: rows.length, last: rows.at(-1)?.position ?? null };
  }

  /** Writes every queued append in one transaction, then settles each caller. */
  private flush(): void {
    clearImmediate(this.scheduledFlush);
    this.scheduledFlush = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let settlements: Array<() => void>;
    try {
      settlements = this.writeBatch(batch, new Date().toISOString());
    } catch (error) {
      const unavailable = new EventStoreUnavailableError('The event store could not write', { cause: error });
      for (const pending of batch) pending.reject(unavailable);
      return;
    }
    this.commits += 1;
    for (const settle of settlements) settle();
    this.notifyCommitted();
  }

  /** What this connection knows of the stream's end, if nobody else has committed since it was learnt. */
  private knownEnd(streamId: string): KnownEnd | undefined {
    this.forgetEndsIfOthersCommitted();
    return this.knownEnds.get(streamId);
  }

  private forgetEndsIfOthersCommitted(): void {
    const version = this.statements.dataVersion.get();
    if (version !== this.knownEndsVersion) {
      this.knownEnds.clear();
      this.knownEndsVersion = version;
    }
  }

  /** Whether the stream is known to hold nothing from `revision` on. */
  private knownEmpty(streamId: string, revision: bigint): boolean {
    const end = this.knownEnd(streamId)?.end;
    return end !== undefined && revision >= end;
  }

  private rememberEnd(streamId: string, known: KnownEnd): void {
    this.knownEnds.delete(streamId);
    this.knownEnds.set(streamId, known);
    if (this.knownEnds.size > KNOWN_ENDS) this.knownEnds.delete(this.knownEnds.keys().next().value!);
  }

  private notifyCommitted(): void {
    const listeners = [...this.commitListeners];
    this.commitListeners.clear();
    for (const listener of listeners) listener();
  }

  /** While anyone waits for a commit, looks every `changeCheckMs` for one by another connection. */
  private watchOtherWriters(): void {
    if (this.changeCheck !== undefined || this.closed) return;
    // The version last seen is kept while nobody waits: a commit then wakes the next waiter at its first check.
    this.dataVersion ??= this.statements.dataVersion.get();
    this.changeCheck = setInterval(() => {
      if (this.commitListeners.size === 0) {
        clearInterval(this.changeCheck);
        this.changeCheck = undefined;
        return;
      }
      let version: unknown;
      try {
        version = this.statements.dataVersion.get();
      } catch {
        return; // busy or closing: the subscriptions' own poll still runs
      }
      if (version === this.dataVersion) return;
      this.dataVersion = version;
      this.notifyCommitted();
    }, this.changeCheckMs);
    this.changeCheck.unref();
  }

  /** The expectation first, then the writes: see the constructor. */
  private appendInTransaction(
    pending: PendingAppend,
    recordedAt: string,
    written: Map<string, NonNullable<Tail>>,
  ): { result: AppendResult; tail?: Tail } {
    const { streamId, events, expectedRevision } = pending;
    // `knownEnds` was checked against other connections' commits when this batch's transaction began.
    const known = written.get(streamId) ?? this.knownEnds.get(streamId)?.tail;
    const tail = known !== undefined ? known : this.statements.streamTail.get(streamId) ?? null;
    const actual = tail?.revision ?? 'no_stream';
    if (!satisfies(expectedRevision, actual)) {
      // A retry whose original committed finds the stream moved on from the revision it expects; its result
      // is the original append's, not necessarily the stream's end.
      const retried = this.originalResultOfRetry(pending);
      if (retried) return { result: retried };
      throw new WrongExpectedVersionError(streamId, expectedRevision, actual);
    }
    // An empty append to a stream that does not exist reports EventStoreDB's "no stream" revision, -1.
    const after: AppendResult = { nextRevision: tail?.revision ?? -1n, position: tail?.position ?? -1n };
    try {
      const result = events.length > 1 ? this.insertAllOrNone(pending, after, recordedAt) : this.insert(pending, after, recordedAt);
      if (events.length === 0) return { result, tail };
      const last = { revision: result.nextRevision, position: result.position };
      written.set(streamId, last);
      return { result, tail: last };
    } catch (error) {
      // The tail is exact under the write lock (read, or known while nobody else committed), so only a stored
      // event id can clash: a retry, or a reused id.
      // (By its code: better-sqlite3 keeps the error class registered first, which a test's fresh module registry does not see.)
      const retried = (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE' ? this.originalResultOfRetry(pending) : null;
      if (!retried) throw error;
      return { result: retried };
    }
  }

  private insert({ streamId, events }: PendingAppend, after: AppendResult, recordedAt: string): AppendResult {
    let result = after;
    for (const event of events) {
      const revision = result.nextRevision + 1n;
      const { lastInsertRowid } = this.statements.insert.run(streamId, revision, event.id, event.type, event.data, event.metadata, recordedAt);
      result = { nextRevision: revision, position: BigInt(lastInsertRowid) };
    }
    return result;
  }

  /**
   * EventStoreDB's idempotence: when every id of the append is already stored, in order, in this stream
   * right after the expected revision, the append is a retry and gets the original result. Any other
   * reuse of a stored id is refused.
   */
  private originalResultOfRetry({ streamId, events, expectedRevision }: PendingAppend): AppendResult | null {
    const stored = events.map((event) => this.statements.byEventId.get(event.id));
    const reused = events.find((_, index) => stored[index] !== undefined);
    if (!reused) return null;
    const refs = stored.filter((ref) => ref !== undefined);
    const first = refs[0];
    const last = refs.at(-1);
    const isRetry =
      first !== undefined &&
      last !== undefined &&
      refs.length === events.length &&
      startsRightAfter(expectedRevision, first.revision) &&
      refs.every((ref, index) => ref.stream_id === streamId && ref.revision === first.revision + BigInt(index));
    if (!isRetry) throw new DuplicateEventIdError(reused.id);
    return { nextRevision: last.revision, position: last.position };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The event store is closed');
  }
}

function prepareStatements(db: Database.Database) {
  return {
    streamTail: db.prepare<[string], EventRef>(
      'SELECT position, stream_id, revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    byEventId: db.prepare<[string], EventRef>('SELECT position, stream_id, revision FROM events WHERE event_id = ?'),
    insert: db.prepare<[string, bigint, string, string, string, string, string]>(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    streamForwards: db.prepare<[string, bigint, number], EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
    ),
    streamBackwards: db.prepare<[string, bigint, number], EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`,
    ),
    all: db.prepare<[bigint, number], EventRow>(`SELECT ${COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`),
    /** Changes when another connection (another process) has committed; never for this connection's own commits. */
    dataVersion: db.prepare<[], bigint>('PRAGMA data_version').pluck(),
  };
}

function satisfies(expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
}

/** Whether an append made with `expected` would have put its first event at `firstRevision`. */
function startsRightAfter(expected: ExpectedRevision, firstRevision: bigint): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return firstRevision === 0n;
    case 'stream_exists':
      return firstRevision > 0n;
    default:
      return firstRevision === expected + 1n;
  }
}

/** An iterator that has nothing: what a generator that returns at once gives, without its machinery. */
function emptyIterator(): AsyncIterator<RecordedEvent> {
  return {
    next: () => Promise.resolve({ done: true, value: undefined }),
    return: () => Promise.resolve({ done: true, value: undefined }),
  };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    id: row.event_id,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: new Date(row.recorded_at),
  };
}
