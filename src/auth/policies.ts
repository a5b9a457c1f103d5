/**
 * Who may use which route (docs/domain.md, "Roles"): the one place HTTP access is decided.
 * Controllers declare one of these per route with @Policy. Case rules are the predicates of case.policy.ts
 * that the case decider enforces too (commands also come from the CLI and the scheduler); list routes are
 * open to a role here and scoped to what it may see by their query.
 */
import {
  actsAsParticipant, actsFor, mayAnswerReferral, mayReadCase, referringInstitution,
} from '../cases/case.policy.js';
import type { ExistingCase, Referral } from '../cases/case.state.js';
import { USER_ROLES, institutionOf, type Actor, type UserRole } from '../core/actor.js';
import { NotFoundError } from '../core/domain-error.js';
import { mayManageInstitution } from '../institutions/institution.decider.js';
import { mayManageNetwork } from '../networks/network.decider.js';
import { mayManageWebhook } from '../webhooks/webhook.decider.js';
import type { AccessPolicy } from './access-policy.js';

const CASE_ROLES: readonly UserRole[] = ['caseworker', 'coordinator', 'dinsos'];

const openTo = (who: string, ...roles: UserRole[]): AccessPolicy => ({ who, roles });

/** A rule over the case of `:id`. */
function onCase(who: string, roles: readonly UserRole[], allows: (actor: Actor, state: ExistingCase) => boolean, refusal: string): AccessPolicy {
  return {
    who,
    roles,
    rule: async (actor, { id }, objects) => (allows(actor, await objects.case(id)) ? null : `${refusal} (case ${id})`),
  };
}

/** A rule over referral `:rid` of the case of `:id`. */
function onReferral(who: string, allows: (actor: Actor, state: ExistingCase, referral: Referral) => boolean, refusal: string): AccessPolicy {
  return {
    who,
    roles: CASE_ROLES,
    rule: async (actor, { id, rid }, objects) => {
      const state = await objects.case(id);
      const referral = state.referrals.find((candidate) => candidate.id === rid);
      if (!referral) throw new NotFoundError(`Case ${state.id} has no referral ${JSON.stringify((rid ?? '').slice(0, 64))}`);
      return allows(actor, state, referral) ? null : `${refusal} (referral ${referral.id})`;
    },
  };
}

const WEBHOOK_ROLES: readonly UserRole[] = ['admin', 'dinsos', 'caseworker', 'coordinator'];
const WEBHOOK_MANAGERS = 'a caseworker for their own institution\'s subscriptions, a coordinator for their network\'s, dinsos for the city\'s and their own institution\'s, an admin for any';

/** A rule over the webhook subscription of `:id`. */
function onWebhook(who: string, roles: readonly UserRole[], allows: (actor: Actor, scope: Parameters<typeof mayManageWebhook>[1]) => boolean): AccessPolicy {
  return {
    who,
    roles,
    rule: async (actor, { id }, objects) => (allows(actor, (await objects.webhook(id)).scope) ? null : `You may not manage webhook subscription ${id}`),
  };
}

const actsForOwner = (actor: Actor, state: ExistingCase) => actsFor(actor, state, state.ownerInstitutionId);

