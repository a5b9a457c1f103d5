/**
 * Facts for analysts: one document per case and per referral, holding only codes, ids of
 * institutions, kinds and times — never a name, NIK, address or free text. A referral's fact follows the
 * referral as the case's own state machine moves it (`evolveReferral`, case.state.ts): status, times to
 * accept and complete, decline reasons, loop closure; it keeps the case's region, network and categories
 * and the kinds of both institutions as they were when it was asked for.
 */
import { assertNever } from '../../core/decider.js';
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import { CASE_STREAM_PREFIX, type CaseEvent, type DeclineReasonCode, type Outcome } from '../../cases/case.events.js';
import { evolveReferral, isReferralChange, requestedReferral, type ReferralProgress, type ReferralStatus } from '../../cases/case.state.js';
import { INSTITUTION_STREAM_PREFIX } from '../../institutions/institution.events.js';
import type { Document } from '../../read-store/read-store.port.js';
import { viewProjection, type View } from '../view-projection.js';

export const ANALYTICS_CASES = 'analytics_cases';
export const ANALYTICS_REFERRALS = 'analytics_referrals';
export const ANALYTICS_INSTITUTIONS = 'analytics_institutions';

export interface CaseFact extends Document {
  readonly networkId: string;
  readonly regionCode: string;
  readonly categories: readonly string[];
  readonly openedAt: string;
  readonly status: 'open' | 'closed';
  readonly closedAt: string | null;
  readonly escalated: boolean;
}

export interface ReferralFact extends Document, ReferralProgress {
  readonly caseId: string;
  readonly networkId: string;
  readonly regionCode: string;
  readonly categories: readonly string[];
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly fromKind: string;
  readonly toKind: string;
  readonly urgency: string;
  readonly status: ReferralStatus;
  readonly requestedAt: string;
  readonly dueAt: string;
  /** First answer of the target (accept or decline). */
  readonly respondedAt: string | null;
  readonly acceptedAt: string | null;
  readonly completedAt: string | null;
  readonly endedAt: string | null;
  readonly declineReasonCode: DeclineReasonCode | null;
  readonly outcome: Outcome | null;
  readonly loopClosed: boolean;
}

interface InstitutionFact extends Document {
  readonly kind: string;
}

const caseEvent = (event: RecordedEvent) => ({ type: event.type, data: event.data }) as CaseEvent;
const caseIdOf = (event: RecordedEvent) => event.streamId.slice(CASE_STREAM_PREFIX.length);
const isCase = (event: RecordedEvent) => event.streamId.startsWith(CASE_STREAM_PREFIX);

/** An institution's kind, fixed when it registered. */
const institutionFacts: View<InstitutionFact> = {
  collection: ANALYTICS_INSTITUTIONS,
  documentId: (event) => (event.type === 'InstitutionRegistered' ? (event.data as { institutionId: string }).institutionId : null),
  evolve(_fact, event) {
    const { institutionId, kind } = event.data as { institutionId: string; kind: string };
    return { _id: institutionId, kind };
  },
};

const caseFacts: View<CaseFact> = {
  collection: ANALYTICS_CASES,
  indexes: [{ keys: { openedAt: 1 } }, { keys: { regionCode: 1 } }, { keys: { networkId: 1 } }],
  documentId: (event) => (isCase(event) ? caseIdOf(event) : null),
  evolve(fact, recorded) {
    const event = caseEvent(recorded);
    if (event.type === 'CaseOpened') {
      const { caseId, networkId, regionCode, categories, openedAt } = event.data;
      return { _id: caseId, networkId, regionCode, categories, openedAt, status: 'open', closedAt: null, escalated: false };
    }
    // Referrals have facts of their own.
    if (fact === null || event.type === 'ReferralRequested' || isReferralChange(event)) return fact;
    switch (event.type) {
      case 'NeedsAssessed':
        return { ...fact, categories: event.data.categories };
      case 'CaseEscalated':
        return { ...fact, escalated: true };
      case 'CaseClosed':
        return { ...fact, status: 'closed', closedAt: event.data.at };
      case 'CaseReopened':
        return { ...fact, status: 'open', closedAt: null };
      case 'ConsentRecorded':
      case 'ConsentWithdrawn':
      case 'CaseNoteAdded':
        return fact;
      default:
        return assertNever(event);
    }
  },
};

/** A document the log guarantees was not found (it holds ids only). */
export class MissingJoinError extends Error {
  constructor(collection: string, id: string) {
    super(`${collection}/${id} is missing`);
    this.name = 'MissingJoinError';
  }
}

/** The target's answer: accepting and declining are each possible only while requested, so there is at most one. */
const respondedAt = (referral: ReferralProgress): string | null => referral.acceptedAt ?? (referral.status === 'declined' ? referral.endedAt : null);

const referralFacts: View<ReferralFact> = {
  collection: ANALYTICS_REFERRALS,
  indexes: [{ keys: { requestedAt: 1 } }, { keys: { networkId: 1 } }],
  documentId: (event) => (isCase(event) ? (event.data as { referralId?: string }).referralId ?? null : null),
  reads(recorded) {
    const event = caseEvent(recorded);
    if (event.type !== 'ReferralRequested') return [];
    return [
      { view: caseFacts, id: caseIdOf(recorded) },
      { view: institutionFacts, id: event.data.fromInstitutionId },
      { view: institutionFacts, id: event.data.toInstitutionId },
    ];
  },
  evolve(fact, recorded, read) {
    const event = caseEvent(recorded);
    if (event.type === 'ReferralRequested') {
      const { id, fromInstitutionId, toInstitutionId, urgency, requestedAt, dueAt, targetInNetwork: _inNetwork, ...progress } = requestedReferral(event.data);
      const theCase = read(caseFacts, caseIdOf(recorded));
      // The case opened before it was referred, in the log and so in the views: a fact missing here is a fault of
      // the read side, to retry (and halt at, if it lasts), never to write over with blanks.
      if (theCase === null) throw new MissingJoinError(ANALYTICS_CASES, caseIdOf(recorded));
      const kindOf = (institutionId: string) => read(institutionFacts, institutionId)?.kind ?? 'other';
      return {
        _id: id, caseId: caseIdOf(recorded), networkId: theCase.networkId, regionCode: theCase.regionCode,
        categories: theCase.categories, fromInstitutionId, toInstitutionId, fromKind: kindOf(fromInstitutionId), toKind: kindOf(toInstitutionId),
        urgency, requestedAt, dueAt, ...progress, respondedAt: null,
      };
    }
    if (fact === null || !isReferralChange(event)) return fact;
    const next = evolveReferral(fact, event);
    return { ...next, respondedAt: respondedAt(next) };
  },
};

export const analyticsProjection = viewProjection({
  name: 'analytics',
  filter: { streamPrefixes: [CASE_STREAM_PREFIX, INSTITUTION_STREAM_PREFIX] },
  // Referral facts before case facts: a case fact stored ahead of a referral not yet created (a crash between
  // the two writes) would give the referral the case's later categories when the batch is replayed.
  views: [institutionFacts, referralFacts, caseFacts],
});
