/**
 * Access to the console: invitations with single-use sign-in codes, sign-in by code or by the OIDC provider,
 * sign-out, and revocation. Codes arrive hashed; the decider compares hashes and never sees a secret.
 */
import type { Actor, UserRole } from '../core/actor.js';
import { assertNever, type Decider } from '../core/decider.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError, UnauthenticatedError } from '../core/domain-error.js';
import type { UserEvent, UserGrant } from './user.events.js';
import { evolveUser, initialUserState, type ExistingUser, type UserState } from './user.state.js';

interface Base {
  readonly userId: string;
  readonly at: string;
}

interface NewCode {
  readonly codeId: string;
  readonly codeHash: string;
  readonly expiresAt: string;
}

/** What the grant names, as the directory knows it: checked before anyone is invited for it. */
export interface GrantFacts {
  readonly institutionRegistered: boolean;
  readonly networkRegistered: boolean;
}

export type UserCommand =
  | (Base & NewCode & UserGrant & { readonly type: 'InviteUser'; readonly displayName: string | null; readonly actor: Actor; readonly facts: GrantFacts })
  | (Base & NewCode & { readonly type: 'IssueSignInCode'; readonly actor: Actor })
  | (Base & { readonly type: 'SignInWithCode'; readonly codeHash: string; readonly sessionId: string; readonly sessionExpiresAt: string })
  | (Base & UserGrant & {
      readonly type: 'SignInWithProvider'; readonly displayName: string | null; readonly issuer: string; readonly sessionId: string; readonly sessionExpiresAt: string;
    })
  | (Base & { readonly type: 'SignOut'; readonly sessionId: string })
  | (Base & { readonly type: 'RevokeAccess'; readonly reason: string; readonly actor: Actor });

/** The roles whose people are invited by an admin, or by the operator at the command line (the system actor). */
const mayInvite = (actor: Actor): boolean => actor.role === 'admin' || actor.role === 'system';

/** The claims each role needs, as tokens need them (src/auth/token.ts). */
export function grantProblem(grant: UserGrant): { field: string; message: string } | null {
  const needs: Readonly<Record<UserRole, { institution: 'required' | 'optional' | 'none'; network: 'required' | 'optional' | 'none' }>> = {
    caseworker: { institution: 'required', network: 'none' },
    coordinator: { institution: 'optional', network: 'required' },
    dinsos: { institution: 'optional', network: 'none' },
    auditor: { institution: 'none', network: 'none' },
    analyst: { institution: 'none', network: 'none' },
    admin: { institution: 'none', network: 'none' },
  };
  const need = needs[grant.role];
  if (need.institution === 'required' && grant.institutionId === null) return { field: 'institutionId', message: `a ${grant.role} belongs to an institution` };
  if (need.institution === 'none' && grant.institutionId !== null) return { field: 'institutionId', message: `a ${grant.role} belongs to no institution` };
  if (need.network === 'required' && grant.networkId === null) return { field: 'networkId', message: `a ${grant.role} coordinates a network` };
  if (need.network === 'none' && grant.networkId !== null) return { field: 'networkId', message: `a ${grant.role} coordinates no network` };
  return null;
}

function existing(state: UserState, userId: string): ExistingUser {
  if (state.status === 'none') throw new NotFoundError(`No user with id ${userId}`);
  return state;
}

