/** Roles a person's token may carry (docs/domain.md, "Roles"). */
export const USER_ROLES = ['caseworker', 'coordinator', 'dinsos', 'auditor', 'analyst', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** `system` acts for the service itself, e.g. the referral expiry scheduler. */
export type Role = UserRole | 'system';

interface Someone<R extends Role> {
  readonly userId: string;
  readonly role: R;
}

/** Works at one institution and acts for it. */
export interface Caseworker extends Someone<'caseworker'> {
  readonly institutionId: string;
}

/** Coordinates one network (a WKSBM), and may also work at an institution of their own. */
export interface Coordinator extends Someone<'coordinator'> {
  readonly networkId: string;
  readonly institutionId?: string;
}

/** The city's social service: escalated cases, city-wide providers; may work at an institution (the dinsos office). */
export interface Dinsos extends Someone<'dinsos'> {
  readonly institutionId?: string;
}

/**
 * Who issues a command: taken from the verified token (or the console session's grant), never from the
 * request body. Each role carries what it acts for, so a rule narrows by role and the compiler knows what is
 * there: a caseworker always has an institution, a coordinator always a network.
 */
export type Actor =
  | Caseworker
  | Coordinator
  | Dinsos
  | Someone<'auditor'>
  | Someone<'analyst'>
  | Someone<'admin'>
  | Someone<'system'>;

export const SYSTEM_ACTOR: Actor = { userId: 'system', role: 'system' };

/** What a token's claims or a user's grant say about a person; each role keeps what it carries. */
export interface Grant {
  readonly userId: string;
  readonly role: UserRole;
  readonly institutionId: string | null;
  readonly networkId: string | null;
}

/**
 * The actor a grant makes of a person, or the claim the role needs that the grant lacks (a caseworker's
 * institution, a coordinator's network). Claims a role does not carry are left out.
 */
export function actorOf(grant: Grant): Actor | { readonly missing: 'institutionId' | 'networkId' } {
  const { userId, role, institutionId, networkId } = grant;
  const ownInstitution = institutionId === null ? {} : { institutionId };
  switch (role) {
    case 'caseworker':
      return institutionId === null ? { missing: 'institutionId' } : { userId, role, institutionId };
    case 'coordinator':
      return networkId === null ? { missing: 'networkId' } : { userId, role, networkId, ...ownInstitution };
    case 'dinsos':
      return { userId, role, ...ownInstitution };
    case 'auditor':
    case 'analyst':
    case 'admin':
      return { userId, role };
  }
}

/** The institution a person works at, if their role has one. */
export function institutionOf(actor: Actor): string | null {
  switch (actor.role) {
    case 'caseworker':
      return actor.institutionId;
    case 'coordinator':
    case 'dinsos':
      return actor.institutionId ?? null;
    default:
      return null;
  }
}

/**
 * An actor as an event's metadata holds it: written by whichever version of the service appended the event,
 * so read field by field (timelines, access logs), never trusted to be one of today's shapes.
 */
export interface RecordedActor {
  readonly userId: string;
  readonly role: string;
  readonly institutionId?: string;
  readonly networkId?: string;
}
