/**
 * The case decider's rules (docs/domain.md: roles, lifecycles): every command, every transition of the closed-loop referral
 * lifecycle and every rejection, written as given (history) / when (command) / then (events or error).
 *
 * Cast: WKSBM Jurangombo (NET) has three KPS members: PKK (the case owner), LKS (the usual referral target)
 * and Posyandu (uninvolved). Karang Taruna Rejowinangun (OUTSIDER) belongs to another WKSBM; RSUD and the
 * Dinsos office are city-wide providers.
 */
import { given } from '../core/testing/given-when-then.js';
import { SYSTEM_ACTOR, type Actor } from '../core/actor.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import type { InstitutionScope } from '../institutions/institution.events.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import type { NetworkState } from '../networks/network.state.js';
import { DEFAULT_SLA_HOURS } from '../config/config.js';
import { caseDecider, type CaseCommand, type TargetFacts } from './case.decider.js';
import type { CaseEvent, SubjectPersonalData, Urgency } from './case.events.js';
import type { ReferralStatus } from './case.state.js';

// ---------------------------------------------------------------------------------------------------------
// Cast, facts and fixed times
// ---------------------------------------------------------------------------------------------------------

const CASE = 'case-1';
const NET = 'net-jurangombo';
const OTHER_NET = 'net-rejowinangun';
const REGION = '33.71.01.1008';
const OWNER = 'inst-pkk';
const LKS = 'inst-lks';
const POSYANDU = 'inst-posyandu';
const OUTSIDER = 'inst-karang-taruna-rejowinangun';
const RSUD = 'inst-rsud-tidar';
const DINSOS_OFFICE = 'inst-dinsos-kota';
const R1 = 'ref-1';
const R2 = 'ref-2';
const CONSENT = 'consent-1';

const T_OPEN = '2024-03-01T08:00:00.000Z';
const T_CONSENT = '2024-03-01T08:30:00.000Z';
const T_REFER = '2024-03-01T09:00:00.000Z';
/** T_REFER + 168 h: the default SLA of a normal referral. */
const DUE_NORMAL = '2024-03-08T09:00:00.000Z';
const T_STEP = '2024-03-02T10:00:00.000Z';

const caseworkerOf = (institutionId: string): Actor => ({ userId: `cw-${institutionId}`, role: 'caseworker', institutionId });
const owner = caseworkerOf(OWNER);
const lks = caseworkerOf(LKS);
const posyandu = caseworkerOf(POSYANDU);
const outsider = caseworkerOf(OUTSIDER);
const rsud = caseworkerOf(RSUD);
const coordinator: Actor = { userId: 'coord-1', role: 'coordinator', networkId: NET };
const otherCoordinator: Actor = { userId: 'coord-2', role: 'coordinator', networkId: OTHER_NET };
const dinsos: Actor = { userId: 'dinsos-1', role: 'dinsos' };

function institution(id: string, scope: InstitutionScope = 'network', status: 'active' | 'suspended' = 'active'): InstitutionState {
  const details = { id, name: id, kind: scope === 'city' ? 'rsud' : 'lks', regionCode: REGION, scope, categoriesServed: [], capacity: null } as const;
  return status === 'active' ? { status, ...details } : { status, suspendedReason: 'audit', ...details };
}
const unregistered: InstitutionState = { status: 'unregistered' };

function network(memberIds: readonly string[] = [OWNER, LKS, POSYANDU]): NetworkState {
  return { status: 'registered', id: NET, name: 'WKSBM Jurangombo', regionCode: REGION, memberIds, coordinatorUserIds: ['coord-1'] };
}

const member = (id: string): TargetFacts => ({ institution: institution(id), inCaseNetwork: true });
const outside = (id: string): TargetFacts => ({ institution: institution(id), inCaseNetwork: false });
const cityWide = (id: string): TargetFacts => ({ institution: institution(id, 'city'), inCaseNetwork: false });

const SUBJECT: SubjectPersonalData = { name: 'Siti Aminah', nik: '3371014507800001', address: 'Jl. Tidar 1' };

// ---------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------

function caseOpened(options: { urgency?: Urgency; ownerInstitutionId?: string } = {}): CaseEvent {
  return {
    type: 'CaseOpened',
    data: {
      caseId: CASE, networkId: NET, ownerInstitutionId: options.ownerInstitutionId ?? OWNER, subjectId: 'subject-1', regionCode: REGION,
      categories: ['fakir_miskin'], urgency: options.urgency ?? 'normal', openedAt: T_OPEN,
      personal: { subject: SUBJECT, description: 'Lansia tinggal sendiri' },
    },
  };
}

function consentRecorded(options: {
  consentId?: string; recipients?: readonly string[] | 'network'; expiresAt?: string | null; recordedAt?: string;
} = {}): CaseEvent {
  return {
    type: 'ConsentRecorded',
    data: {
      consentId: options.consentId ?? CONSENT, scope: 'referral', recipients: options.recipients ?? 'network', givenBy: 'subject',
      recordedAt: options.recordedAt ?? T_CONSENT, expiresAt: options.expiresAt ?? null,
    },
  };
}

const consentWithdrawn = (consentId = CONSENT, at = T_CONSENT): CaseEvent => ({ type: 'ConsentWithdrawn', data: { consentId, at } });

function referralRequested(options: {
  referralId?: string; from?: string; to?: string; urgency?: Urgency; requestedAt?: string; dueAt?: string;
  consentId?: string | null; overrideReason?: string; inNetwork?: boolean;
} = {}): CaseEvent {
  const consentId = options.consentId === undefined ? CONSENT : options.consentId;
  return {
    type: 'ReferralRequested',
    data: {
      referralId: options.referralId ?? R1, fromInstitutionId: options.from ?? OWNER, toInstitutionId: options.to ?? LKS,
      urgency: options.urgency ?? 'normal', requestedAt: options.requestedAt ?? T_REFER, dueAt: options.dueAt ?? DUE_NORMAL,
      targetInNetwork: options.inNetwork ?? true, consentId, emergencyOverride: consentId === null,
      personal: options.overrideReason === undefined
        ? { reason: 'Butuh pendampingan' }
        : { reason: 'Butuh pendampingan', overrideReason: options.overrideReason },
    },
  };
}