export const policies = {
  /** The directory and reference data. */
  signedIn: openTo('anyone signed in', ...USER_ROLES),
  /** Registering institutions and networks, assigning coordinators. Which institutions dinsos may register depends on the body: the decider checks it. */
  manageDirectory: openTo('admin and dinsos; dinsos registers city-wide providers only (an institution of `scope: network` is refused, 403)', 'admin', 'dinsos'),
  /** Renaming, services, suspension: admin for every institution, dinsos for the city-wide providers. */
  manageInstitution: {
    who: 'an admin for every institution; dinsos for the city-wide providers',
    roles: ['admin', 'dinsos'],
    rule: async (actor, { id }, objects) => {
      const institution = await objects.institution(id);
      return mayManageInstitution(actor, institution.scope) ? null : `Only an admin manages institution ${institution.id}: dinsos manages city-wide providers`;
    },
  },
  /** A network's members: admin and dinsos for every network, its coordinator for their own. */
  manageMembership: {
    who: 'admin and dinsos for every network; a coordinator for their own',
    roles: ['admin', 'dinsos', 'coordinator'],
    rule: async (actor, { id }, objects) => {
      const network = await objects.network(id);
      return mayManageNetwork(actor, network.id) ? null : `You may not manage network ${network.id}`;
    },
  },
  openCase: openTo('a caseworker, for their own institution; a coordinator, for a member institution of their network (`ownerInstitutionId`)', 'caseworker', 'coordinator'),
  listCases: openTo('caseworkers, coordinators and dinsos, each seeing only the cases they may read', ...CASE_ROLES),
  /** Participants, referral senders and targets, the network's coordinator, dinsos once escalated. */
  readCase: onCase('the case\'s participants, institutions a referral of it was sent to or from, the coordinator of its network, and dinsos once it is escalated', CASE_ROLES, mayReadCase, 'You may not read this case'),
  /** Consents, notes, needs. */
  participate: onCase('the case\'s participants (its owner and the institutions that accepted a referral), the coordinator of its network, and dinsos once it is escalated', CASE_ROLES, actsAsParticipant, 'Only participants of the case may do this'),
  referCase: onCase('an institution holding the case (a participant), the coordinator of its network, and dinsos once it is escalated', CASE_ROLES, (actor, state) => referringInstitution(actor, state) !== null, 'Only an institution holding the case may refer it'),
  /** Accept, decline, start, hold, resume, complete, fail. */
  answerReferral: onReferral('the referral\'s target institution, the coordinator of the case\'s network for a target in it, and dinsos once the case is escalated', mayAnswerReferral, 'Only the target institution may answer the referral'),
  /** Cancel, acknowledge the outcome. */
  closeReferralLoop: onReferral('the referring institution, the coordinator of the case\'s network, and dinsos once the case is escalated', (actor, state, referral) => actsFor(actor, state, referral.fromInstitutionId), 'Only the referring institution may do this'),
  escalateCase: onCase('the institution owning the case and the coordinator of its network', ['caseworker', 'coordinator'], actsForOwner, 'Only the owning institution or its coordinator may escalate the case'),
  /** Close, reopen. */
  closeCase: onCase('the institution owning the case, the coordinator of its network, and dinsos once it is escalated', CASE_ROLES, actsForOwner, 'Only the owning institution or its coordinator may do this'),
  /** An institution's inbox and outbox: its own staff, and the coordinator of a network it belongs to. */
  readReferralBox: {
    who: 'the institution\'s own staff, and the coordinator of a network it belongs to',
    roles: CASE_ROLES,
    rule: async (actor, { id }, objects) => {
      const institution = await objects.institution(id);
      if (institutionOf(actor) === institution.id) return null;
      const coordinates = actor.role === 'coordinator' && (await objects.networkMembers(actor.networkId)).includes(institution.id);
      return coordinates ? null : `You may not read the referrals of institution ${institution.id}`;
    },
  },
  /** Histories, states as of a time, integrity checks, exports. */
  audit: openTo('auditors; every call is recorded in the case\'s access log before anything is served', 'auditor'),
  /** Who read a case's history: auditors, and dinsos for data subjects' access requests. */
  readAccessLog: openTo('auditors, and dinsos for data subjects\' access requests', 'auditor', 'dinsos'),
  readAnalytics: openTo('analysts and dinsos', 'analyst', 'dinsos'),
  /** Inviting people to the console, revoking their access. */
  manageUsers: openTo('admins', 'admin'),
  /** Who has access to the console, and since when: admins, and auditors. */
  readUsers: openTo('admins and auditors', 'admin', 'auditor'),
  /** Data subjects' rights under UU 27/2022: erasure and access reports. */
  subjectRights: openTo('dinsos', 'dinsos'),
  /** Subscribing a webhook: the scope (own institution, network, the city) is the decider's to check. */
  subscribeWebhook: openTo(`${WEBHOOK_MANAGERS} (the body's \`scope\` says which; another scope is refused, 403)`, ...WEBHOOK_ROLES),
  /** Subscriptions, each caller those it manages (auditors every one: they are part of the audit trail). */
  listWebhooks: openTo('caseworkers, coordinators, dinsos and admins, each seeing the subscriptions they manage; auditors every one', ...WEBHOOK_ROLES, 'auditor'),
  readWebhook: onWebhook(`${WEBHOOK_MANAGERS}; auditors`, [...WEBHOOK_ROLES, 'auditor'], (actor, scope) => actor.role === 'auditor' || mayManageWebhook(actor, scope)),
  /** Pause, resume, rotate the secret, delete, redeliver. */
  manageWebhook: onWebhook(WEBHOOK_MANAGERS, WEBHOOK_ROLES, mayManageWebhook),
} satisfies Record<string, AccessPolicy>;
