/**
 * The words people wrote into a case, as one reader may see them, opened from the log: free text is personal
 * data, stored sealed under the subject's key and in no view, so it is read from the case's stream and opened
 * per request (an erased subject's words read as erased).
 * - notes (`GET /cases/:id/notes`), each by its visibility;
 * - the words of the case's steps (`GET /cases/:id/reasons`): why each referral was asked for (and the
 *   emergency override's reason), declined, put on hold, failed or cancelled, its completion summary; why the
 *   case was escalated or reopened, its closing summary. Anyone who may read the case reads them: the target
 *   of a referral needs its reason to decide.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../core/actor.js';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../event-store/event-store.port.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import type { FreeText, NoteVisibility } from './case.events.js';
import { caseStreamId } from './case.events.js';
import { mayReadNote } from './case.policy.js';
import type { ExistingCase } from './case.state.js';

export interface NoteView {
  readonly id: string;
  readonly visibility: NoteVisibility;
  readonly authorInstitutionId: string | null;
  readonly author: { readonly userId: string | null; readonly role: string | null };
  readonly addedAt: string;
  /** Null once the subject's data was erased. */
  readonly text: string | null;
  readonly erased: boolean;
}

export interface ReasonView {
  readonly revision: string;
  readonly type: string;
  readonly referralId: string | null;
  /** `reason`, `overrideReason` or `summary`. */
  readonly field: string;
  readonly at: string;
  readonly text: string | null;
  readonly erased: boolean;
}

interface NoteAdded extends FreeText<'text'> {
  readonly noteId: string;
  readonly authorInstitutionId: string | null;
  readonly visibility: NoteVisibility;
  readonly at: string;
}

/** The events whose `personal` part holds the words of a step (notes and the opening's subject data are read elsewhere). */
const STEP_TEXTS = new Set([
  'ReferralRequested', 'ReferralDeclined', 'ReferralPutOnHold', 'ReferralCompleted', 'ReferralFailed', 'ReferralCancelled',
  'CaseEscalated', 'CaseClosed', 'CaseReopened',
]);

@Injectable()
export class CaseTextsQuery {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore, private readonly cipher: PersonalDataCipher) {}

  async notes(actor: Actor, state: ExistingCase): Promise<NoteView[]> {
    const notes: NoteView[] = [];
    for (const event of await this.stream(state, (type) => type === 'CaseNoteAdded')) {
      const data = event.data as NoteAdded;
      const author = event.metadata['actor'] as { userId?: string; role?: string } | undefined;
      const note = { visibility: data.visibility, authorInstitutionId: data.authorInstitutionId, authorUserId: author?.userId ?? null };
      if (!mayReadNote(actor, state, note)) continue;
      const opened = await this.cipher.open(actor, state.subject.id, data.personal);
      notes.push({
        id: data.noteId, visibility: data.visibility, authorInstitutionId: data.authorInstitutionId,
        author: { userId: author?.userId ?? null, role: author?.role ?? null }, addedAt: data.at,
        text: opened.erased ? null : opened.value.text, erased: opened.erased,
      });
    }
    return notes;
  }

  async reasons(actor: Actor, state: ExistingCase): Promise<ReasonView[]> {
    const reasons: ReasonView[] = [];
    for (const event of await this.stream(state, (type) => STEP_TEXTS.has(type))) {
      const data = event.data as FreeText<string> & { readonly referralId?: string; readonly at?: string; readonly requestedAt?: string };
      const opened = await this.cipher.open(actor, state.subject.id, data.personal);
      const texts = opened.erased ? null : opened.value;
      const fields = texts === null ? [event.type === 'ReferralCompleted' || event.type === 'CaseClosed' ? 'summary' : 'reason'] : Object.keys(texts);
      for (const field of fields) {
        reasons.push({
          revision: event.revision.toString(), type: event.type, referralId: data.referralId ?? null, field,
          at: data.at ?? data.requestedAt ?? String(event.metadata['occurredAt'] ?? ''), text: texts?.[field] ?? null, erased: texts === null,
        });
      }
    }
    return reasons;
  }

  private async stream(state: ExistingCase, wanted: (type: string) => boolean): Promise<RecordedEvent[]> {
    const found: RecordedEvent[] = [];
    for await (const event of this.events.readStream(caseStreamId(state.id))) if (wanted(event.type)) found.push(event);
    return found;
  }
}