const referralAccepted = (referralId = R1, at = T_STEP): CaseEvent => ({ type: 'ReferralAccepted', data: { referralId, at } });
const referralStarted = (referralId = R1, at = T_STEP): CaseEvent => ({ type: 'ReferralStarted', data: { referralId, at } });
const referralResumed = (referralId = R1, at = T_STEP): CaseEvent => ({ type: 'ReferralResumed', data: { referralId, at } });
const referralExpired = (referralId = R1, at = T_STEP): CaseEvent => ({ type: 'ReferralExpired', data: { referralId, at } });
const referralAcknowledged = (referralId = R1, at = T_STEP): CaseEvent => ({ type: 'ReferralOutcomeAcknowledged', data: { referralId, at } });
const referralDeclined = (referralId = R1, at = T_STEP): CaseEvent =>
  ({ type: 'ReferralDeclined', data: { referralId, at, reasonCode: 'no_capacity', personal: { reason: 'Kuota penuh' } } });
const referralOnHold = (referralId = R1, at = T_STEP): CaseEvent =>
  ({ type: 'ReferralPutOnHold', data: { referralId, at, personal: { reason: 'Menunggu dokumen' } } });
const referralFailed = (referralId = R1, at = T_STEP): CaseEvent =>
  ({ type: 'ReferralFailed', data: { referralId, at, personal: { reason: 'Menunggu dokumen' } } });
const referralCancelled = (referralId = R1, at = T_STEP): CaseEvent =>
  ({ type: 'ReferralCancelled', data: { referralId, at, personal: { reason: 'Menunggu dokumen' } } });
const referralCompleted = (referralId = R1, at = T_STEP): CaseEvent =>
  ({ type: 'ReferralCompleted', data: { referralId, at, outcome: 'resolved', personal: { summary: 'Bantuan sudah diterima' } } });
const caseEscalated = (toInstitutionId: string, at = T_STEP): CaseEvent =>
  ({ type: 'CaseEscalated', data: { toInstitutionId, at, personal: { reason: 'Di luar kemampuan WKSBM' } } });
const caseClosed = (at = T_STEP): CaseEvent => ({ type: 'CaseClosed', data: { outcome: 'resolved', at, personal: { summary: 'Selesai' } } });
const caseReopened = (at = T_STEP): CaseEvent => ({ type: 'CaseReopened', data: { at, personal: { reason: 'Kambuh' } } });

// ---------------------------------------------------------------------------------------------------------
// Histories: R1 is always PKK (owner) → LKS under the network-wide consent
// ---------------------------------------------------------------------------------------------------------

const opened = [caseOpened()];
const consented = [...opened, consentRecorded()];
const requested = [...consented, referralRequested()];
const accepted = [...requested, referralAccepted()];
const inProgress = [...accepted, referralStarted()];
const onHold = [...inProgress, referralOnHold()];
const completed = [...inProgress, referralCompleted()];
const acknowledged = [...completed, referralAcknowledged()];
const closed = [...acknowledged, caseClosed()];

const withReferral: Record<ReferralStatus, readonly CaseEvent[]> = {
  requested, accepted, in_progress: inProgress, on_hold: onHold, completed,
  declined: [...requested, referralDeclined()],
  cancelled: [...requested, referralCancelled()],
  expired: [...requested, referralExpired(R1, DUE_NORMAL)],
  failed: [...inProgress, referralFailed()],
};
const ACTIVE: readonly ReferralStatus[] = ['requested', 'accepted', 'in_progress', 'on_hold'];
const TERMINAL: readonly ReferralStatus[] = ['declined', 'cancelled', 'expired', 'completed', 'failed'];
const WORKING: readonly ReferralStatus[] = ['accepted', 'in_progress', 'on_hold'];
const except = (statuses: readonly ReferralStatus[]) => (Object.keys(withReferral) as ReferralStatus[]).filter((s) => !statuses.includes(s));

const theCase = (events: readonly CaseEvent[]) => given(caseDecider, events);

// ---------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------

type Command<Type extends CaseCommand['type']> = Extract<CaseCommand, { type: Type }>;
type Overrides<Type extends CaseCommand['type']> = Partial<Omit<Command<Type>, 'type'>>;

const openCase = (overrides: Overrides<'OpenCase'> = {}): CaseCommand => ({
  type: 'OpenCase', caseId: CASE, actor: owner, at: T_OPEN, networkId: NET, ownerInstitutionId: OWNER, subjectId: 'subject-1',
  regionCode: REGION, subject: SUBJECT, categories: ['fakir_miskin'], urgency: 'normal', description: 'Lansia tinggal sendiri',
  network: network(), owner: institution(OWNER), subjectErased: false, ...overrides,
});
const recordConsent = (overrides: Overrides<'RecordConsent'> = {}): CaseCommand => ({
  type: 'RecordConsent', caseId: CASE, actor: owner, at: T_CONSENT, consentId: CONSENT, recipients: 'network', givenBy: 'subject',
  expiresAt: null, ...overrides,
});
const withdrawConsent = (actor: Actor = owner, consentId = CONSENT): CaseCommand =>
  ({ type: 'WithdrawConsent', caseId: CASE, actor, at: T_STEP, consentId });
const assessNeeds = (actor: Actor = owner, urgency: Urgency = 'high'): CaseCommand =>
  ({ type: 'AssessNeeds', caseId: CASE, actor, at: T_STEP, categories: ['fakir_miskin', 'lanjut_usia_terlantar'], urgency });
const addNote = (actor: Actor = owner): CaseCommand =>
  ({ type: 'AddNote', caseId: CASE, actor, at: T_STEP, noteId: 'note-1', text: 'Kunjungan rumah', visibility: 'participants' });
