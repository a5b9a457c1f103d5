/** Roles a person's token may carry (docs/domain.md, "Roles"). */
export const USER_ROLES = ['caseworker', 'coordinator', 'dinsos', 'auditor', 'analyst', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];
/** `system` acts for the service itself, e.g. the referral expiry scheduler. */
export type Role = UserRole | 'system';

/** Who issues a command: taken from the verified token, never from the request body. */
export interface Actor {
  readonly userId: string;
  readonly role: Role;
  /** A caseworker's (and optionally a coordinator's) own institution. */
  readonly institutionId?: string;
  /** A coordinator's network. */
  readonly networkId?: string;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', role: 'system' };
