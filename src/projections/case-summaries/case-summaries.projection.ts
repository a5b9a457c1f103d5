/**
 * Case summaries (for `GET /cases`, `GET /cases/:id`) and the referral rows behind every institution's
 * inbox and outbox. Each case document holds the case folded with the domain's own `evolveCase`, so the
 * view cannot drift from the aggregate; referral rows are derived from it and written first, so a crash
 * between the two writes is repaired by the replay (the case document marks progress).
 */
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import { CASE_STREAM_PREFIX, type CaseEvent, type Urgency } from '../../cases/case.events.js';
import { touchedBy } from '../../cases/case.policy.js';
import { evolveCase, initialCaseState, isTerminal, type CaseState, type ExistingCase, type ReferralStatus } from '../../cases/case.state.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { positionNumber, putDocument, type Projection } from '../projection.js';

export const CASES = 'cases';
export const REFERRALS = 'referrals';

export interface CaseDocument extends Document {
  readonly lastPosition: number;
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
  readonly lastPosition: number;
}

function caseDocument(state: ExistingCase, revision: bigint, position: bigint): CaseDocument {
  return {
    _id: state.id,
    lastPosition: positionNumber(position),
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

function referralDocuments(state: ExistingCase, position: bigint): ReferralDocument[] {
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
    lastPosition: positionNumber(position),
  }));
}

export const caseSummariesProjection: Projection = {
  name: 'case-summaries',
  collections: {
    // Each list a role sees, in its order (newest first): a page reads about as many entries as it shows.
    // By subject too: a data subject's access report and erasure find their cases.
    [CASES]: [
      { keys: { touchedBy: 1, openedAt: -1 } }, { keys: { networkId: 1, openedAt: -1 } }, { keys: { escalated: 1, openedAt: -1 } },
      { keys: { openedAt: -1 } }, { keys: { 'state.subject.id': 1 } },
    ],
    // Inboxes and outboxes in their order (active first, then by due time), also by status; expiry by due time.
    [REFERRALS]: [
      { keys: { toInstitutionId: 1, active: -1, dueAt: 1 } }, { keys: { fromInstitutionId: 1, active: -1, dueAt: 1 } },
      { keys: { toInstitutionId: 1, status: 1, active: -1, dueAt: 1 } }, { keys: { fromInstitutionId: 1, status: 1, active: -1, dueAt: 1 } },
      { keys: { status: 1, dueAt: 1 } },
      // By position too: the referral feed reads what changed since it last looked.
      { keys: { lastPosition: 1 } },
    ],
  },
  filter: { streamPrefixes: [CASE_STREAM_PREFIX] },

  async project(events: readonly RecordedEvent[], views) {
    const byCase = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const caseId = event.streamId.slice(CASE_STREAM_PREFIX.length);
      byCase.set(caseId, [...(byCase.get(caseId) ?? []), event]);
    }
    const existing = await views.collection<CaseDocument>(CASES).find({ _id: { $in: [...byCase.keys()] } });
    const known = new Map(existing.map((document) => [document._id, document]));
    const referralWrites: WriteOperation[] = [];
    const caseWrites: WriteOperation[] = [];
    for (const [caseId, caseEvents] of byCase) {
      const document = known.get(caseId);
      const fresh = caseEvents.filter((event) => document === undefined || positionNumber(event.position) > document.lastPosition);
      const last = fresh[fresh.length - 1];
      if (!last) continue;
      let state: CaseState = document?.state ?? initialCaseState;
      for (const event of fresh) state = evolveCase(state, { type: event.type, data: event.data } as CaseEvent);
      if (state.status === 'none') continue;
      const knownReferrals = new Set(document?.state.referrals.map((referral) => referral.id));
      for (const referral of referralDocuments(state, last.position)) referralWrites.push(putDocument(referral, knownReferrals.has(referral._id)));
      caseWrites.push(putDocument(caseDocument(state, last.revision, last.position), document !== undefined));
    }
    return [{ collection: REFERRALS, operations: referralWrites }, { collection: CASES, operations: caseWrites }];
  },
};
