/**
 * Who may do what on a case (docs/domain.md, "Roles"): pure predicates over the actor and the case state, shared by the
 * decider (commands from any source) and the route policies (src/auth/policies.ts, every HTTP request).
 */
import type { Actor } from '../core/actor.js';
import type { ExistingCase, Referral } from './case.state.js';

const isEscalated = (state: ExistingCase): boolean => state.escalatedTo.length > 0;

/** Coordinators act for every institution in their network; dinsos for every one in an escalated case. */
function actsForNetwork(actor: Actor, state: ExistingCase): boolean {
  return (actor.role === 'coordinator' && actor.networkId === state.networkId) || (actor.role === 'dinsos' && isEscalated(state));
}

/** The actor may act on behalf of this institution in this case. */
export function actsFor(actor: Actor, state: ExistingCase, institutionId: string): boolean {
  if (actsForNetwork(actor, state)) return true;
  return (actor.role === 'caseworker' || actor.role === 'coordinator' || actor.role === 'dinsos') && actor.institutionId === institutionId;
}

/** Answers a referral for its target; a coordinator not for a target outside their network unless it is their own. */
export function mayAnswerReferral(actor: Actor, state: ExistingCase, referral: Referral): boolean {
  if (!actsFor(actor, state, referral.toInstitutionId)) return false;
  return referral.targetInNetwork || actor.role !== 'coordinator' || actor.institutionId === referral.toInstitutionId;
}

/** Participants (and those who act for them) may add notes, consents and needs assessments. */
export function actsAsParticipant(actor: Actor, state: ExistingCase): boolean {
  return actsForNetwork(actor, state) || (actor.institutionId !== undefined && actsFor(actor, state, actor.institutionId) && state.participants.includes(actor.institutionId));
}

/** Participants, referral targets still deciding, the network's coordinator, dinsos once escalated. */
export function mayReadCase(actor: Actor, state: ExistingCase): boolean {
  if (actsAsParticipant(actor, state)) return true;
  const own = actor.institutionId;
  return (actor.role === 'caseworker' || actor.role === 'coordinator' || actor.role === 'dinsos') && own !== undefined &&
    state.referrals.some((referral) => referral.toInstitutionId === own || referral.fromInstitutionId === own);
}

/** The institution a referral is sent from: the actor's own when it holds the case, else the owner's. */
export function referringInstitution(actor: Actor, state: ExistingCase): string | null {
  if (actor.institutionId !== undefined && state.participants.includes(actor.institutionId) && actsFor(actor, state, actor.institutionId)) {
    return actor.institutionId;
  }
  return actsForNetwork(actor, state) ? state.ownerInstitutionId : null;
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
  if (note.visibility === 'institution') return note.authorInstitutionId !== null && actor.institutionId === note.authorInstitutionId;
  return actsAsParticipant(actor, state);
}