function decide(command: UserCommand, state: UserState): UserEvent[] {
  const { userId, at } = command;
  switch (command.type) {
    case 'InviteUser': {
      if (!mayInvite(command.actor)) throw new ForbiddenError('Only an admin invites people');
      const { role, institutionId, networkId, displayName, facts, codeId, codeHash, expiresAt } = command;
      const problem = grantProblem({ role, institutionId, networkId });
      if (problem) throw new InvalidCommandError(`Cannot invite: ${problem.message}`, problem.field);
      if (institutionId !== null && !facts.institutionRegistered) throw new InvalidCommandError(`No institution ${institutionId} is registered`, 'institutionId');
      if (networkId !== null && !facts.networkRegistered) throw new InvalidCommandError(`No network ${networkId} is registered`, 'networkId');
      if (expiresAt <= at) throw new InvalidCommandError('The invitation must expire in the future', 'expiresAt');
      const sameGrant = state.status === 'active' && state.role === role && state.institutionId === institutionId && state.networkId === networkId &&
        state.displayName === displayName;
      const issuedBy = command.actor.userId;
      return [
        ...(sameGrant ? [] : [{ type: 'UserInvited' as const, data: { userId, role, institutionId, networkId, displayName, invitedBy: issuedBy, invitedAt: at } }]),
        { type: 'SignInCodeIssued', data: { userId, codeId, codeHash, issuedBy, issuedAt: at, expiresAt } },
      ];
    }
    case 'IssueSignInCode': {
      if (!mayInvite(command.actor)) throw new ForbiddenError('Only an admin issues sign-in links');
      const user = existing(state, userId);
      if (user.status === 'revoked') throw new ConflictError(`The access of ${userId} was revoked: invite them again to restore it`);
      if (command.expiresAt <= at) throw new InvalidCommandError('The sign-in link must expire in the future', 'expiresAt');
      const { codeId, codeHash, expiresAt } = command;
      return [{ type: 'SignInCodeIssued', data: { userId, codeId, codeHash, issuedBy: command.actor.userId, issuedAt: at, expiresAt } }];
    }
    case 'SignInWithCode': {
      // One answer for an unknown person or code: a guessed link learns nothing about who exists.
      const invalid = new UnauthenticatedError('This sign-in link is not valid: ask the person who invited you for a new one', 'code');
      if (state.status === 'none') throw invalid;
      if (state.status === 'revoked') throw new UnauthenticatedError('Your access to Rujukan was revoked', 'code');
      const code = state.codes.find((candidate) => candidate.codeHash === command.codeHash);
      if (!code) throw invalid;
      if (code.usedAt !== null) throw new UnauthenticatedError('This sign-in link was already used: ask for a new one', 'code');
      if (code.expiresAt <= at) throw new UnauthenticatedError(`This sign-in link expired at ${code.expiresAt}: ask for a new one`, 'code');
      return [{ type: 'SignedIn', data: { userId, sessionId: command.sessionId, method: 'invitation', codeId: code.codeId, at, expiresAt: command.sessionExpiresAt } }];
    }
    case 'SignInWithProvider': {
      if (state.status === 'revoked') throw new UnauthenticatedError('Your access to Rujukan was revoked', 'code');
      const { role, institutionId, networkId, displayName, issuer, sessionId, sessionExpiresAt } = command;
      const problem = grantProblem({ role, institutionId, networkId });
      if (problem) throw new UnauthenticatedError(`The identity provider's claims are not enough: ${problem.message}`, problem.field);
      const unchanged = state.status === 'active' && state.role === role && state.institutionId === institutionId && state.networkId === networkId &&
        state.displayName === displayName;
      return [
        ...(unchanged ? [] : [{ type: 'ProviderAccessGranted' as const, data: { userId, role, institutionId, networkId, displayName, issuer, at } }]),
        { type: 'SignedIn', data: { userId, sessionId, method: 'oidc', codeId: null, at, expiresAt: sessionExpiresAt } },
      ];
    }
    case 'SignOut': {
      const user = existing(state, userId);
      return user.sessions.some((session) => session.sessionId === command.sessionId)
        ? [{ type: 'SignedOut', data: { userId, sessionId: command.sessionId, at } }]
        : [];
    }
    case 'RevokeAccess': {
      if (command.actor.role !== 'admin') throw new ForbiddenError('Only an admin revokes access');
      const user = existing(state, userId);
      if (user.status === 'revoked') throw new ConflictError(`The access of ${userId} was already revoked at ${user.revokedAt}`);
      if (command.actor.userId === userId) throw new ConflictError('You cannot revoke your own access');
      return [{ type: 'UserAccessRevoked', data: { userId, revokedBy: command.actor.userId, reason: command.reason, at } }];
    }
    default:
      return assertNever(command);
  }
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = { initialState: initialUserState, decide, evolve: evolveUser };

/** The session is one the user may still use at `at`: not signed out, not expired, access not revoked. */
export function isLiveSession(state: UserState, sessionId: string, at: string): boolean {
  return state.status === 'active' && state.sessions.some((session) => session.sessionId === sessionId && session.endedAt === null && session.expiresAt > at);
}
