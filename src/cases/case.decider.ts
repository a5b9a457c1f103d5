/**
 * The case aggregate's decisions (docs/domain.md): the closed-loop referral lifecycle and the case rules.
 * Facts about other aggregates (the network, a target institution) arrive in the command, read by the
 * handler, so this stays a pure function.
 */
import { institutionOf, type Actor } from '../core/actor.js';
import type { Decider } from '../core/decider.js';
import { assertNever } from '../core/decider.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import type { NetworkState } from '../networks/network.state.js';
import type {
  CaseEvent, ConsentGiver, DeclineReasonCode, NoteVisibility, Outcome, SubjectPersonalData, Urgency,
} from './case.events.js';
import { actsAsParticipant, actsFor, mayAnswerReferral, mayReferOutsideNetwork, referringInstitution } from './case.policy.js';
import { evolveCase, initialCaseState, isTerminal, type CaseState, type ExistingCase, type Referral, type ReferralStatus } from './case.state.js';

/** Hours from request to due time, per urgency (configured through SLA_HOURS_*, defaults in config.ts). */
export type SlaHours = Readonly<Record<Urgency, number>>;

/** A prospective referral or escalation target, as its streams show it now. */
export interface TargetFacts {
  readonly institution: InstitutionState;
  /** The target is a member of the case's network. */
  readonly inCaseNetwork: boolean;
}

interface Base {
  readonly caseId: string;
  readonly actor: Actor;
  /** ISO-8601 time of the command. */
  readonly at: string;
}

interface OnReferral extends Base {
  readonly referralId: string;
}

export type CaseCommand =
  | (Base & {
      readonly type: 'OpenCase';
      readonly networkId: string;
      readonly ownerInstitutionId: string;
      readonly subjectId: string;
      readonly regionCode: string;
      readonly subject: SubjectPersonalData;
      readonly categories: readonly string[];
      readonly urgency: Urgency;
      readonly description: string;
      readonly network: NetworkState;
      readonly owner: InstitutionState;
      /** The subject's data was erased (src/privacy): their NIK links no new case to them. */
      readonly subjectErased: boolean;
    })
  | (Base & {
      readonly type: 'RecordConsent';
      readonly consentId: string;
      readonly recipients: readonly string[] | 'network';
      readonly givenBy: ConsentGiver;
      readonly expiresAt: string | null;
    })
  | (Base & { readonly type: 'WithdrawConsent'; readonly consentId: string })
  | (Base & { readonly type: 'AssessNeeds'; readonly categories: readonly string[]; readonly urgency: Urgency })
  | (Base & { readonly type: 'AddNote'; readonly noteId: string; readonly text: string; readonly visibility: NoteVisibility })
  | (OnReferral & {
      readonly type: 'RequestReferral';
      readonly toInstitutionId: string;
      readonly reason: string;
      readonly urgency: Urgency | null;
      readonly emergencyOverride: { readonly reason: string } | null;
      readonly slaHours: SlaHours;
      readonly target: TargetFacts;
    })
  | (OnReferral & { readonly type: 'AcceptReferral' | 'StartReferral' | 'ResumeReferral' | 'AcknowledgeReferralOutcome' | 'ExpireReferral' })
  | (OnReferral & { readonly type: 'DeclineReferral'; readonly reasonCode: DeclineReasonCode; readonly reason: string })
  | (OnReferral & { readonly type: 'PutReferralOnHold' | 'FailReferral' | 'CancelReferral'; readonly reason: string })
  | (OnReferral & { readonly type: 'CompleteReferral'; readonly outcome: Outcome; readonly summary: string })
  | (Base & { readonly type: 'EscalateCase'; readonly toInstitutionId: string; readonly reason: string; readonly target: TargetFacts })
  | (Base & { readonly type: 'CloseCase'; readonly outcome: Outcome; readonly summary: string })
  | (Base & { readonly type: 'ReopenCase'; readonly reason: string });

export type CaseCommandType = CaseCommand['type'];

const WORKING: readonly ReferralStatus[] = ['accepted', 'in_progress', 'on_hold'];

function requireOpen(state: ExistingCase): asserts state is Extract<ExistingCase, { status: 'open' }> {
  if (state.status === 'closed') throw new ConflictError(`Case ${state.id} is closed; only reopening is possible`);
}

function findReferral(state: ExistingCase, referralId: string): Referral {
  const referral = state.referrals.find((candidate) => candidate.id === referralId);
  if (!referral) throw new NotFoundError(`Case ${state.id} has no referral ${referralId}`);
  return referral;
}