const refer = (overrides: Overrides<'RequestReferral'> = {}): CaseCommand => ({
  type: 'RequestReferral', caseId: CASE, actor: owner, at: T_REFER, referralId: R1, toInstitutionId: LKS, reason: 'Butuh pendampingan',
  urgency: null, emergencyOverride: null, slaHours: DEFAULT_SLA_HOURS, target: member(LKS), ...overrides,
});
type PlainStep = 'AcceptReferral' | 'StartReferral' | 'ResumeReferral' | 'AcknowledgeReferralOutcome' | 'ExpireReferral';
const step = (type: PlainStep, actor: Actor, referralId = R1, at = T_STEP): CaseCommand => ({ type, caseId: CASE, actor, at, referralId });
const accept = (actor: Actor = lks, referralId = R1) => step('AcceptReferral', actor, referralId);
const start = (actor: Actor = lks, referralId = R1) => step('StartReferral', actor, referralId);
const resume = (actor: Actor = lks, referralId = R1) => step('ResumeReferral', actor, referralId);
const acknowledge = (actor: Actor = owner, referralId = R1) => step('AcknowledgeReferralOutcome', actor, referralId);
const expire = (at: string, actor: Actor = SYSTEM_ACTOR, referralId = R1) => step('ExpireReferral', actor, referralId, at);
const withReason = (type: 'PutReferralOnHold' | 'FailReferral' | 'CancelReferral', actor: Actor, referralId = R1): CaseCommand =>
  ({ type, caseId: CASE, actor, at: T_STEP, referralId, reason: 'Menunggu dokumen' });
const hold = (actor: Actor = lks, referralId = R1) => withReason('PutReferralOnHold', actor, referralId);
const fail = (actor: Actor = lks, referralId = R1) => withReason('FailReferral', actor, referralId);
const cancel = (actor: Actor = owner, referralId = R1) => withReason('CancelReferral', actor, referralId);
const decline = (actor: Actor = lks, referralId = R1): CaseCommand =>
  ({ type: 'DeclineReferral', caseId: CASE, actor, at: T_STEP, referralId, reasonCode: 'no_capacity', reason: 'Kuota penuh' });
const complete = (actor: Actor = lks, referralId = R1): CaseCommand =>
  ({ type: 'CompleteReferral', caseId: CASE, actor, at: T_STEP, referralId, outcome: 'resolved', summary: 'Bantuan sudah diterima' });
const escalate = (toInstitutionId: string, target: TargetFacts, actor: Actor = owner): CaseCommand =>
  ({ type: 'EscalateCase', caseId: CASE, actor, at: T_STEP, toInstitutionId, reason: 'Di luar kemampuan WKSBM', target });
const closeCase = (actor: Actor = owner): CaseCommand =>
  ({ type: 'CloseCase', caseId: CASE, actor, at: T_STEP, outcome: 'resolved', summary: 'Selesai' });
const reopenCase = (actor: Actor = owner): CaseCommand => ({ type: 'ReopenCase', caseId: CASE, actor, at: T_STEP, reason: 'Kambuh' });

/** Commands the referral's target takes: a history in which each is allowed, and the event it then produces. */
type TargetStep = readonly [string, (actor: Actor, referralId?: string) => CaseCommand, readonly CaseEvent[], CaseEvent];
const targetSteps: readonly TargetStep[] = [
  ['AcceptReferral', accept, requested, referralAccepted()],
  ['DeclineReferral', decline, requested, referralDeclined()],
  ['StartReferral', start, accepted, referralStarted()],
  ['PutReferralOnHold', hold, inProgress, referralOnHold()],
  ['ResumeReferral', resume, onHold, referralResumed()],
  ['CompleteReferral', complete, inProgress, referralCompleted()],
  ['FailReferral', fail, inProgress, referralFailed()],
];

// ---------------------------------------------------------------------------------------------------------

