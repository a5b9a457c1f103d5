export const ROLES = ['caseworker', 'coordinator', 'dinsos', 'auditor', 'analyst', 'admin', 'system'] as const;
export type Role = (typeof ROLES)[number];

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
