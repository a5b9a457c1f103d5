/**
 * Each case's timeline: what happened, when, and which role and institution did it. Free text and the
 * subject's data (the events' `personal` field) stay in the log; the timeline shows facts and codes only.
 * Entries never change once written, so a replayed event rewrites the same entry.
 */
import { CASE_STREAM_PREFIX } from '../../cases/case.events.js';
import type { RecordedActor } from '../../core/actor.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { positionNumber, type Projection } from '../projection.js';

export const CASE_TIMELINE = 'case_timeline';

export interface TimelineEntry extends Document {
  readonly caseId: string;
  readonly revision: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly actor: { readonly role: string; readonly institutionId: string | null };
  /** The event's data without its personal part. */
  readonly details: Readonly<Record<string, unknown>>;
  readonly lastPosition: number;
}

export const caseTimelineProjection: Projection = {
  name: 'case-timeline',
  collections: { [CASE_TIMELINE]: [{ keys: { caseId: 1, revision: 1 } }] },
  filter: { streamPrefixes: [CASE_STREAM_PREFIX] },

  async project(events) {
    const operations: WriteOperation[] = events.map((event) => {
      const { personal: _personal, ...details } = event.data as Record<string, unknown>;
      const actor = event.metadata['actor'] as RecordedActor | undefined;
      const entry: TimelineEntry = {
        _id: event.id,
        caseId: event.streamId.slice(CASE_STREAM_PREFIX.length),
        revision: Number(event.revision),
        type: event.type,
        occurredAt: String(event.metadata['occurredAt'] ?? event.recordedAt.toISOString()),
        actor: { role: actor?.role ?? 'unknown', institutionId: actor?.institutionId ?? null },
        details,
        lastPosition: positionNumber(event.position),
      };
      return { replaceOne: { filter: { _id: entry._id }, replacement: entry, upsert: true } };
    });
    return [{ collection: CASE_TIMELINE, operations }];
  },
};
