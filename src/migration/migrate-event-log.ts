/**
 * Copies one event log into another (`npx rujukan migrate`): every event in global order, into the same
 * stream at the same revision, with its id, type, data and metadata; then verifies the copy.
 *
 * Safe to interrupt and rerun: each event is appended with expectedRevision = its revision − 1, so an
 * event the target already holds is an idempotent no-op (same id at the same revision) and a different
 * event there stops the copy with an error naming the stream and revision. Nothing is skipped or written
 * twice; the checkpoint only spares a rerun from re-sending what was copied before.
 */
import { isDeepStrictEqual } from 'node:util';
import { findChainBreak } from '../core/event-envelope.js';
import { WrongExpectedVersionError, type EventStore, type ExpectedRevision, type RecordedEvent } from '../event-store/event-store.port.js';
import type { MigrationCheckpoint } from './migration-checkpoint.js';

/** Keeps an append of ordinary events well under EventStoreDB's default limit of 1 MiB per append. */
const DEFAULT_BATCH_SIZE = 100;

export interface MigrationProgress {
  readonly done: number;
  readonly total: number;
}

export interface MigrateOptions {
  readonly checkpoint: MigrationCheckpoint;
  readonly onProgress?: (progress: MigrationProgress) => void;
  /** Stops between two appends; the checkpoint then holds everything copied. */
  readonly signal?: AbortSignal;
  /** Most events per append (consecutive events of one stream). */
  readonly batchSize?: number;
}

export interface MigrationReport {
  /** Events in the source. */
  readonly total: number;
  /** The checkpoint this run resumed after, or null when it started from the beginning. */
  readonly resumedAfter: bigint | null;
  /** Events this run sent, re-sent ones the target already held included. */
  readonly sent: number;
  readonly appends: number;
}

/** The target holds something other than the source at this stream and revision. */
export class MigrationConflictError extends Error {
  constructor(readonly streamId: string, readonly revision: bigint, detail: string) {
    super(`Conflict in the target at stream ${streamId}, revision ${revision}: ${detail}. Nothing further was copied.`);
    this.name = 'MigrationConflictError';
  }
}

export async function migrateEventLog(source: EventStore, target: EventStore, options: MigrateOptions): Promise<MigrationReport> {
  const resumedAfter = await options.checkpoint.load();
  const { total, upToCheckpoint } = await countEvents(source, resumedAfter);
  let sent = 0;
  let appends = 0;
  options.onProgress?.({ done: upToCheckpoint, total });
  for await (const run of runsOfOneStream(eventsAfter(source, resumedAfter), options.batchSize ?? DEFAULT_BATCH_SIZE)) {
    options.signal?.throwIfAborted();
    await copyRun(target, run);
    await options.checkpoint.save(run.at(-1)!.position);
    sent += run.length;
    appends += 1;
    options.onProgress?.({ done: upToCheckpoint + sent, total });
  }
  return { total, resumedAfter, sent, appends };
}

async function countEvents(source: EventStore, checkpoint: bigint | null): Promise<{ total: number; upToCheckpoint: number }> {
  let total = 0;
  let upToCheckpoint = 0;
  for await (const event of source.readAll()) {
    total += 1;
    if (checkpoint !== null && event.position <= checkpoint) upToCheckpoint += 1;
  }
  return { total, upToCheckpoint };
}

async function* eventsAfter(source: EventStore, checkpoint: bigint | null): AsyncIterable<RecordedEvent> {
  // readAll is inclusive, and a position between two events need not be valid in every store.
  for await (const event of source.readAll({ fromPosition: checkpoint ?? 'start' })) {
    if (checkpoint === null || event.position > checkpoint) yield event;
  }
}

/** Consecutive events of one stream, which one append can carry. */
async function* runsOfOneStream(events: AsyncIterable<RecordedEvent>, batchSize: number): AsyncIterable<RecordedEvent[]> {
  let run: RecordedEvent[] = [];
  for await (const event of events) {
    if (run.length === batchSize || (run.length > 0 && run[0]!.streamId !== event.streamId)) {
      yield run;
      run = [];
    }
    run.push(event);
  }
  if (run.length > 0) yield run;
}

async function copyRun(target: EventStore, run: readonly RecordedEvent[]): Promise<void> {
  try {
    await appendInPlace(target, run);
  } catch (error) {
    // The run may be partly in the target already (an earlier run batched it differently), or the
    // target may hold other events: find out from what it holds.
    const held = await heldByTarget(target, run);
    if (held === 0) throw explained(error, run[0]!);
    if (held < run.length) await appendInPlace(target, run.slice(held));
  }
}

