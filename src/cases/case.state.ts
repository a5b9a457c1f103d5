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

function updateReferral(state: ExistingCase, referralId: string, change: (referral: Referral) => Partial<Referral>): ExistingCase {
  return {
    ...state,
    referrals: state.referrals.map((referral) => (referral.id === referralId ? { ...referral, ...change(referral) } : referral)),
  };
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
  const ended = (at: string) => ({ endedAt: at });
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
    case 'ReferralRequested': {
      const { referralId, fromInstitutionId, toInstitutionId, targetInNetwork, urgency, requestedAt, dueAt } = event.data;
      const referral: Referral = {
        id: referralId, fromInstitutionId, toInstitutionId, targetInNetwork, status: 'requested', urgency, requestedAt, dueAt,
        acceptedAt: null, completedAt: null, endedAt: null, outcome: null, declineReasonCode: null, loopClosed: false,
      };
      return { ...state, referrals: [...state.referrals, referral] };
    }
    case 'ReferralAccepted': {
      const next = updateReferral(state, event.data.referralId, () => ({ status: 'accepted', acceptedAt: event.data.at }));
      const target = next.referrals.find((referral) => referral.id === event.data.referralId);
      return target ? { ...next, participants: withParticipant(next.participants, target.toInstitutionId) } : next;
    }
    case 'ReferralDeclined':
      return updateReferral(state, event.data.referralId, () => ({
        status: 'declined', declineReasonCode: event.data.reasonCode, ...ended(event.data.at),
      }));
    case 'ReferralCancelled':
      return updateReferral(state, event.data.referralId, () => ({ status: 'cancelled', ...ended(event.data.at) }));
    case 'ReferralExpired':
      return updateReferral(state, event.data.referralId, () => ({ status: 'expired', ...ended(event.data.at) }));
    case 'ReferralStarted':
    case 'ReferralResumed':
      return updateReferral(state, event.data.referralId, () => ({ status: 'in_progress' }));
    case 'ReferralPutOnHold':
      return updateReferral(state, event.data.referralId, () => ({ status: 'on_hold' }));
    case 'ReferralCompleted':
      return updateReferral(state, event.data.referralId, () => ({
        status: 'completed', outcome: event.data.outcome, completedAt: event.data.at, ...ended(event.data.at),
      }));
    case 'ReferralFailed':
      return updateReferral(state, event.data.referralId, () => ({ status: 'failed', ...ended(event.data.at) }));
    case 'ReferralOutcomeAcknowledged':
      return updateReferral(state, event.data.referralId, () => ({ loopClosed: true }));
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
