/** A stored event's sealed personal part, opened by an app's own cipher as an auditor would be shown it. */
import type { RecordedEvent } from '../../src/event-store/event-store.port.js';
import { ERASED, PersonalDataCipher } from '../../src/privacy/personal-data.cipher.js';
import { isSealedPersonal } from '../../src/privacy/personal-data.crypto.js';
import type { TestApp } from './test-app.js';

/** The plaintext, or `{ erased: true }`; an event whose personal part is not sealed fails the test. */
export async function openedPersonal(t: TestApp, event: RecordedEvent): Promise<unknown> {
  const personal = (event.data as { personal?: unknown }).personal;
  if (!isSealedPersonal(personal)) throw new Error(`${event.type} ${event.id} holds no sealed personal data`);
  const opened = await t.app.get(PersonalDataCipher).openEvent({ userId: 'test-auditor', role: 'auditor' }, personal.subjectId, event);
  return opened === null || opened.erased ? ERASED : opened.value;
}
