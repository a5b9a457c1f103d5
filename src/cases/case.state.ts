import { assertNever } from '../core/decider.js';
import type { Personal } from '../privacy/personal.js';
import type { CaseEvent, CaseOpenedPersonal, ConsentGiver, DeclineReasonCode, Outcome, Urgency } from './case.events.js';

export const ACTIVE_REFERRAL_STATUSES = ['requested', 'accepted', 'in_progress', 'on_hold'] as const;
export const TERMINAL_REFERRAL_STATUSES = ['declined', 'cancelled', 'expired', 'completed', 'failed'] as const;
export type ReferralStatus = (typeof ACTIVE_REFERRAL_STATUSES)[number] | (typeof TERMINAL_REFERRAL_STATUSES)[number];

export interface Referral {
  readonly id: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly targetInNetwork: boolean;
  readonly status: ReferralStatus;
  readonly urgency: Urgency;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly acceptedAt: string | null;
  readonly completedAt: string | null;
  /** When it reached a terminal status. */
  readonly endedAt: string | null;
  readonly outcome: Outcome | null;
  readonly declineReasonCode: DeclineReasonCode | null;
  /** The referrer acknowledged the terminal outcome: the loop is closed. */
  readonly loopClosed: boolean;
}

export interface Consent {
  readonly id: string;
  readonly recipients: readonly string[] | 'network';
  readonly givenBy: ConsentGiver;
  readonly recordedAt: string;
  readonly expiresAt: string | null;
  readonly withdrawnAt: string | null;
}

interface CaseDetails {
  readonly id: string;
  readonly networkId: string;
  readonly ownerInstitutionId: string;
  /** The owner and every institution that accepted a referral or an escalation. */
  readonly participants: readonly string[];
  /** `personal` as `CaseOpened` stored it: sealed, opened only to answer a reader. */
  readonly subject: { readonly id: string; readonly regionCode: string; readonly personal: Personal<CaseOpenedPersonal> };
  readonly categories: readonly string[];
  readonly urgency: Urgency;
  readonly referrals: readonly Referral[];
  readonly consents: readonly Consent[];
  readonly escalatedTo: readonly string[];
  readonly noteCount: number;
  readonly openedAt: string;
}

export type CaseState =
  | { readonly status: 'none' }
  | ({ readonly status: 'open' } & CaseDetails)
  | ({ readonly status: 'closed'; readonly closedAt: string; readonly outcome: Outcome } & CaseDetails);

export type ExistingCase = Exclude<CaseState, { status: 'none' }>;

export const initialCaseState: CaseState = { status: 'none' };

export const isTerminal = (status: ReferralStatus): boolean =>
  (TERMINAL_REFERRAL_STATUSES as readonly string[]).includes(status);

function withParticipant(participants: readonly string[], institutionId: string): readonly string[] {
  return participants.includes(institutionId) ? participants : [...participants, institutionId];
}

/** The events that change a referral once it was asked for. */
export type ReferralChange = Exclude<Extract<CaseEvent, { readonly data: { readonly referralId: string } }>, { readonly type: 'ReferralRequested' }>;

/** What a referral's events change in it: everything but who, what and when it was asked. */
export type ReferralProgress = Pick<Referral, 'status' | 'acceptedAt' | 'completedAt' | 'endedAt' | 'outcome' | 'declineReasonCode' | 'loopClosed'>;

export const isReferralChange = (event: CaseEvent): event is ReferralChange => 'referralId' in event.data && event.type !== 'ReferralRequested';

/** A referral as `ReferralRequested` asks for it. */
export function requestedReferral(data: Extract<CaseEvent, { type: 'ReferralRequested' }>['data']): Referral {
  const { referralId, fromInstitutionId, toInstitutionId, targetInNetwork, urgency, requestedAt, dueAt } = data;
  return {
    id: referralId, fromInstitutionId, toInstitutionId, targetInNetwork, status: 'requested', urgency, requestedAt, dueAt,
    acceptedAt: null, completedAt: null, endedAt: null, outcome: null, declineReasonCode: null, loopClosed: false,
  };
}

