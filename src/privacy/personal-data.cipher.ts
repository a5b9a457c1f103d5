/**
 * Seals and opens events' `personal` fields with the subjects' data keys. Sealing happens on the write
 * path, before the hash chain; opening only when answering a caller whose role may see personal data. Once a
 * subject's key is gone its data reads as erased. Events written before encryption hold plaintext: it is
 * shown until the subject is erased, then hidden like the rest.
 */
import { Injectable } from '@nestjs/common';
import type { Actor, Role } from '../core/actor.js';
import { ForbiddenError } from '../core/domain-error.js';
import { isSealedPersonal, newDataKey, openPersonal, PersonalDataIntegrityError, sealPersonal } from './personal-data.crypto.js';
import type { Personal, SealedPersonal } from './personal.js';
import { SubjectKeyStore } from './subject-key.store.js';

export type Opened<T> = { readonly erased: false; readonly value: T } | { readonly erased: true };

export const ERASED = { erased: true } as const;

/** Who may see personal data where they may read the case at all: never analysts, nor admins. */
const PERSONAL_DATA_ROLES: readonly Role[] = ['caseworker', 'coordinator', 'dinsos', 'auditor'];

@Injectable()
export class PersonalDataCipher {
  constructor(private readonly keys: SubjectKeyStore) {}

  /**
   * `plaintext` sealed for event `eventId`. An erased subject gets no key again: what is still written about
   * it (a referral declined after the erasure) is sealed under a key nobody keeps, shredded as it is written.
   */
  async seal(subjectId: string, eventId: string, plaintext: unknown): Promise<SealedPersonal> {
    const found = await this.keys.findOrCreate(subjectId);
    return sealPersonal(found.status === 'active' ? found.key : newDataKey(), subjectId, eventId, plaintext);
  }

  async open<T>(actor: Actor, subjectId: string, personal: Personal<T>): Promise<Opened<T>> {
    if (!PERSONAL_DATA_ROLES.includes(actor.role)) throw new ForbiddenError(`The ${actor.role} role may not see personal data`);
    const sealed = isSealedPersonal(personal);
    if (sealed && personal.subjectId !== subjectId) throw new PersonalDataIntegrityError(`The personal data of event ${personal.eventId}`);
    const found = await this.keys.find(subjectId);
    if (!sealed) return found.status === 'erased' ? ERASED : { erased: false, value: personal };
    // No key (erased, or never kept): crypto-shredded.
    return found.status === 'active' ? { erased: false, value: openPersonal(found.key, personal) as T } : ERASED;
  }

  /** The personal part of a stored event, opened, or null when it has none; a blob sealed into another event is refused. */
  async openEvent(actor: Actor, subjectId: string, event: { readonly id: string; readonly data: unknown }): Promise<Opened<unknown> | null> {
    const personal = (event.data as { personal?: unknown } | null)?.personal;
    if (personal === undefined) return null;
    if (isSealedPersonal(personal) && personal.eventId !== event.id) throw new PersonalDataIntegrityError(`The personal data of event ${event.id}`);
    return this.open(actor, subjectId, personal);
  }
}
