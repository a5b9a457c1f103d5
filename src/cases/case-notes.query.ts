/**
 * A case's notes as one reader may see them (`GET /cases/:id/notes`), opened from the log: notes are free
 * text, stored sealed under the subject's key and in no view, so they are read from the case's stream and
 * opened per request (erased subjects' notes read as erased). The case is loaded from the same log.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../core/actor.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
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

interface NoteAdded extends FreeText<'text'> {
  readonly noteId: string;
  readonly authorInstitutionId: string | null;
  readonly visibility: NoteVisibility;
  readonly at: string;
}

@Injectable()
export class CaseNotesQuery {
  constructor(@Inject(EVENT_STORE) private readonly events: EventStore, private readonly cipher: PersonalDataCipher) {}

  async notes(actor: Actor, state: ExistingCase): Promise<NoteView[]> {
    const notes: NoteView[] = [];
    for await (const event of this.events.readStream(caseStreamId(state.id))) {
      if (event.type !== 'CaseNoteAdded') continue;
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
}