describe('case decider', () => {
  describe('OpenCase', () => {
    it("opens a case owned by the caseworker's institution", () => {
      theCase([]).when(openCase()).then([caseOpened()]);
    });

    it('opens with the urgency given', () => {
      theCase([]).when(openCase({ urgency: 'emergency' })).then([caseOpened({ urgency: 'emergency' })]);
    });

    it('lets the coordinator of the network open a case for any member', () => {
      theCase([]).when(openCase({ actor: coordinator, ownerInstitutionId: LKS, owner: institution(LKS) }))
        .then([caseOpened({ ownerInstitutionId: LKS })]);
    });

    it('lets a city-wide provider that is not a member open a case in the network', () => {
      theCase([]).when(openCase({ actor: rsud, ownerInstitutionId: RSUD, owner: institution(RSUD, 'city') }))
        .then([caseOpened({ ownerInstitutionId: RSUD })]);
    });

    it('refuses to link a new case to a subject whose data was erased (field subject.nik)', () => {
      theCase([]).when(openCase({ subjectErased: true })).thenThrows(ConflictError, { field: 'subject.nik', message: /erased/ });
    });

    it('rejects an unregistered network (field networkId)', () => {
      theCase([]).when(openCase({ network: { status: 'unregistered' } })).thenThrows(InvalidCommandError, { field: 'networkId' });
    });

    it('forbids a caseworker to open a case for another institution', () => {
      theCase([]).when(openCase({ actor: lks })).thenThrows(ForbiddenError);
    });

    it('forbids the coordinator of another network', () => {
      theCase([]).when(openCase({ actor: otherCoordinator })).thenThrows(ForbiddenError);
    });

    it.each([
      ['an auditor', { userId: 'aud-1', role: 'auditor', institutionId: OWNER }],
      ['an analyst', { userId: 'ana-1', role: 'analyst', institutionId: OWNER }],
      ['an admin', { userId: 'adm-1', role: 'admin', institutionId: OWNER }],
    ] as const)('forbids %s, who may change nothing, even when the token names the institution', (_who, actor) => {
      theCase([]).when(openCase({ actor })).thenThrows(ForbiddenError);
    });

    it('rejects an unregistered owner institution (field ownerInstitutionId)', () => {
      theCase([]).when(openCase({ owner: unregistered })).thenThrows(InvalidCommandError, { field: 'ownerInstitutionId' });
    });

    it('refuses a suspended owner institution', () => {
      theCase([]).when(openCase({ owner: institution(OWNER, 'network', 'suspended') }))
        .thenThrows(ConflictError, { field: 'ownerInstitutionId', message: /suspended/ });
    });

    it('rejects an owner that is neither a member of the network nor city-wide', () => {
      theCase([]).when(openCase({ network: network([LKS, POSYANDU]) })).thenThrows(InvalidCommandError, { message: /not a member/ });
    });

    it('refuses to open a case that already exists', () => {
      theCase(opened).when(openCase()).thenThrows(ConflictError, { field: 'id' });
    });
  });

  describe('commands on a case that does not exist', () => {
    it.each([
      ['RecordConsent', recordConsent()],
      ['AddNote', addNote()],
      ['RequestReferral', refer()],
      ['AcceptReferral', accept()],
      ['CloseCase', closeCase()],
      ['ReopenCase', reopenCase()],
    ])('%s is NotFound', (_name, command) => {
      theCase([]).when(command).thenThrows(NotFoundError);
    });
  });

  describe('RecordConsent', () => {
    it('records a network-wide consent', () => {
      theCase(opened).when(recordConsent()).then([consentRecorded()]);
    });

    it('records a consent for listed recipients with an expiry', () => {
      theCase(opened).when(recordConsent({ recipients: [LKS, RSUD], expiresAt: '2024-06-01T00:00:00.000Z' }))
        .then([consentRecorded({ recipients: [LKS, RSUD], expiresAt: '2024-06-01T00:00:00.000Z' })]);
    });

    it('lets the coordinator of the network record consent', () => {
      theCase(opened).when(recordConsent({ actor: coordinator })).then([consentRecorded()]);
    });

    it('forbids an institution that is not a participant', () => {
      theCase(opened).when(recordConsent({ actor: posyandu })).thenThrows(ForbiddenError);
    });

    it('refuses a consent id already on record', () => {
      theCase(consented).when(recordConsent()).thenThrows(ConflictError, { field: 'id' });
    });

    it('rejects an expiresAt in the past (field expiresAt)', () => {
      theCase(opened).when(recordConsent({ expiresAt: '2024-03-01T08:00:00.000Z' })).thenThrows(InvalidCommandError, { field: 'expiresAt' });
    });

    it('rejects an expiresAt equal to the time of recording', () => {
      theCase(opened).when(recordConsent({ expiresAt: T_CONSENT })).thenThrows(InvalidCommandError, { field: 'expiresAt' });
    });

    it('rejects an expiresAt in the past written with a +07:00 (WIB) offset', () => {
      // 12:00 WIB is 05:00 UTC, 3.5 hours before T_CONSENT; as strings "…T12:00" sorts after "…T08:30".
      theCase(opened).when(recordConsent({ expiresAt: '2024-03-01T12:00:00+07:00' })).thenThrows(InvalidCommandError, { field: 'expiresAt' });
    });
  });

  describe('WithdrawConsent', () => {
    it('withdraws a consent', () => {
      theCase(consented).when(withdrawConsent()).then([consentWithdrawn(CONSENT, T_STEP)]);
    });

    it('reports an unknown consent as NotFound', () => {
      theCase(consented).when(withdrawConsent(owner, 'consent-x')).thenThrows(NotFoundError);
    });

    it('refuses to withdraw twice', () => {
      theCase([...consented, consentWithdrawn()]).when(withdrawConsent()).thenThrows(ConflictError, { message: /already withdrawn/ });
    });

    it('forbids an institution that is not a participant', () => {
      theCase(consented).when(withdrawConsent(posyandu)).thenThrows(ForbiddenError);
    });
  });

  describe('AssessNeeds', () => {
    it('records the new categories and urgency', () => {
      theCase(opened).when(assessNeeds()).then([{
        type: 'NeedsAssessed', data: { categories: ['fakir_miskin', 'lanjut_usia_terlantar'], urgency: 'high', at: T_STEP },
      }]);
    });

    it('lets an institution that accepted a referral re-assess', () => {
      theCase(accepted).when(assessNeeds(lks)).then([{
        type: 'NeedsAssessed', data: { categories: ['fakir_miskin', 'lanjut_usia_terlantar'], urgency: 'high', at: T_STEP },
      }]);
    });

    it('forbids an institution that is not a participant', () => {
      theCase(opened).when(assessNeeds(posyandu)).thenThrows(ForbiddenError);
    });
  });

  describe('AddNote', () => {
    const noteBy = (authorInstitutionId: string | null): CaseEvent => ({
      type: 'CaseNoteAdded',
      data: { noteId: 'note-1', authorInstitutionId, visibility: 'participants', at: T_STEP, personal: { text: 'Kunjungan rumah' } },
    });

    it('adds a note written by the owner', () => {
      theCase(opened).when(addNote()).then([noteBy(OWNER)]);
    });

    it('adds a note by the coordinator, who writes for no institution', () => {
      theCase(opened).when(addNote(coordinator)).then([noteBy(null)]);
    });

    it('forbids an institution that is not a participant', () => {
      theCase(opened).when(addNote(posyandu)).thenThrows(ForbiddenError);
    });

    it('forbids a referral target that has not accepted yet', () => {
      theCase(requested).when(addNote(lks)).thenThrows(ForbiddenError);
    });

    it('lets a target that accepted add notes: accepting made it a participant', () => {
      theCase(accepted).when(addNote(lks)).then([noteBy(LKS)]);
    });

    it('still forbids a target that declined', () => {
      theCase(withReferral.declined).when(addNote(lks)).thenThrows(ForbiddenError);
    });

    it('forbids an auditor even when the token names a participant institution', () => {
      const auditorNamingOwner = { userId: 'aud-1', role: 'auditor', institutionId: OWNER } as const;
      theCase(opened).when(addNote(auditorNamingOwner)).thenThrows(ForbiddenError);
    });
  });

  describe('RequestReferral', () => {
    describe('consent', () => {
      it('refers to a network member covered by the network-wide consent', () => {
        theCase(consented).when(refer()).then([referralRequested()]);
      });

      it('refuses a referral with no consent on record', () => {
        theCase(opened).when(refer()).thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('a network-wide consent does not cover a city-wide provider', () => {
        theCase(consented).when(refer({ toInstitutionId: RSUD, target: cityWide(RSUD) }))
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('a network-wide consent does not cover another network\'s institution, even after escalation', () => {
        theCase([...consented, caseEscalated(DINSOS_OFFICE)]).when(refer({ actor: coordinator, toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('an explicit recipient list covers a listed institution', () => {
        theCase([...opened, consentRecorded({ recipients: [RSUD] })]).when(refer({ toInstitutionId: RSUD, target: cityWide(RSUD) }))
          .then([referralRequested({ to: RSUD, inNetwork: false })]);
      });

      it('an explicit recipient list does not cover an unlisted network member', () => {
        theCase([...opened, consentRecorded({ recipients: [RSUD] })]).when(refer())
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('uses the consent that covers the target when several are on record', () => {
        const events = [...opened, consentRecorded({ consentId: 'c-rsud', recipients: [RSUD] }), consentRecorded({ consentId: 'c-lks', recipients: [LKS] })];
        theCase(events).when(refer()).then([referralRequested({ consentId: 'c-lks' })]);
      });

      it('a consent still covers just before it expires', () => {
        theCase([...opened, consentRecorded({ expiresAt: '2024-03-01T09:00:00.001Z' })]).when(refer()).then([referralRequested()]);
      });

      it('an expired consent no longer covers', () => {
        theCase([...opened, consentRecorded({ expiresAt: T_REFER })]).when(refer())
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('an expired consent written with a +07:00 (WIB) offset no longer covers', () => {
        // Recorded at 07:30 WIB, valid until 12:00 WIB (05:00 UTC); the referral comes at 16:00 WIB (09:00 UTC).
        const events = [...opened, consentRecorded({ recordedAt: '2024-03-01T00:30:00.000Z', expiresAt: '2024-03-01T12:00:00+07:00' })];
        theCase(events).when(refer()).thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('a withdrawn consent no longer covers', () => {
        theCase([...consented, consentWithdrawn()]).when(refer()).thenThrows(ConflictError, { field: 'toInstitutionId', message: /consent/ });
      });

      it('an emergency override with a reason refers without consent, recorded as such', () => {
        theCase(opened).when(refer({ emergencyOverride: { reason: 'Korban kekerasan, butuh tempat aman malam ini' } }))
          .then([referralRequested({ consentId: null, overrideReason: 'Korban kekerasan, butuh tempat aman malam ini' })]);
      });

      it('an emergency override is not used when a consent covers the target', () => {
        theCase(consented).when(refer({ emergencyOverride: { reason: 'Darurat' } })).then([referralRequested()]);
      });

      it('an emergency override also stands in for a withdrawn consent', () => {
        theCase([...consented, consentWithdrawn()]).when(refer({ emergencyOverride: { reason: 'Darurat' } }))
          .then([referralRequested({ consentId: null, overrideReason: 'Darurat' })]);
      });
    });

    describe('target', () => {
      it('refuses a suspended target', () => {
        theCase(consented).when(refer({ target: { institution: institution(LKS, 'network', 'suspended'), inCaseNetwork: true } }))
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /suspended/ });
      });

      it('rejects an unregistered target', () => {
        theCase(consented).when(refer({ target: { institution: unregistered, inCaseNetwork: false } }))
          .thenThrows(InvalidCommandError, { field: 'toInstitutionId' });
      });

      it('rejects a referral to the referring institution itself', () => {
        theCase(consented).when(refer({ toInstitutionId: OWNER, target: member(OWNER) }))
          .thenThrows(InvalidCommandError, { field: 'toInstitutionId', message: /itself/ });
      });

      it('rejects an institution outside the network that is not city-wide', () => {
        theCase([...opened, consentRecorded({ recipients: [OUTSIDER] })]).when(refer({ toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .thenThrows(InvalidCommandError, { field: 'toInstitutionId', message: /escalate/ });
      });

      it('still rejects it for the coordinator while the case is not escalated', () => {
        theCase([...opened, consentRecorded({ recipients: [OUTSIDER] })])
          .when(refer({ actor: coordinator, toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .thenThrows(InvalidCommandError, { field: 'toInstitutionId' });
      });

      it('still rejects it for the owner caseworker after escalation', () => {
        theCase([...opened, consentRecorded({ recipients: [OUTSIDER] }), caseEscalated(DINSOS_OFFICE)])
          .when(refer({ toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .thenThrows(InvalidCommandError, { field: 'toInstitutionId' });
      });

      it('allows it for the coordinator after escalation (sent on behalf of the owner)', () => {
        theCase([...opened, consentRecorded({ recipients: [OUTSIDER] }), caseEscalated(DINSOS_OFFICE)])
          .when(refer({ actor: coordinator, toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .then([referralRequested({ to: OUTSIDER, inNetwork: false })]);
      });

      it('allows it for dinsos after escalation', () => {
        theCase([...opened, consentRecorded({ recipients: [OUTSIDER] }), caseEscalated(DINSOS_OFFICE)])
          .when(refer({ actor: dinsos, toInstitutionId: OUTSIDER, target: outside(OUTSIDER) }))
          .then([referralRequested({ to: OUTSIDER, inNetwork: false })]);
      });

      it('allows a city-wide provider directly', () => {
        theCase([...opened, consentRecorded({ recipients: [RSUD] })]).when(refer({ toInstitutionId: RSUD, target: cityWide(RSUD) }))
          .then([referralRequested({ to: RSUD, inNetwork: false })]);
      });

      it.each(ACTIVE)('refuses a second referral to the same target while the first is %s', (status) => {
        theCase(withReferral[status]).when(refer({ referralId: R2 }))
          .thenThrows(ConflictError, { field: 'toInstitutionId', message: /open referral/ });
      });

      it.each(TERMINAL)('allows a new referral to the same target once the first is %s', (status) => {
        theCase(withReferral[status]).when(refer({ referralId: R2, at: T_REFER }))
          .then([referralRequested({ referralId: R2 })]);
      });

      it('allows an open referral to another target alongside', () => {
        theCase(requested).when(refer({ referralId: R2, toInstitutionId: POSYANDU, target: member(POSYANDU) }))
          .then([referralRequested({ referralId: R2, to: POSYANDU })]);
      });

      it('refuses a referral id already used in the case', () => {
        theCase(withReferral.declined).when(refer()).thenThrows(ConflictError, { field: 'id' });
      });
    });

    describe('urgency and due time', () => {
      it.each([
        ['emergency', '2024-03-02T09:00:00.000Z'],
        ['high', '2024-03-04T09:00:00.000Z'],
        ['normal', '2024-03-08T09:00:00.000Z'],
        ['low', '2024-03-15T09:00:00.000Z'],
      ] as const)('a %s referral is due at %s (default SLA)', (urgency, dueAt) => {
        theCase(consented).when(refer({ urgency })).then([referralRequested({ urgency, dueAt })]);
      });

      it('uses the configured SLA hours', () => {
        theCase(consented).when(refer({ urgency: 'high', slaHours: { ...DEFAULT_SLA_HOURS, high: 2 } }))
          .then([referralRequested({ urgency: 'high', dueAt: '2024-03-01T11:00:00.000Z' })]);
      });

      it("defaults to the case's urgency", () => {
        theCase([caseOpened({ urgency: 'emergency' }), consentRecorded()]).when(refer())
          .then([referralRequested({ urgency: 'emergency', dueAt: '2024-03-02T09:00:00.000Z' })]);
      });

      it('defaults to the urgency of the latest needs assessment', () => {
        const reassessed: CaseEvent = { type: 'NeedsAssessed', data: { categories: ['fakir_miskin'], urgency: 'low', at: T_CONSENT } };
        theCase([...consented, reassessed]).when(refer()).then([referralRequested({ urgency: 'low', dueAt: '2024-03-15T09:00:00.000Z' })]);
      });
    });

    describe('who may refer', () => {
      it('lets the coordinator refer on behalf of the owner', () => {
        theCase(consented).when(refer({ actor: coordinator })).then([referralRequested()]);
      });

      it('lets a target that accepted refer onward, from itself', () => {
        theCase(accepted).when(refer({ actor: lks, referralId: R2, toInstitutionId: POSYANDU, target: member(POSYANDU) }))
          .then([referralRequested({ referralId: R2, from: LKS, to: POSYANDU })]);
      });

      it.each([
        ['a network member that does not hold the case', posyandu],
        ['the coordinator of another network', otherCoordinator],
        ['dinsos on a case that is not escalated', dinsos],
      ])('forbids %s', (_who, actor) => {
        theCase(consented).when(refer({ actor, toInstitutionId: POSYANDU, target: member(POSYANDU) })).thenThrows(ForbiddenError);
      });

      it('forbids a target that has not accepted yet', () => {
        theCase(requested).when(refer({ actor: lks, referralId: R2, toInstitutionId: POSYANDU, target: member(POSYANDU) }))
          .thenThrows(ForbiddenError);
      });
    });
  });

  describe('steps taken by the target', () => {
    it('AcceptReferral: the target accepts a requested referral', () => {
      theCase(requested).when(accept()).then([referralAccepted()]);
    });

    it('DeclineReferral: the target declines with a reason code', () => {
      theCase(requested).when(decline()).then([referralDeclined()]);
    });

    it('StartReferral: starts an accepted referral', () => {
      theCase(accepted).when(start()).then([referralStarted()]);
    });

    it('PutReferralOnHold: holds a referral in progress', () => {
      theCase(inProgress).when(hold()).then([referralOnHold()]);
    });

    it('ResumeReferral: resumes a referral on hold', () => {
      theCase(onHold).when(resume()).then([referralResumed()]);
    });

    it('a resumed referral is in progress again and may be held again', () => {
      theCase([...onHold, referralResumed()]).when(hold()).then([referralOnHold()]);
    });

    it.each(WORKING)('CompleteReferral: completes a referral that is %s, with its outcome', (status) => {
      theCase(withReferral[status]).when(complete()).then([referralCompleted()]);
    });

    it.each(WORKING)('FailReferral: fails a referral that is %s', (status) => {
      theCase(withReferral[status]).when(fail()).then([referralFailed()]);
    });

    describe.each([
      ['AcceptReferral', accept, ['requested']],
      ['DeclineReferral', decline, ['requested']],
      ['StartReferral', start, ['accepted']],
      ['PutReferralOnHold', hold, ['in_progress']],
      ['ResumeReferral', resume, ['on_hold']],
      ['CompleteReferral', complete, WORKING],
      ['FailReferral', fail, WORKING],
    ] as const)('%s from any other status', (_name, command, allowed) => {
      it.each(except(allowed))('is refused when the referral is %s', (status) => {
        theCase(withReferral[status]).when(command(lks, R1)).thenThrows(ConflictError, { message: new RegExp(`is ${status}`) });
      });
    });

    describe.each(targetSteps)('%s by anyone but the target', (_name, command, ready, produced) => {
      it.each([
        ['the referrer', owner],
        ['an uninvolved network member', posyandu],
        ['the coordinator of another network', otherCoordinator],
        ['dinsos on a case that is not escalated', dinsos],
      ])('is forbidden to %s', (_who, actor) => {
        theCase(ready).when(command(actor)).thenThrows(ForbiddenError);
      });

      it("is allowed to the coordinator of the case's network", () => {
        theCase(ready).when(command(coordinator)).then([produced]);
      });
    });
  });

  describe('CancelReferral', () => {
    it.each(ACTIVE)('the referrer cancels a referral that is %s', (status) => {
      theCase(withReferral[status]).when(cancel()).then([referralCancelled()]);
    });

    it.each(TERMINAL)('is refused once the referral is %s', (status) => {
      theCase(withReferral[status]).when(cancel()).thenThrows(ConflictError, { message: new RegExp(`is ${status}`) });
    });

    it('is forbidden to the target', () => {
      theCase(accepted).when(cancel(lks)).thenThrows(ForbiddenError);
    });

    it('lets the coordinator cancel for the referrer', () => {
      theCase(accepted).when(cancel(coordinator)).then([referralCancelled()]);
    });
  });

  describe('AcknowledgeReferralOutcome', () => {
    it.each(TERMINAL)('the referrer acknowledges a referral that is %s', (status) => {
      theCase(withReferral[status]).when(acknowledge()).then([referralAcknowledged()]);
    });

    it.each(ACTIVE)('is refused while the referral is %s', (status) => {
      theCase(withReferral[status]).when(acknowledge()).thenThrows(ConflictError, { message: /no outcome/ });
    });

    it('is refused the second time', () => {
      theCase(acknowledged).when(acknowledge()).thenThrows(ConflictError, { message: /already acknowledged/ });
    });

    it('is forbidden to the target', () => {
      theCase(completed).when(acknowledge(lks)).thenThrows(ForbiddenError);
    });

    it('belongs to the institution that referred, not to the owner', () => {
      const onward = [...accepted, referralRequested({ referralId: R2, from: LKS, to: POSYANDU }), referralDeclined(R2)];
      theCase(onward).when(acknowledge(owner, R2)).thenThrows(ForbiddenError);
      theCase(onward).when(acknowledge(lks, R2)).then([referralAcknowledged(R2)]);
    });
  });

  describe('ExpireReferral', () => {
    it('the scheduler expires a requested referral at its due time', () => {
      theCase(requested).when(expire(DUE_NORMAL)).then([referralExpired(R1, DUE_NORMAL)]);
    });

    it('the scheduler expires a requested referral after its due time', () => {
      theCase(requested).when(expire('2024-03-09T00:00:00.000Z')).then([referralExpired(R1, '2024-03-09T00:00:00.000Z')]);
    });

    it('is refused before the due time', () => {
      theCase(requested).when(expire('2024-03-08T08:59:59.999Z')).thenThrows(ConflictError, { message: /not due/ });
    });

    it('does nothing when the referral already expired (idempotent)', () => {
      theCase(withReferral.expired).when(expire('2024-03-09T00:00:00.000Z')).thenNothing();
    });

    it.each(except(['requested', 'expired']))('is refused when the referral is %s', (status) => {
      theCase(withReferral[status]).when(expire('2024-03-09T00:00:00.000Z')).thenThrows(ConflictError);
    });

    it.each([
      ['the owner', owner],
      ['the target', lks],
      ['the coordinator', coordinator],
      ['dinsos', dinsos],
    ])('is forbidden to %s: only the system actor expires', (_who, actor) => {
      theCase(requested).when(expire(DUE_NORMAL, actor)).thenThrows(ForbiddenError);
    });
  });

  describe('unknown referral', () => {
    it.each<readonly [string, CaseCommand]>([
      ...targetSteps.map(([name, command]) => [name, command(lks, 'ref-x')] as const),
      ['CancelReferral', cancel(owner, 'ref-x')],
      ['AcknowledgeReferralOutcome', acknowledge(owner, 'ref-x')],
      ['ExpireReferral', expire(DUE_NORMAL, SYSTEM_ACTOR, 'ref-x')],
    ])('%s is NotFound', (_name, command) => {
      theCase(requested).when(command).thenThrows(NotFoundError);
    });
  });

  describe('EscalateCase', () => {
    it('the owner escalates to the city-wide Dinsos office', () => {
      theCase(opened).when(escalate(DINSOS_OFFICE, cityWide(DINSOS_OFFICE))).then([caseEscalated(DINSOS_OFFICE)]);
    });

    it("the coordinator escalates to another network's institution", () => {
      theCase(opened).when(escalate(OUTSIDER, outside(OUTSIDER), coordinator)).then([caseEscalated(OUTSIDER)]);
    });

    it('rejects a target in the case\'s network that is not city-wide: refer instead', () => {
      theCase(opened).when(escalate(LKS, member(LKS))).thenThrows(InvalidCommandError, { field: 'toInstitutionId' });
    });

    it('refuses to escalate twice to the same target', () => {
      theCase([...opened, caseEscalated(DINSOS_OFFICE)]).when(escalate(DINSOS_OFFICE, cityWide(DINSOS_OFFICE)))
        .thenThrows(ConflictError, { field: 'toInstitutionId' });
    });

    it('escalates to a second target', () => {
      theCase([...opened, caseEscalated(DINSOS_OFFICE)]).when(escalate(OUTSIDER, outside(OUTSIDER))).then([caseEscalated(OUTSIDER)]);
    });

    it('refuses a suspended target', () => {
      theCase(opened).when(escalate(OUTSIDER, { institution: institution(OUTSIDER, 'network', 'suspended'), inCaseNetwork: false }))
        .thenThrows(ConflictError, { field: 'toInstitutionId' });
    });

    it('rejects an unregistered target', () => {
      theCase(opened).when(escalate(OUTSIDER, { institution: unregistered, inCaseNetwork: false }))
        .thenThrows(InvalidCommandError, { field: 'toInstitutionId' });
    });

    it.each([
      ['a participant that is not the owner', lks],
      ['the coordinator of another network', otherCoordinator],
      ['dinsos before any escalation', dinsos],
    ])('is forbidden to %s', (_who, actor) => {
      theCase(accepted).when(escalate(DINSOS_OFFICE, cityWide(DINSOS_OFFICE), actor)).thenThrows(ForbiddenError);
    });

    it('makes the escalation target a participant', () => {
      theCase(opened).when(addNote(outsider)).thenThrows(ForbiddenError);
      theCase([...opened, caseEscalated(OUTSIDER)]).when(addNote(outsider)).then([{
        type: 'CaseNoteAdded',
        data: { noteId: 'note-1', authorInstitutionId: OUTSIDER, visibility: 'participants', at: T_STEP, personal: { text: 'Kunjungan rumah' } },
      }]);
    });
  });

  describe('CloseCase', () => {
    it('the owner closes a case without referrals', () => {
      theCase(opened).when(closeCase()).then([caseClosed()]);
    });

    it('closes once every referral is terminal and acknowledged', () => {
      const events = [...acknowledged, referralRequested({ referralId: R2, to: POSYANDU }), referralDeclined(R2), referralAcknowledged(R2)];
      theCase(events).when(closeCase()).then([caseClosed()]);
    });

    it('lets the coordinator close', () => {
      theCase(acknowledged).when(closeCase(coordinator)).then([caseClosed()]);
    });

    it.each(ACTIVE)('is refused while a referral is %s', (status) => {
      theCase(withReferral[status]).when(closeCase()).thenThrows(ConflictError, { message: /ref-1/ });
    });

    it.each(TERMINAL)('is refused while a %s referral is not acknowledged', (status) => {
      theCase(withReferral[status]).when(closeCase()).thenThrows(ConflictError, { message: /ref-1/ });
    });

    it('is refused when only one of two referrals is acknowledged', () => {
      theCase([...acknowledged, referralRequested({ referralId: R2, to: POSYANDU }), referralDeclined(R2)]).when(closeCase())
        .thenThrows(ConflictError, { message: /ref-2/ });
    });

    it.each([
      ['a participant that is not the owner', lks],
      ['the coordinator of another network', otherCoordinator],
    ])('is forbidden to %s', (_who, actor) => {
      theCase(withReferral.accepted).when(closeCase(actor)).thenThrows(ForbiddenError);
    });
  });

  describe('a closed case', () => {
    it.each<readonly [string, CaseCommand]>([
      ['RecordConsent', recordConsent({ consentId: 'consent-2', at: T_STEP })],
      ['WithdrawConsent', withdrawConsent()],
      ['AssessNeeds', assessNeeds()],
      ['AddNote', addNote()],
      ['RequestReferral', refer({ referralId: R2, toInstitutionId: POSYANDU, target: member(POSYANDU) })],
      ...targetSteps.map(([name, command]) => [name, command(lks)] as const),
      ['CancelReferral', cancel()],
      ['AcknowledgeReferralOutcome', acknowledge()],
      ['ExpireReferral', expire('2024-03-09T00:00:00.000Z')],
      ['EscalateCase', escalate(DINSOS_OFFICE, cityWide(DINSOS_OFFICE))],
      ['CloseCase', closeCase()],
    ])('refuses %s', (_name, command) => {
      theCase(closed).when(command).thenThrows(ConflictError, { message: /is closed/ });
    });

    it('accepts ReopenCase from the owner', () => {
      theCase(closed).when(reopenCase()).then([caseReopened()]);
    });

    it('accepts ReopenCase from the coordinator', () => {
      theCase(closed).when(reopenCase(coordinator)).then([caseReopened()]);
    });

    it('forbids ReopenCase to a participant that is not the owner', () => {
      theCase(closed).when(reopenCase(lks)).thenThrows(ForbiddenError);
    });

    it('takes commands again once reopened', () => {
      theCase([...closed, caseReopened()]).when(addNote()).then([{
        type: 'CaseNoteAdded',
        data: { noteId: 'note-1', authorInstitutionId: OWNER, visibility: 'participants', at: T_STEP, personal: { text: 'Kunjungan rumah' } },
      }]);
    });

    it('may be closed again once reopened', () => {
      theCase([...closed, caseReopened()]).when(closeCase()).then([caseClosed()]);
    });
  });

  describe('ReopenCase on an open case', () => {
    it('is refused', () => {
      theCase(opened).when(reopenCase()).thenThrows(ConflictError, { message: /not closed/ });
    });

    it('is refused after a reopen', () => {
      theCase([...closed, caseReopened()]).when(reopenCase()).thenThrows(ConflictError, { message: /not closed/ });
    });
  });

  describe('roles', () => {
    it("the coordinator of the case's network acts for the target", () => {
      theCase(requested).when(accept(coordinator)).then([referralAccepted()]);
    });

    it('the coordinator does not answer for a city-wide provider', () => {
      const toRsud = [...opened, consentRecorded({ recipients: [RSUD] }), referralRequested({ to: RSUD, inNetwork: false })];
      theCase(toRsud).when(accept(coordinator)).thenThrows(ForbiddenError, { message: /own network/ });
    });

    it("the coordinator of the case's network acts for the owner", () => {
      theCase(completed).when(acknowledge(coordinator)).then([referralAcknowledged()]);
    });

    it.each([
      ['AddNote', addNote(otherCoordinator), opened],
      ['AcceptReferral', accept(otherCoordinator), requested],
      ['CancelReferral', cancel(otherCoordinator), requested],
      ['CloseCase', closeCase(otherCoordinator), opened],
      ['ReopenCase', reopenCase(otherCoordinator), closed],
      ['EscalateCase', escalate(DINSOS_OFFICE, cityWide(DINSOS_OFFICE), otherCoordinator), opened],
    ] as const)('the coordinator of another network may not %s', (_name, command, events) => {
      theCase(events).when(command).thenThrows(ForbiddenError);
    });

    it.each([
      ['AddNote', addNote(dinsos), opened],
      ['AcceptReferral', accept(dinsos), requested],
      ['CancelReferral', cancel(dinsos), requested],
      ['CloseCase', closeCase(dinsos), opened],
    ] as const)('dinsos may not %s on a case that is not escalated', (_name, command, events) => {
      theCase(events).when(command).thenThrows(ForbiddenError);
    });

    describe('once the case is escalated, dinsos acts for every institution of it', () => {
      const escalated = [...requested, caseEscalated(DINSOS_OFFICE)];

      it('adds a note', () => {
        theCase(escalated).when(addNote(dinsos)).then([{
          type: 'CaseNoteAdded',
          data: { noteId: 'note-1', authorInstitutionId: null, visibility: 'participants', at: T_STEP, personal: { text: 'Kunjungan rumah' } },
        }]);
      });

      it('accepts for the target', () => {
        theCase(escalated).when(accept(dinsos)).then([referralAccepted()]);
      });

      it('cancels for the referrer', () => {
        theCase(escalated).when(cancel(dinsos)).then([referralCancelled()]);
      });

      it('escalates further', () => {
        theCase(escalated).when(escalate(OUTSIDER, outside(OUTSIDER), dinsos)).then([caseEscalated(OUTSIDER)]);
      });

      it('a caseworker of the Dinsos office, now a participant, adds notes', () => {
        theCase(escalated).when(addNote(caseworkerOf(DINSOS_OFFICE))).then([{
          type: 'CaseNoteAdded',
          data: { noteId: 'note-1', authorInstitutionId: DINSOS_OFFICE, visibility: 'participants', at: T_STEP, personal: { text: 'Kunjungan rumah' } },
        }]);
      });
    });
  });
});
