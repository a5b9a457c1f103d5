/** The shape of `GET /cases/:id`, from a folded case and its subject's data as opened for the reader. */
import type { Opened } from '../privacy/personal-data.cipher.js';
import type { CaseOpenedPersonal } from './case.events.js';
import type { ExistingCase, Referral } from './case.state.js';

export function referralView(referral: Referral) {
  const { id, fromInstitutionId, toInstitutionId, status, urgency, requestedAt, dueAt, acceptedAt, completedAt, outcome, declineReasonCode, loopClosed } = referral;
  return {
    id, fromInstitutionId, toInstitutionId, status, urgency, requestedAt, dueAt,
    ...(acceptedAt ? { acceptedAt } : {}),
    ...(completedAt ? { completedAt } : {}),
    ...(outcome ? { outcome } : {}),
    ...(declineReasonCode ? { declineReasonCode } : {}),
    loopClosed,
  };
}

export function caseView(state: ExistingCase, revision: bigint, personal: Opened<CaseOpenedPersonal>) {
  const { id, regionCode } = state.subject;
  return {
    id: state.id,
    networkId: state.networkId,
    status: state.status,
    ownerInstitutionId: state.ownerInstitutionId,
    participants: state.participants,
    categories: state.categories,
    urgency: state.urgency,
    subject: personal.erased ? { id, erased: true as const } : { id, regionCode, ...personal.value.subject },
    ...(personal.erased ? {} : { description: personal.value.description }),
    referrals: state.referrals.map(referralView),
    consents: state.consents,
    escalatedTo: state.escalatedTo,
    openedAt: state.openedAt,
    ...(state.status === 'closed' ? { closedAt: state.closedAt, outcome: state.outcome } : {}),
    revision: revision.toString(),
  };
}