function requireStatus(referral: Referral, allowed: readonly ReferralStatus[], action: string): void {
  if (!allowed.includes(referral.status)) {
    throw new ConflictError(`Referral ${referral.id} is ${referral.status}; it cannot be ${action}`);
  }
}

function requireActsFor(actor: Actor, state: ExistingCase, institutionId: string, who: string): void {
  if (!actsFor(actor, state, institutionId)) throw new ForbiddenError(`Only the ${who} institution may do this`);
}

function requireParticipant(actor: Actor, state: ExistingCase): void {
  if (!actsAsParticipant(actor, state)) throw new ForbiddenError(`Only participants of case ${state.id} may do this`);
}

function addHours(iso: string, hours: number): string {
  return new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
}

/** A registered, active institution, or the reason it cannot receive the case. */
function requireAvailableTarget(target: TargetFacts, institutionId: string, field: string): Exclude<InstitutionState, { status: 'unregistered' }> {
  const { institution } = target;
  if (institution.status === 'unregistered') throw new InvalidCommandError(`Institution ${institutionId} is not registered`, field);
  if (institution.status === 'suspended') throw new ConflictError(`Institution ${institutionId} is suspended`, field);
  return institution;
}

function coveringConsent(state: ExistingCase, target: TargetFacts, institutionId: string, at: string): string | null {
  const consent = state.consents.find((candidate) =>
    candidate.withdrawnAt === null &&
    (candidate.expiresAt === null || Date.parse(candidate.expiresAt) > Date.parse(at)) &&
    (candidate.recipients === 'network' ? target.inCaseNetwork : candidate.recipients.includes(institutionId)));
  return consent?.id ?? null;
}

function openCase(command: Extract<CaseCommand, { type: 'OpenCase' }>, state: CaseState): CaseEvent[] {
  if (state.status !== 'none') throw new ConflictError(`Case ${command.caseId} already exists`, 'id');
  const { actor, network, owner, networkId, ownerInstitutionId } = command;
  if (network.status === 'unregistered') throw new InvalidCommandError(`Network ${networkId} is not registered`, 'networkId');
  const allowed = actor.role === 'coordinator' ? actor.networkId === networkId : actor.role === 'caseworker' && actor.institutionId === ownerInstitutionId;
  if (!allowed) {
    throw new ForbiddenError(`You may not open cases for institution ${ownerInstitutionId} in network ${networkId}`);
  }
  if (owner.status === 'unregistered') throw new InvalidCommandError(`Institution ${ownerInstitutionId} is not registered`, 'ownerInstitutionId');
  if (owner.status === 'suspended') throw new ConflictError(`Institution ${ownerInstitutionId} is suspended`, 'ownerInstitutionId');
  if (owner.scope !== 'city' && !network.memberIds.includes(ownerInstitutionId)) {
    throw new InvalidCommandError(`Institution ${ownerInstitutionId} is not a member of network ${networkId}`, 'networkId');
  }
  if (command.subjectErased) {
    throw new ConflictError('This person\'s data was erased at their request: no new case is linked to them by NIK (open it without the NIK)', 'subject.nik');
  }
  const { caseId, subjectId, regionCode, categories, urgency, at, subject, description } = command;
  return [{
    type: 'CaseOpened',
    data: { caseId, networkId, ownerInstitutionId, subjectId, regionCode, categories, urgency, openedAt: at, personal: { subject, description } },
  }];
}

function requestReferral(command: Extract<CaseCommand, { type: 'RequestReferral' }>, state: ExistingCase): CaseEvent[] {
  const { actor, at, referralId, toInstitutionId, target } = command;
  const fromInstitutionId = referringInstitution(actor, state);
  if (fromInstitutionId === null) throw new ForbiddenError(`Only an institution holding case ${state.id} may refer it`);
  requireOpen(state);
  if (state.referrals.some((referral) => referral.id === referralId)) throw new ConflictError(`Referral ${referralId} already exists`, 'id');
  const institution = requireAvailableTarget(target, toInstitutionId, 'toInstitutionId');
  if (toInstitutionId === fromInstitutionId) throw new InvalidCommandError('An institution cannot refer a case to itself', 'toInstitutionId');
  if (!target.inCaseNetwork && institution.scope !== 'city' && !mayReferOutsideNetwork(actor, state)) {
    throw new InvalidCommandError(
      `Institution ${toInstitutionId} is neither in network ${state.networkId} nor city-wide; escalate the case first`, 'toInstitutionId');
  }
  if (state.referrals.some((referral) => referral.toInstitutionId === toInstitutionId && !isTerminal(referral.status))) {
    throw new ConflictError(`Case ${state.id} already has an open referral to ${toInstitutionId}`, 'toInstitutionId');
  }
  const consentId = coveringConsent(state, target, toInstitutionId, at);
  if (consentId === null && command.emergencyOverride === null) {
    throw new ConflictError(`No consent on record covers a referral to ${toInstitutionId}; record consent or use an emergency override`, 'toInstitutionId');
  }
  const urgency = command.urgency ?? state.urgency;
  const personal = command.emergencyOverride && consentId === null
    ? { reason: command.reason, overrideReason: command.emergencyOverride.reason }
    : { reason: command.reason };
  return [{
    type: 'ReferralRequested',
    data: {
      referralId, fromInstitutionId, toInstitutionId, urgency, requestedAt: at, dueAt: addHours(at, command.slaHours[urgency]),
      targetInNetwork: target.inCaseNetwork, consentId, emergencyOverride: consentId === null, personal,
    },
  }];
}

