/**
 * What auditors read from the log itself, not from the views: a page of a stream by revision, and a case
 * folded by the domain's own `evolve` up to a revision or a moment.
 */
import { NotFoundError } from '../core/domain-error.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';
import { caseStreamId, type CaseEvent } from '../cases/case.events.js';
import { evolveCase, initialCaseState, type CaseState, type ExistingCase } from '../cases/case.state.js';

export async function streamExists(store: EventStore, streamId: string): Promise<boolean> {
  for await (const _event of store.readStream(streamId, { maxCount: 1 })) return true;
  return false;
}

/** Events from revision `cursor` on; the cursor of the next page is the revision that follows the last. */
export async function readPage(store: EventStore, streamId: string, page: { cursor?: bigint; limit: number }): Promise<{ events: RecordedEvent[]; nextCursor: string | null }> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId, { fromRevision: page.cursor ?? 'start', maxCount: page.limit + 1 })) events.push(event);
  return { events, nextCursor: events.length > page.limit ? events.pop()!.revision.toString() : null };
}

/** The subject of a case, as its first event names it. */
export async function caseSubjectId(store: EventStore, caseId: string): Promise<string> {
  for await (const opened of store.readStream(caseStreamId(caseId), { maxCount: 1 })) return (opened.data as { subjectId: string }).subjectId;
  throw new NotFoundError(`No case with id ${caseId}`);
}

export type HistoryPoint = { readonly revision: bigint } | { readonly asOf: string };

/**
 * The case folded up to and including `revision`, or over every event whose `occurredAt` is at or before
 * `asOf`. The stream is taken as a prefix: it stops at the first event after `asOf`, so the state is one
 * the case really had. No state before the first event or past the last revision: NotFoundError (404).
 */
export async function caseStateAt(store: EventStore, caseId: string, point: HistoryPoint): Promise<{ state: ExistingCase; revision: bigint }> {
  const asOf = 'asOf' in point ? point.asOf : null;
  const until = asOf === null ? Infinity : Date.parse(asOf);
  const maxCount = 'revision' in point ? Number(point.revision) + 1 : undefined;
  let state: CaseState = initialCaseState;
  let revision: bigint | null = null;
  for await (const event of store.readStream(caseStreamId(caseId), { maxCount })) {
    if (Date.parse(String(event.metadata['occurredAt'])) > until) {
      if (revision === null) throw new NotFoundError(`Case ${caseId} did not exist yet at ${asOf}: its first event occurred at ${String(event.metadata['occurredAt'])}`);
      break;
    }
    state = evolveCase(state, { type: event.type, data: event.data } as CaseEvent);
    revision = event.revision;
  }
  if (revision === null || state.status === 'none') throw new NotFoundError(`No case with id ${caseId}`);
  if ('revision' in point && revision < point.revision) throw new NotFoundError(`Case ${caseId} has no revision ${point.revision}: its last is ${revision}`);
  return { state, revision };
}
