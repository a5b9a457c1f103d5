/**
 * Each case's timeline: what happened, when, and which role and institution did it. Free text and the
 * subject's data (the events' `personal` field) stay in the log; the timeline shows facts and codes only.
 * Entries never change once written: one per event, which a replay skips. Each is keyed by the event's log
 * position (fixed width, so that keys sort as positions do): entries are added in key order, at the end of
 * the id index, where a random key (the event's id) put each on a page of its own among a million.
 */
import { CASE_STREAM_PREFIX } from '../../cases/case.events.js';
import type { RecordedActor } from '../../core/actor.js';
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import type { Document } from '../../read-store/read-store.port.js';
import { viewProjection, type View } from '../view-projection.js';

export const CASE_TIMELINE = 'case_timeline';

export interface TimelineEntry extends Document {
  readonly caseId: string;
  readonly revision: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly actor: { readonly role: string; readonly institutionId: string | null };
  /** The event's data without its personal part. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Wide enough for any position (a 64-bit number has at most 20 digits). */
const entryId = (event: RecordedEvent) => event.position.toString().padStart(20, '0');

const caseTimeline: View<TimelineEntry> = {
  collection: CASE_TIMELINE,
  indexes: [{ keys: { caseId: 1, revision: 1 } }],
  documentId: entryId,
  evolve(_entry, event) {
    const { personal: _personal, ...details } = event.data as Record<string, unknown>;
    const actor = event.metadata['actor'] as RecordedActor | undefined;
    return {
      _id: entryId(event),
      caseId: event.streamId.slice(CASE_STREAM_PREFIX.length),
      revision: Number(event.revision),
      type: event.type,
      occurredAt: String(event.metadata['occurredAt'] ?? event.recordedAt.toISOString()),
      actor: { role: actor?.role ?? 'unknown', institutionId: actor?.institutionId ?? null },
      details,
    };
  },
};

export const caseTimelineProjection = viewProjection({ name: 'case-timeline', filter: { streamPrefixes: [CASE_STREAM_PREFIX] }, views: [caseTimeline] });