/** Steps taken by the referral's target institution. */
function targetStep(command: Extract<CaseCommand, { referralId: string }>, state: ExistingCase, referral: Referral): CaseEvent[] {
  const { referralId, at } = command;
  const allowedFrom = (statuses: readonly ReferralStatus[], action: string) => requireStatus(referral, statuses, action);
  switch (command.type) {
    case 'AcceptReferral':
      allowedFrom(['requested'], 'accepted');
      return [{ type: 'ReferralAccepted', data: { referralId, at } }];
    case 'DeclineReferral':
      allowedFrom(['requested'], 'declined');
      return [{ type: 'ReferralDeclined', data: { referralId, at, reasonCode: command.reasonCode, personal: { reason: command.reason } } }];
    case 'StartReferral':
      allowedFrom(['accepted'], 'started');
      return [{ type: 'ReferralStarted', data: { referralId, at } }];
    case 'PutReferralOnHold':
      allowedFrom(['in_progress'], 'put on hold');
      return [{ type: 'ReferralPutOnHold', data: { referralId, at, personal: { reason: command.reason } } }];
    case 'ResumeReferral':
      allowedFrom(['on_hold'], 'resumed');
      return [{ type: 'ReferralResumed', data: { referralId, at } }];
    case 'CompleteReferral':
      allowedFrom(WORKING, 'completed');
      return [{ type: 'ReferralCompleted', data: { referralId, at, outcome: command.outcome, personal: { summary: command.summary } } }];
    case 'FailReferral':
      allowedFrom(WORKING, 'failed');
      return [{ type: 'ReferralFailed', data: { referralId, at, personal: { reason: command.reason } } }];
    default:
      throw new Error(`${command.type} is not a target step`);
  }
}

function referralStep(command: Extract<CaseCommand, { referralId: string }>, state: ExistingCase): CaseEvent[] {
  if (command.type === 'RequestReferral') return requestReferral(command, state);
  const { actor, referralId, at } = command;
  const referral = findReferral(state, referralId);
  switch (command.type) {
    case 'ExpireReferral':
      if (actor.role !== 'system') throw new ForbiddenError('Referrals expire only by the scheduler');
      if (referral.status === 'expired') return [];
      requireOpen(state);
      requireStatus(referral, ['requested'], 'expired');
      if (Date.parse(at) < Date.parse(referral.dueAt)) throw new ConflictError(`Referral ${referralId} is not due until ${referral.dueAt}`);
      return [{ type: 'ReferralExpired', data: { referralId, at } }];
    case 'CancelReferral':
      requireActsFor(actor, state, referral.fromInstitutionId, 'referring');
      requireOpen(state);
      requireStatus(referral, ['requested', ...WORKING], 'cancelled');
      return [{ type: 'ReferralCancelled', data: { referralId, at, personal: { reason: command.reason } } }];
    case 'AcknowledgeReferralOutcome':
      requireActsFor(actor, state, referral.fromInstitutionId, 'referring');
      requireOpen(state);
      if (!isTerminal(referral.status)) throw new ConflictError(`Referral ${referralId} is ${referral.status}; there is no outcome to acknowledge yet`);
      if (referral.loopClosed) throw new ConflictError(`The outcome of referral ${referralId} is already acknowledged`);
      return [{ type: 'ReferralOutcomeAcknowledged', data: { referralId, at } }];
    case 'AcceptReferral':
    case 'DeclineReferral':
    case 'StartReferral':
    case 'PutReferralOnHold':
    case 'ResumeReferral':
    case 'CompleteReferral':
    case 'FailReferral':
      requireActsFor(actor, state, referral.toInstitutionId, 'target');
      if (!mayAnswerReferral(actor, state, referral)) throw new ForbiddenError('A coordinator answers only for institutions of their own network');
      requireOpen(state);
      return targetStep(command, state, referral);
    default:
      return assertNever(command);
  }
}