/**
 * The referral's state machine, as its events record it: the case folds each referral with it, and the
 * analytics view folds its referral facts with it (they carry the same progress fields).
 */
export function evolveReferral<R extends ReferralProgress>(referral: R, event: ReferralChange): R {
  const ended = { endedAt: event.data.at };
  switch (event.type) {
    case 'ReferralAccepted':
      return { ...referral, status: 'accepted', acceptedAt: event.data.at };
    case 'ReferralDeclined':
      return { ...referral, status: 'declined', declineReasonCode: event.data.reasonCode, ...ended };
    case 'ReferralCancelled':
      return { ...referral, status: 'cancelled', ...ended };
    case 'ReferralExpired':
      return { ...referral, status: 'expired', ...ended };
    case 'ReferralStarted':
    case 'ReferralResumed':
      return { ...referral, status: 'in_progress' };
    case 'ReferralPutOnHold':
      return { ...referral, status: 'on_hold' };
    case 'ReferralCompleted':
      return { ...referral, status: 'completed', outcome: event.data.outcome, completedAt: event.data.at, ...ended };
    case 'ReferralFailed':
      return { ...referral, status: 'failed', ...ended };
    case 'ReferralOutcomeAcknowledged':
      return { ...referral, loopClosed: true };
    default:
      return assertNever(event);
  }
}

/** A referral event on the case: the referral evolves; its target, once it accepts, takes part in the case. */
function changeReferral(state: ExistingCase, event: ReferralChange): ExistingCase {
  const referrals = state.referrals.map((referral) => (referral.id === event.data.referralId ? evolveReferral(referral, event) : referral));
  const accepted = event.type === 'ReferralAccepted' ? referrals.find((referral) => referral.id === event.data.referralId) : undefined;
  return { ...state, referrals, ...(accepted ? { participants: withParticipant(state.participants, accepted.toInstitutionId) } : {}) };
}

export function evolveCase(state: CaseState, event: CaseEvent): CaseState {
  if (event.type === 'CaseOpened') {
    const { caseId, networkId, ownerInstitutionId, subjectId, regionCode, categories, urgency, openedAt, personal } = event.data;
    return {
      status: 'open',
      id: caseId,
      networkId,
      ownerInstitutionId,
      participants: [ownerInstitutionId],
      subject: { id: subjectId, regionCode, personal },
      categories,
      urgency,
      referrals: [],
      consents: [],
      escalatedTo: [],
      noteCount: 0,
      openedAt,
    };
  }
  if (state.status === 'none') return state;
  if (isReferralChange(event)) return changeReferral(state, event);
  switch (event.type) {
    case 'ConsentRecorded': {
      const { consentId, recipients, givenBy, recordedAt, expiresAt } = event.data;
      return { ...state, consents: [...state.consents, { id: consentId, recipients, givenBy, recordedAt, expiresAt, withdrawnAt: null }] };
    }
    case 'ConsentWithdrawn':
      return {
        ...state,
        consents: state.consents.map((consent) => (consent.id === event.data.consentId ? { ...consent, withdrawnAt: event.data.at } : consent)),
      };
    case 'NeedsAssessed':
      return { ...state, categories: event.data.categories, urgency: event.data.urgency };
    case 'CaseNoteAdded':
      return { ...state, noteCount: state.noteCount + 1 };
    case 'ReferralRequested':
      return { ...state, referrals: [...state.referrals, requestedReferral(event.data)] };
    case 'CaseEscalated':
      return {
        ...state,
        escalatedTo: [...state.escalatedTo, event.data.toInstitutionId],
        participants: withParticipant(state.participants, event.data.toInstitutionId),
      };
    case 'CaseClosed':
      return { ...state, status: 'closed', closedAt: event.data.at, outcome: event.data.outcome };
    case 'CaseReopened': {
      if (state.status !== 'closed') return state;
      const { closedAt: _closedAt, outcome: _outcome, ...details } = state;
      return { ...details, status: 'open' };
    }
    default:
      return assertNever(event);
  }
}
