/**
 * Who may do what on a case (docs/domain.md, "Roles"): pure predicates over the actor and the case state, shared by the
 * decider (commands from any source) and the route policies (src/auth/policies.ts, every HTTP request).
 */
import { institutionOf, type Actor } from '../core/actor.js';
import type { ExistingCase, Referral } from './case.state.js';

const isEscalated = (state: ExistingCase): boolean => state.escalatedTo.length > 0;

/** Every institution the case touched: its participants (the owner, accepted targets, escalations) and every referral's sender and target. */
export function touchedBy(state: ExistingCase): readonly string[] {
  const institutions = new Set(state.participants);
  for (const referral of state.referrals) institutions.add(referral.fromInstitutionId).add(referral.toInstitutionId);
  return [...institutions];
}

/** Coordinators act for every institution in their network; dinsos for every one in an escalated case. */
function actsForNetwork(actor: Actor, state: ExistingCase): boolean {
  switch (actor.role) {
    case 'coordinator':
      return actor.networkId === state.networkId;
    case 'dinsos':
      return isEscalated(state);
    default:
      return false;
  }
}

/** The actor may act on behalf of this institution in this case. */
export function actsFor(actor: Actor, state: ExistingCase, institutionId: string): boolean {
  return actsForNetwork(actor, state) || institutionOf(actor) === institutionId;
}

/** Answers a referral for its target; a coordinator not for a target outside their network unless it is their own. */
export function mayAnswerReferral(actor: Actor, state: ExistingCase, referral: Referral): boolean {
  if (!actsFor(actor, state, referral.toInstitutionId)) return false;
  return referral.targetInNetwork || actor.role !== 'coordinator' || actor.institutionId === referral.toInstitutionId;
}

/** The actor's own institution, when it is a participant of the case. */
function participating(actor: Actor, state: ExistingCase): string | null {
  const own = institutionOf(actor);
  return own !== null && state.participants.includes(own) ? own : null;
}

/** Participants (and those who act for them) may add notes, consents and needs assessments. */
export function actsAsParticipant(actor: Actor, state: ExistingCase): boolean {
  return actsForNetwork(actor, state) || participating(actor, state) !== null;
}

/**
 * The cases a person may read (docs/domain.md, "Roles"), as conditions any one of which admits a case: one
 * definition, read two ways. `mayReadCase` is the route guard over one case; the case list
 * (src/projections/case-summaries) turns the same conditions into its filter over the case summaries, whose
 * `networkId`, `escalated` and `touchedBy` fields are these same facts of the case.
 */
export type ReadCondition =
  /** The institution touched the case: a participant, or a referral's sender or target. */
  | { readonly touchedBy: string }
  /** The case belongs to the network. */
  | { readonly networkId: string }
  /** The case was escalated to dinsos. */
  | { readonly escalated: true };

export function readScope(actor: Actor): readonly ReadCondition[] {
  const own = institutionOf(actor);
  const ownInstitution = own === null ? [] : [{ touchedBy: own }];
  switch (actor.role) {
    case 'caseworker':
      return ownInstitution;
    case 'coordinator':
      return [{ networkId: actor.networkId }, ...ownInstitution];
    case 'dinsos':
      return [{ escalated: true }, ...ownInstitution];
    case 'auditor':
    case 'analyst':
    case 'admin':
    case 'system':
      return [];
  }
}

function holds(condition: ReadCondition, state: ExistingCase): boolean {
  if ('touchedBy' in condition) return touchedBy(state).includes(condition.touchedBy);
  if ('networkId' in condition) return state.networkId === condition.networkId;
  return isEscalated(state);
}

/** Participants, referral senders and targets, the network's coordinator, dinsos once escalated. */
export function mayReadCase(actor: Actor, state: ExistingCase): boolean {
  return readScope(actor).some((condition) => holds(condition, state));
}

/** The institution a referral is sent from: the actor's own when it holds the case, else the owner's. */
export function referringInstitution(actor: Actor, state: ExistingCase): string | null {
  return participating(actor, state) ?? (actsForNetwork(actor, state) ? state.ownerInstitutionId : null);
}

/** Referrals outside the network (not city-wide) are for coordinators and dinsos on an escalated case. */
export function mayReferOutsideNetwork(actor: Actor, state: ExistingCase): boolean {
  return isEscalated(state) && actsForNetwork(actor, state);
}

/**
 * A note for every participant is read by those who act as participants; one kept to the author's
 * institution, by that institution's people (and its author, whatever became of their institution).
 */
export function mayReadNote(
  actor: Actor,
  state: ExistingCase,
  note: { readonly visibility: 'participants' | 'institution'; readonly authorInstitutionId: string | null; readonly authorUserId: string | null },
): boolean {
  if (note.authorUserId !== null && note.authorUserId === actor.userId) return true;
  if (note.visibility === 'institution') return note.authorInstitutionId !== null && institutionOf(actor) === note.authorInstitutionId;
  return actsAsParticipant(actor, state);
}