function decide(command: CaseCommand, state: CaseState): CaseEvent[] {
  if (command.type === 'OpenCase') return openCase(command, state);
  if (state.status === 'none') throw new NotFoundError(`Case ${command.caseId} does not exist`);
  const { actor, at } = command;
  switch (command.type) {
    case 'RecordConsent': {
      requireParticipant(actor, state);
      requireOpen(state);
      if (state.consents.some((consent) => consent.id === command.consentId)) throw new ConflictError(`Consent ${command.consentId} already exists`, 'id');
      if (command.expiresAt !== null && Date.parse(command.expiresAt) <= Date.parse(at)) throw new InvalidCommandError('The consent would already have expired', 'expiresAt');
      const { consentId, recipients, givenBy, expiresAt } = command;
      return [{ type: 'ConsentRecorded', data: { consentId, scope: 'referral', recipients, givenBy, recordedAt: at, expiresAt } }];
    }
    case 'WithdrawConsent': {
      requireParticipant(actor, state);
      requireOpen(state);
      const consent = state.consents.find((candidate) => candidate.id === command.consentId);
      if (!consent) throw new NotFoundError(`Case ${state.id} has no consent ${command.consentId}`);
      if (consent.withdrawnAt !== null) throw new ConflictError(`Consent ${command.consentId} is already withdrawn`);
      return [{ type: 'ConsentWithdrawn', data: { consentId: command.consentId, at } }];
    }
    case 'AssessNeeds':
      requireParticipant(actor, state);
      requireOpen(state);
      return [{ type: 'NeedsAssessed', data: { categories: command.categories, urgency: command.urgency, at } }];
    case 'AddNote':
      requireParticipant(actor, state);
      requireOpen(state);
      return [{
        type: 'CaseNoteAdded',
        data: { noteId: command.noteId, authorInstitutionId: institutionOf(actor), visibility: command.visibility, at, personal: { text: command.text } },
      }];
    case 'RequestReferral':
    case 'AcceptReferral':
    case 'DeclineReferral':
    case 'StartReferral':
    case 'PutReferralOnHold':
    case 'ResumeReferral':
    case 'CompleteReferral':
    case 'FailReferral':
    case 'CancelReferral':
    case 'AcknowledgeReferralOutcome':
    case 'ExpireReferral':
      return referralStep(command, state);
    case 'EscalateCase': {
      requireActsFor(actor, state, state.ownerInstitutionId, 'owning');
      requireOpen(state);
      const { toInstitutionId, target } = command;
      const institution = requireAvailableTarget(target, toInstitutionId, 'toInstitutionId');
      if (target.inCaseNetwork && institution.scope !== 'city') {
        throw new InvalidCommandError(`Institution ${toInstitutionId} is already in the case's network; refer instead`, 'toInstitutionId');
      }
      if (state.escalatedTo.includes(toInstitutionId)) throw new ConflictError(`Case ${state.id} is already escalated to ${toInstitutionId}`, 'toInstitutionId');
      return [{ type: 'CaseEscalated', data: { toInstitutionId, at, personal: { reason: command.reason } } }];
    }
    case 'CloseCase': {
      requireActsFor(actor, state, state.ownerInstitutionId, 'owning');
      requireOpen(state);
      const pending = state.referrals.filter((referral) => !isTerminal(referral.status) || !referral.loopClosed);
      if (pending.length > 0) {
        throw new ConflictError(`Case ${state.id} has referrals not ended and acknowledged: ${pending.map((referral) => referral.id).join(', ')}`);
      }
      return [{ type: 'CaseClosed', data: { outcome: command.outcome, at, personal: { summary: command.summary } } }];
    }
    case 'ReopenCase':
      requireActsFor(actor, state, state.ownerInstitutionId, 'owning');
      if (state.status !== 'closed') throw new ConflictError(`Case ${state.id} is not closed`);
      return [{ type: 'CaseReopened', data: { at, personal: { reason: command.reason } } }];
    default:
      return assertNever(command);
  }
}

export const caseDecider: Decider<CaseCommand, CaseEvent, CaseState> = {
  initialState: initialCaseState,
  decide,
  evolve: evolveCase,
};
