/**
 * Case events (docs/architecture.md, "Streams and events"). Referrals live inside the case stream so case rules hold under one stream's
 * optimistic concurrency. Personal data and free text sit only under `personal`: the decider writes it in
 * plaintext, the write path seals it under the subject's key before the event is stored (docs/architecture.md, "Personal data"), and the
 * folds carry it along unopened.
 */
import type { DomainEvent } from '../core/decider.js';
import type { Personal } from '../privacy/personal.js';

export const URGENCIES = ['low', 'normal', 'high', 'emergency'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const DECLINE_REASON_CODES = ['no_capacity', 'not_eligible', 'outside_area', 'missing_documents', 'duplicate', 'other'] as const;
export type DeclineReasonCode = (typeof DECLINE_REASON_CODES)[number];

export const OUTCOMES = ['resolved', 'partially_resolved', 'not_resolved'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CONSENT_GIVERS = ['subject', 'guardian'] as const;
export type ConsentGiver = (typeof CONSENT_GIVERS)[number];

export const NOTE_VISIBILITIES = ['participants', 'institution'] as const;
export type NoteVisibility = (typeof NOTE_VISIBILITIES)[number];

export const CASE_STREAM_PREFIX = 'case-';
export const caseStreamId = (caseId: string): string => `${CASE_STREAM_PREFIX}${caseId}`;

/** What the case holds about the person helped; never logged, never shown to analysts. */
export interface SubjectPersonalData {
  readonly name: string;
  readonly nik?: string;
  readonly kkNumber?: string;
  readonly address?: string;
  readonly rt?: string;
  readonly rw?: string;
  readonly phone?: string;
  readonly birthDate?: string;
}

/** What a case holds about its subject from the start: `CaseOpened`'s personal part. */
export interface CaseOpenedPersonal {
  readonly subject: SubjectPersonalData;
  readonly description: string;
}

/** Free text written by caseworkers: personal data too. */
export interface FreeText<Field extends string> {
  readonly personal: Personal<Readonly<Record<Field, string>>>;
}

interface OnReferral {
  readonly referralId: string;
  readonly at: string;
}

export type CaseEvent =
  | DomainEvent<'CaseOpened', {
      readonly caseId: string;
      readonly networkId: string;
      readonly ownerInstitutionId: string;
      readonly subjectId: string;
      /** The subject's kelurahan: coarse enough for statistics, kept outside `personal`. */
      readonly regionCode: string;
      readonly categories: readonly string[];
      readonly urgency: Urgency;
      readonly openedAt: string;
      readonly personal: Personal<CaseOpenedPersonal>;
    }>
  | DomainEvent<'ConsentRecorded', {
      readonly consentId: string;
      readonly scope: 'referral';
      readonly recipients: readonly string[] | 'network';
      readonly givenBy: ConsentGiver;
      readonly recordedAt: string;
      readonly expiresAt: string | null;
    }>
  | DomainEvent<'ConsentWithdrawn', { readonly consentId: string; readonly at: string }>
  | DomainEvent<'NeedsAssessed', { readonly categories: readonly string[]; readonly urgency: Urgency; readonly at: string }>
  | DomainEvent<'CaseNoteAdded', {
      readonly noteId: string;
      readonly authorInstitutionId: string | null;
      readonly visibility: NoteVisibility;
      readonly at: string;
    } & FreeText<'text'>>
  | DomainEvent<'ReferralRequested', {
      readonly referralId: string;
      readonly fromInstitutionId: string;
      readonly toInstitutionId: string;
      readonly urgency: Urgency;
      readonly requestedAt: string;
      readonly dueAt: string;
      /** The target was a member of the case's network when asked (city-wide and escalated targets are not). */
      readonly targetInNetwork: boolean;
      /** The consent that covers the target, or null when sent under an emergency override. */
      readonly consentId: string | null;
      readonly emergencyOverride: boolean;
      readonly personal: Personal<{ readonly reason: string; readonly overrideReason?: string }>;
    }>
  | DomainEvent<'ReferralAccepted', OnReferral>
  | DomainEvent<'ReferralDeclined', OnReferral & { readonly reasonCode: DeclineReasonCode } & FreeText<'reason'>>
  | DomainEvent<'ReferralCancelled', OnReferral & FreeText<'reason'>>
  | DomainEvent<'ReferralExpired', OnReferral>
  | DomainEvent<'ReferralStarted', OnReferral>
  | DomainEvent<'ReferralPutOnHold', OnReferral & FreeText<'reason'>>
  | DomainEvent<'ReferralResumed', OnReferral>
  | DomainEvent<'ReferralCompleted', OnReferral & { readonly outcome: Outcome } & FreeText<'summary'>>
  | DomainEvent<'ReferralFailed', OnReferral & FreeText<'reason'>>
  | DomainEvent<'ReferralOutcomeAcknowledged', OnReferral>
  | DomainEvent<'CaseEscalated', { readonly toInstitutionId: string; readonly at: string } & FreeText<'reason'>>
  | DomainEvent<'CaseClosed', { readonly outcome: Outcome; readonly at: string } & FreeText<'summary'>>
  | DomainEvent<'CaseReopened', { readonly at: string } & FreeText<'reason'>>;

export type CaseEventType = CaseEvent['type'];
