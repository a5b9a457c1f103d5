/**
 * Facts for analysts: one document per case and per referral, holding only codes, ids of
 * institutions, kinds and times — never a name, NIK, address or free text. Every change is a guarded
 * update (`lastPosition < position`), and documents are created with `$setOnInsert`, so replaying any
 * event changes nothing.
 */
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import { CASE_STREAM_PREFIX, type CaseEvent } from '../../cases/case.events.js';
import { INSTITUTION_STREAM_PREFIX, type InstitutionEvent } from '../../institutions/institution.events.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { positionNumber, type Projection } from '../projection.js';

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
  readonly lastPosition: number;
}

export interface ReferralFact extends Document {
  readonly caseId: string;
  readonly networkId: string;
  readonly regionCode: string;
  readonly categories: readonly string[];
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly fromKind: string;
  readonly toKind: string;
  readonly urgency: string;
  readonly status: string;
  readonly requestedAt: string;
  readonly dueAt: string;
  /** First answer of the target (accept or decline). */
  readonly respondedAt: string | null;
  readonly acceptedAt: string | null;
  readonly completedAt: string | null;
  readonly endedAt: string | null;
  readonly declineReasonCode: string | null;
  readonly outcome: string | null;
  readonly loopClosed: boolean;
  readonly lastPosition: number;
}

interface InstitutionFact extends Document {
  readonly kind: string;
  readonly lastPosition: number;
}


/** Creates a document once; a replay finds it and changes nothing. */
const create = ({ _id, ...fields }: Document): WriteOperation => ({
  updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true },
});

/** Changes a document only if this event is newer than the last one applied to it. */
const change = (id: string, position: bigint, fields: Record<string, unknown>): WriteOperation => ({
  updateOne: {
    filter: { _id: id, lastPosition: { $lt: positionNumber(position) } },
    update: { $set: { ...fields, lastPosition: positionNumber(position) } },
  },
});

