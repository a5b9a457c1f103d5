/** The shape of `GET /cases/:id` (DESIGN §9), from a folded case. */
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

export function caseView(state: ExistingCase, revision: bigint) {
  return {
    id: state.id,
    networkId: state.networkId,
    status: state.status,
    ownerInstitutionId: state.ownerInstitutionId,
    participants: state.participants,
    categories: state.categories,
    urgency: state.urgency,
    subject: { id: state.subject.id, regionCode: state.subject.regionCode, ...state.subject.personal },
    referrals: state.referrals.map(referralView),
    consents: state.consents,
    escalatedTo: state.escalatedTo,
    openedAt: state.openedAt,
    ...(state.status === 'closed' ? { closedAt: state.closedAt, outcome: state.outcome } : {}),
    revision: revision.toString(),
  };
}
