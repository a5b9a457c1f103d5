/**
 * Case summaries (for `GET /cases`, `GET /cases/:id`) and the referral rows behind every institution's
 * inbox and outbox. Each case document holds the case folded with the domain's own `evolveCase`, so the
 * view cannot drift from the aggregate; referral rows are derived from it and written first, so a crash
 * between the two writes is repaired by the replay (the case document marks progress).
 */
import { CASE_STREAM_PREFIX, type CaseEvent, type Urgency } from '../../cases/case.events.js';
import { touchedBy } from '../../cases/case.policy.js';
import { evolveCase, initialCaseState, isTerminal, type ExistingCase, type ReferralStatus } from '../../cases/case.state.js';
import type { Document } from '../../read-store/read-store.port.js';
import { viewProjection, type View } from '../view-projection.js';

export const CASES = 'cases';
export const REFERRALS = 'referrals';

export interface CaseDocument extends Document {
  readonly revision: string;
  readonly state: ExistingCase;
  readonly networkId: string;
  readonly status: 'open' | 'closed';
  readonly ownerInstitutionId: string;
  /** Every institution the case touched (the read policy's `touchedBy`): owner, participants, referral senders and targets, escalations. */
  readonly touchedBy: readonly string[];
  readonly escalated: boolean;
  readonly categories: readonly string[];
  readonly regionCode: string;
  readonly urgency: Urgency;
  readonly openedAt: string;
}

export interface ReferralDocument extends Document {
  readonly caseId: string;
  readonly networkId: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: ReferralStatus;
  /** Not yet terminal: may still become overdue. */
  readonly active: boolean;
  readonly urgency: Urgency;
  readonly requestedAt: string;
  readonly dueAt: string;
  /** The referrer acknowledged the outcome: nothing more to do on it. */
  readonly loopClosed: boolean;
  /** The case's PPKS categories: what the referral is about, without anything personal. */
  readonly categories: readonly string[];
}

function caseDocument(state: ExistingCase, revision: bigint): CaseDocument {
  return {
    _id: state.id,
    revision: revision.toString(),
    state,
    networkId: state.networkId,
    status: state.status,
    ownerInstitutionId: state.ownerInstitutionId,
    touchedBy: touchedBy(state),
    escalated: state.escalatedTo.length > 0,
    categories: state.categories,
    regionCode: state.subject.regionCode,
    urgency: state.urgency,
    openedAt: state.openedAt,
  };
}

/** Each referral row carries its case's position: the rows of a case are rewritten with it. */
function referralDocuments({ state }: CaseDocument): ReferralDocument[] {
  return state.referrals.map((referral) => ({
    _id: referral.id,
    caseId: state.id,
    networkId: state.networkId,
    fromInstitutionId: referral.fromInstitutionId,
    toInstitutionId: referral.toInstitutionId,
    status: referral.status,
    active: !isTerminal(referral.status),
    urgency: referral.urgency,
    requestedAt: referral.requestedAt,
    dueAt: referral.dueAt,
    loopClosed: referral.loopClosed,
    categories: state.categories,
  }));
}

const caseSummaries: View<CaseDocument> = {
  collection: CASES,
  // Each list a role sees, in its order (newest first): a page reads about as many entries as it shows.
  // By subject too: a data subject's access report and erasure find their cases.
  indexes: [
    { keys: { touchedBy: 1, openedAt: -1 } }, { keys: { networkId: 1, openedAt: -1 } }, { keys: { escalated: 1, openedAt: -1 } },
    { keys: { openedAt: -1 } }, { keys: { 'state.subject.id': 1 } },
  ],
  documentId: (event) => event.streamId.slice(CASE_STREAM_PREFIX.length),
  evolve(document, event) {
    const state = evolveCase(document?.state ?? initialCaseState, { type: event.type, data: event.data } as CaseEvent);
    return state.status === 'none' ? null : caseDocument(state, event.revision);
  },
  rows: {
    collection: REFERRALS,
    // Inboxes and outboxes in their order (active first, then by due time), also by status; expiry by due time.
    indexes: [
      { keys: { toInstitutionId: 1, active: -1, dueAt: 1 } }, { keys: { fromInstitutionId: 1, active: -1, dueAt: 1 } },
      { keys: { toInstitutionId: 1, status: 1, active: -1, dueAt: 1 } }, { keys: { fromInstitutionId: 1, status: 1, active: -1, dueAt: 1 } },
      { keys: { status: 1, dueAt: 1 } },
      // By position too: the referral feed reads what changed since it last looked.
      { keys: { lastPosition: 1 } },
    ],
    of: referralDocuments,
  },
};

export const caseSummariesProjection = viewProjection({ name: 'case-summaries', filter: { streamPrefixes: [CASE_STREAM_PREFIX] }, views: [caseSummaries] });
