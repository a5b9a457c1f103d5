/**
 * The shape of personal data in events, as types only: domain files (case.events.ts, case.state.ts) name it
 * without loading the cryptography that seals it (personal-data.crypto.ts).
 */

/** AES-256-GCM output, base64. */
export interface GcmParts {
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/** An event's `personal` field as stored. */
export interface SealedPersonal extends GcmParts {
  readonly v: 1;
  readonly subjectId: string;
  /** The event it was sealed into; a reader holding the event checks that it is this one. */
  readonly eventId: string;
}

/** `personal` as events carry it: sealed once stored, plaintext as the decider writes it (and in events written before encryption). */
export type Personal<T> = T | SealedPersonal;
