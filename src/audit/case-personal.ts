/**
 * What an auditor is shown of a case's personal data beside the events as stored (sealed): each event's
 * `personal` opened while the subject's key exists, `{ erased: true }` once it is gone (docs/architecture.md, "Personal data").
 */
import type { Actor } from '../core/actor.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';
import { ERASED, type PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { caseSubjectId } from './case-history.js';

/** `{ personal }` for an event that has a personal part, `{}` for one that has none. */
export type PersonalOf = (event: RecordedEvent) => Promise<{ readonly personal?: unknown }>;

export async function personalOfCase(store: EventStore, cipher: PersonalDataCipher, actor: Actor, caseId: string): Promise<PersonalOf> {
  const subjectId = await caseSubjectId(store, caseId);
  return async (event) => {
    const opened = await cipher.openEvent(actor, subjectId, event);
    return opened === null ? {} : { personal: opened.erased ? ERASED : opened.value };
  };
}