function appendInPlace(target: EventStore, events: readonly RecordedEvent[]): Promise<unknown> {
  const first = events[0]!;
  const expectedRevision: ExpectedRevision = first.revision === 0n ? 'no_stream' : first.revision - 1n;
  return target.append(first.streamId, events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })), { expectedRevision });
}

/** How many of the run's events the target holds at their revisions; throws at the first different one. */
async function heldByTarget(target: EventStore, run: readonly RecordedEvent[]): Promise<number> {
  const first = run[0]!;
  // Read to the end before comparing: leaving an EventStoreDB read early keeps its call open.
  const stored = await collect(target.readStream(first.streamId, { fromRevision: first.revision, maxCount: run.length }));
  stored.forEach((event, index) => {
    const expected = run[index]!;
    if (event.id !== expected.id) {
      throw new MigrationConflictError(event.streamId, event.revision, `it holds event ${event.id} (${event.type}) where the source has ${expected.id} (${expected.type})`);
    }
  });
  return stored.length;
}

/** A refused append of events the target does not hold means it lacks the ones before them. */
function explained(error: unknown, first: RecordedEvent): unknown {
  if (!(error instanceof WrongExpectedVersionError)) return error;
  const there = error.actual === 'no_stream' ? 'the stream does not exist there' : `the stream ends at revision ${error.actual} there`;
  return new MigrationConflictError(
    first.streamId,
    first.revision,
    `${there}, so the target lacks earlier events of the source (was it reset after an earlier run? then delete the migration checkpoint)`,
  );
}

export type MismatchKind = 'missing' | 'extra' | 'different' | 'brokenChain';

export interface Mismatch {
  readonly kind: MismatchKind;
  readonly streamId: string;
  readonly revision: bigint;
  readonly detail: string;
}

export interface VerificationReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly sourceEvents: number;
  /** Events of the source's streams in the target. */
  readonly targetEvents: number;
  readonly mismatches: Readonly<Record<MismatchKind, number>>;
  readonly firstMismatch: Mismatch | null;
}

const COMPARED = ['id', 'type', 'data', 'metadata'] as const;

/**
 * Compares every stream of the source with the same stream in the target, event by event, and checks each
 * copied stream's hash chain. The target may hold other streams: they are not read.
 */
export async function verifyMigration(
  source: EventStore,
  target: EventStore,
  onProgress: (progress: MigrationProgress) => void = () => {},
): Promise<VerificationReport> {
  const streams = new Set<string>();
  let total = 0;
  for await (const event of source.readAll()) {
    streams.add(event.streamId);
    total += 1;
  }
  const mismatches: Record<MismatchKind, number> = { missing: 0, extra: 0, different: 0, brokenChain: 0 };
  let firstMismatch: Mismatch | null = null;
  const report = (mismatch: Mismatch) => {
    mismatches[mismatch.kind] += 1;
    firstMismatch ??= mismatch;
  };
  let sourceEvents = 0;
  let targetEvents = 0;
  onProgress({ done: 0, total });
  for (const streamId of streams) {
    const [expected, copied] = await Promise.all([collect(source.readStream(streamId)), collect(target.readStream(streamId))]);
    const byRevision = new Map(copied.map((event) => [event.revision, event]));
    for (const event of expected) {
      const copy = byRevision.get(event.revision);
      byRevision.delete(event.revision);
      const differing = copy ? COMPARED.filter((field) => !isDeepStrictEqual(event[field], copy[field])) : [];
      if (!copy) report({ kind: 'missing', streamId, revision: event.revision, detail: `event ${event.id} (${event.type}) is not in the target` });
      else if (differing.length > 0) report({ kind: 'different', streamId, revision: event.revision, detail: `${differing.join(', ')} differ` });
    }
    for (const extra of byRevision.values()) {
      report({ kind: 'extra', streamId, revision: extra.revision, detail: `event ${extra.id} (${extra.type}) is not in the source` });
    }
    const chainBreak = findChainBreak(copied);
    if (chainBreak) report({ kind: 'brokenChain', streamId, revision: chainBreak.revision, detail: `${chainBreak.reason} at event ${chainBreak.eventId}` });
    sourceEvents += expected.length;
    targetEvents += copied.length;
    onProgress({ done: sourceEvents, total });
  }
  return { ok: firstMismatch === null, streams: streams.size, sourceEvents, targetEvents, mismatches, firstMismatch };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
