/**
 * The in-memory log of the EventStoreDB test double: the $all log and its streams, with EventStoreDB's
 * expected-revision check and idempotent-append rules. Knows nothing about gRPC.
 */
import { randomUUID } from 'node:crypto';

/** One event as the double's log records it. */
export interface RecordedEvent {
  readonly streamName: string;
  /** Position in its stream, from 0. */
  readonly revision: number;
  /** Lower-case UUID. */
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
  /** EventStoreDB's `created`: 100-ns ticks since the Unix epoch. */
  readonly created: bigint;
  /** Commit position; the prepare position is the same (every write is its own transaction). */
  readonly position: number;
}

export type ProposedEvent = Pick<RecordedEvent, 'id' | 'type' | 'contentType' | 'data' | 'customMetadata'>;

/** As the client spells it: an exact revision, or one of EventStoreDB's expectations. */
export type ExpectedRevision = number | 'no_stream' | 'any' | 'stream_exists';

/** `currentRevision` undefined means the stream does not exist; `position` undefined means no position. */
export type AppendResult =
  | { readonly ok: true; readonly currentRevision: number | undefined; readonly position: number | undefined }
  | { readonly ok: false; readonly currentRevision: number | undefined };

export class EventLog {
  private readonly all: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();

  /** Starts from a previous log, or from the system events a fresh EventStoreDB node writes. */
  constructor(previous?: readonly RecordedEvent[]) {
    if (previous) for (const event of previous) this.record(event);
    else for (const [streamName, type, data] of SYSTEM_EVENTS) this.write(streamName, jsonEvent(type, data));
  }

  /** Every event, in $all order. */
  get events(): readonly RecordedEvent[] {
    return this.all;
  }

  stream(name: string): readonly RecordedEvent[] | undefined {
    return this.streams.get(name);
  }

  /** Index in `events` of the first event at or after `position` (`events.length` if none). */
  indexFrom(position: number): number {
    let low = 0;
    let high = this.all.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.all[middle]!.position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  append(streamName: string, expected: ExpectedRevision, proposed: readonly ProposedEvent[]): AppendResult {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length - 1;
    const currentRevision = current < 0 ? undefined : current;

    const retried = retriedWrite(stream, expected, proposed);
    if (retried === 'conflict') return { ok: false, currentRevision };
    if (retried) return { ok: true, currentRevision: retried.revision, position: retried.position };

    if (!expectationHolds(expected, current)) return { ok: false, currentRevision };
    if (proposed.length === 0) return { ok: true, currentRevision, position: stream.at(-1)?.position };
    let last!: RecordedEvent;
    for (const event of proposed) last = this.write(streamName, event);
    return { ok: true, currentRevision: last.revision, position: last.position };
  }

  private write(streamName: string, event: ProposedEvent): RecordedEvent {
    const previous = this.all.at(-1);
    return this.record({
      ...event,
      streamName,
      revision: this.streams.get(streamName)?.length ?? 0,
      created: BigInt(Date.now()) * TICKS_PER_MILLISECOND,
      position: previous ? previous.position + recordSize(previous) : 0,
    });
  }

  private record(event: RecordedEvent): RecordedEvent {
    this.all.push(event);
    const stream = this.streams.get(event.streamName);
    if (stream) stream.push(event);
    else this.streams.set(event.streamName, [event]);
    return event;
  }
}

const TICKS_PER_MILLISECOND = 10_000n;

/** Positions advance by a byte-size-like amount, as in EventStoreDB's transaction file: never by 1. */
function recordSize(event: RecordedEvent): number {
  return 64 + event.streamName.length + event.type.length + event.data.length + event.customMetadata.length;
}

function expectationHolds(expected: ExpectedRevision, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return expected === current;
  }
}

/**
 * EventStoreDB's idempotency: a write whose events already sit in the stream, in order, where the expectation
 * puts them (after the expected revision; for `any`/`stream_exists`, wherever the first id is) succeeds again
 * without writing. Returns the last of those events, 'conflict' if only some of them match, or undefined when
 * the write is not a retry.
 */
function retriedWrite(
  stream: readonly RecordedEvent[],
  expected: ExpectedRevision,
  proposed: readonly ProposedEvent[],
): RecordedEvent | 'conflict' | undefined {
  const first = proposed[0];
  if (!first) return undefined;
  const current = stream.length - 1;
  let start: number;
  if (expected === 'any' || expected === 'stream_exists') {
    start = stream.findIndex((event) => event.id === first.id);
    if (start < 0) return undefined;
  } else {
    start = (expected === 'no_stream' ? -1 : expected) + 1;
    if (start > current) return undefined;
  }
  const matches = proposed.every((event, i) => stream[start + i]?.id === event.id);
  return matches ? stream[start + proposed.length - 1] : 'conflict';
}

function jsonEvent(type: string, data: unknown): ProposedEvent {
  return {
    id: randomUUID(),
    type,
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify(data)),
    customMetadata: new Uint8Array(),
  };
}

/** What a fresh single node holds before any client writes: streams and event types starting with `$`. */
const SYSTEM_EVENTS: ReadonlyArray<readonly [string, string, unknown]> = [
  ['$epoch-information', '$epoch-information', { epochNumber: 0, epochPosition: 0, prevEpochPosition: -1 }],
  ['$users', '$User', 'admin'],
  ['$user-admin', '$user', { loginName: 'admin', fullName: 'Event Store Administrator', groups: ['$admins'] }],
  ['$users', '$User', 'ops'],
  ['$user-ops', '$user', { loginName: 'ops', fullName: 'Event Store Operations', groups: ['$ops'] }],
  ['$scavenges', '$scavengeIndexInitialized', {}],
];