export const analyticsProjection: Projection = {
  name: 'analytics',
  collections: {
    [ANALYTICS_CASES]: [{ keys: { openedAt: 1 } }, { keys: { regionCode: 1 } }, { keys: { networkId: 1 } }],
    [ANALYTICS_REFERRALS]: [{ keys: { requestedAt: 1 } }, { keys: { networkId: 1 } }],
    [ANALYTICS_INSTITUTIONS]: [],
  },
  filter: { streamPrefixes: [CASE_STREAM_PREFIX, INSTITUTION_STREAM_PREFIX] },

  async project(events, views) {
    // What referral facts copy from their case and institutions: from this batch first, else from the facts stored.
    const caseIds = [...new Set(events.filter((event) => event.type === 'ReferralRequested').map((event) => event.streamId.slice(CASE_STREAM_PREFIX.length)))];
    const institutionIds = [...new Set(events.filter((event) => event.type === 'ReferralRequested').flatMap((event) => {
      const data = event.data as { fromInstitutionId: string; toInstitutionId: string };
      return [data.fromInstitutionId, data.toInstitutionId];
    }))];
    const cases = new Map((caseIds.length ? await views.collection<CaseFact>(ANALYTICS_CASES).find({ _id: { $in: caseIds } }) : []).map((fact) => [fact._id, fact]));
    const kinds = new Map((institutionIds.length ? await views.collection<InstitutionFact>(ANALYTICS_INSTITUTIONS).find({ _id: { $in: institutionIds } }) : [])
      .map((fact) => [fact._id, fact.kind]));

    const writes: Record<string, WriteOperation[]> = { [ANALYTICS_INSTITUTIONS]: [], [ANALYTICS_CASES]: [], [ANALYTICS_REFERRALS]: [] };
    const write = (collection: string, operation: WriteOperation) => writes[collection]!.push(operation);
    for (const recorded of events) {
      if (recorded.streamId.startsWith(INSTITUTION_STREAM_PREFIX)) {
        const event = { type: recorded.type, data: recorded.data } as InstitutionEvent;
        if (event.type === 'InstitutionRegistered') {
          kinds.set(event.data.institutionId, event.data.kind);
          write(ANALYTICS_INSTITUTIONS, create({ _id: event.data.institutionId, kind: event.data.kind, lastPosition: positionNumber(recorded.position) }));
        }
        continue;
      }
      const caseId = recorded.streamId.slice(CASE_STREAM_PREFIX.length);
      const { position } = recorded;
      const event = { type: recorded.type, data: recorded.data } as CaseEvent;
      switch (event.type) {
        case 'CaseOpened': {
          const { networkId, regionCode, categories, openedAt } = event.data;
          const fact: CaseFact = { _id: caseId, networkId, regionCode, categories, openedAt, status: 'open', closedAt: null, escalated: false, lastPosition: positionNumber(position) };
          cases.set(caseId, fact);
          write(ANALYTICS_CASES, create(fact));
          break;
        }
        case 'NeedsAssessed': {
          // A referral asked for later in this batch copies the case as it is then.
          const known = cases.get(caseId);
          if (known) cases.set(caseId, { ...known, categories: event.data.categories });
          write(ANALYTICS_CASES, change(caseId, position, { categories: event.data.categories }));
          break;
        }
        case 'CaseEscalated':
          write(ANALYTICS_CASES, change(caseId, position, { escalated: true }));
          break;
        case 'CaseClosed':
          write(ANALYTICS_CASES, change(caseId, position, { status: 'closed', closedAt: event.data.at }));
          break;
        case 'CaseReopened':
          write(ANALYTICS_CASES, change(caseId, position, { status: 'open', closedAt: null }));
          break;
        case 'ReferralRequested': {
          const { referralId, fromInstitutionId, toInstitutionId, urgency, requestedAt, dueAt } = event.data;
          const theCase = cases.get(caseId);
          const fact: ReferralFact = {
            _id: referralId, caseId, networkId: theCase?.networkId ?? 'unknown', regionCode: theCase?.regionCode ?? 'unknown',
            categories: theCase?.categories ?? [], fromInstitutionId, toInstitutionId,
            fromKind: kinds.get(fromInstitutionId) ?? 'other', toKind: kinds.get(toInstitutionId) ?? 'other',
            urgency, status: 'requested', requestedAt, dueAt, respondedAt: null, acceptedAt: null, completedAt: null, endedAt: null,
            declineReasonCode: null, outcome: null, loopClosed: false, lastPosition: positionNumber(position),
          };
          write(ANALYTICS_REFERRALS, create(fact));
          break;
        }
        case 'ReferralAccepted':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, { status: 'accepted', acceptedAt: event.data.at, respondedAt: event.data.at }));
          break;
        case 'ReferralDeclined':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, {
            status: 'declined', declineReasonCode: event.data.reasonCode, respondedAt: event.data.at, endedAt: event.data.at,
          }));
          break;
        case 'ReferralStarted':
        case 'ReferralResumed':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, { status: 'in_progress' }));
          break;
        case 'ReferralPutOnHold':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, { status: 'on_hold' }));
          break;
        case 'ReferralCompleted':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, {
            status: 'completed', outcome: event.data.outcome, completedAt: event.data.at, endedAt: event.data.at,
          }));
          break;
        case 'ReferralCancelled':
        case 'ReferralExpired':
        case 'ReferralFailed': {
          const status = { ReferralCancelled: 'cancelled', ReferralExpired: 'expired', ReferralFailed: 'failed' }[event.type];
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, { status, endedAt: event.data.at }));
          break;
        }
        case 'ReferralOutcomeAcknowledged':
          write(ANALYTICS_REFERRALS, change(event.data.referralId, position, { loopClosed: true }));
          break;
        case 'ConsentRecorded':
        case 'ConsentWithdrawn':
        case 'CaseNoteAdded':
          break;
        default: {
          const unhandled: never = event;
          throw new Error(`Analytics does not know ${(unhandled as RecordedEvent).type}`);
        }
      }
    }
    // Referral facts before case facts: a case fact stored ahead of a referral not yet created (a crash between
    // the two writes) would give the referral the case's later categories when the batch is replayed.
    return [
      { collection: ANALYTICS_INSTITUTIONS, operations: writes[ANALYTICS_INSTITUTIONS]! },
      { collection: ANALYTICS_REFERRALS, operations: writes[ANALYTICS_REFERRALS]! },
      { collection: ANALYTICS_CASES, operations: writes[ANALYTICS_CASES]! },
    ];
  },
};
