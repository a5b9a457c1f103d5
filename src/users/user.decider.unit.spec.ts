/** Console access as decisions: who may invite whom, single-use codes, sessions, revocation. */
import { given } from '../core/testing/given-when-then.js';
import type { Actor } from '../core/actor.js';
import { fold } from '../core/decider.js';
import { ConflictError, ForbiddenError, InvalidCommandError, UnauthenticatedError } from '../core/domain-error.js';
import { isLiveSession, userDecider, type UserCommand } from './user.decider.js';
import type { UserEvent } from './user.events.js';

const admin: Actor = { userId: 'admin-1', role: 'admin' };
const operator: Actor = { userId: 'cli:root', role: 'system' };
const AT = '2026-11-02T08:00:00.000Z';
const LATER = '2026-11-02T09:00:00.000Z';
const TOMORROW = '2026-11-03T08:00:00.000Z';
const facts = { institutionRegistered: true, networkRegistered: true };

const invite = (overrides: Partial<Extract<UserCommand, { type: 'InviteUser' }>> = {}): UserCommand => ({
  type: 'InviteUser', userId: 'wati', role: 'caseworker', institutionId: 'rw-03', networkId: null, displayName: 'Bu Wati',
  codeId: 'code-1', codeHash: 'hash-1', expiresAt: TOMORROW, actor: admin, at: AT, facts, ...overrides,
});
const invited: UserEvent = {
  type: 'UserInvited', data: { userId: 'wati', role: 'caseworker', institutionId: 'rw-03', networkId: null, displayName: 'Bu Wati', invitedBy: 'admin-1', invitedAt: AT },
};
const codeIssued = (codeId = 'code-1', codeHash = 'hash-1', expiresAt = TOMORROW, issuedAt = AT): UserEvent => ({
  type: 'SignInCodeIssued', data: { userId: 'wati', codeId, codeHash, issuedBy: 'admin-1', issuedAt, expiresAt },
});
const signIn = (codeHash = 'hash-1', at = LATER, sessionId = 's1'): UserCommand => ({
  type: 'SignInWithCode', userId: 'wati', codeHash, sessionId, sessionExpiresAt: '2026-11-02T21:00:00.000Z', at,
});
const signedIn = (sessionId = 's1', codeId: string | null = 'code-1', at = LATER): UserEvent => ({
  type: 'SignedIn', data: { userId: 'wati', sessionId, method: 'invitation', codeId, at, expiresAt: '2026-11-02T21:00:00.000Z' },
});
const revoked: UserEvent = { type: 'UserAccessRevoked', data: { userId: 'wati', revokedBy: 'admin-1', reason: 'moved away', at: LATER } };

describe('user decider', () => {
  describe('inviting', () => {
    it('records who invited whom for which role, and the code by its hash', () => {
      given(userDecider).when(invite()).then([invited, codeIssued()]);
    });

    it('lets the operator at the command line invite', () => {
      given(userDecider).when(invite({ actor: operator })).then([
        { type: 'UserInvited', data: { ...(invited.data as object), invitedBy: 'cli:root' } } as UserEvent,
        { type: 'SignInCodeIssued', data: { userId: 'wati', codeId: 'code-1', codeHash: 'hash-1', issuedBy: 'cli:root', issuedAt: AT, expiresAt: TOMORROW } },
      ]);
    });

    it.each(['caseworker', 'coordinator', 'dinsos', 'auditor', 'analyst'] as const)('refuses the %s role', (role) => {
      given(userDecider).when(invite({ actor: { userId: 'x', role, institutionId: 'rw-03', networkId: 'n' } })).thenThrows(ForbiddenError);
    });

    it('sends a known person a new link without inviting them again', () => {
      given(userDecider, [invited, codeIssued()]).when(invite({ codeId: 'code-2', codeHash: 'hash-2' })).then([codeIssued('code-2', 'hash-2')]);
    });

    it.each([
      [{ institutionId: null }, 'institutionId', /belongs to an institution/],
      [{ role: 'coordinator' as const, institutionId: null }, 'networkId', /coordinates a network/],
      [{ role: 'auditor' as const }, 'institutionId', /belongs to no institution/],
      [{ role: 'analyst' as const, institutionId: null, networkId: 'n' }, 'networkId', /coordinates no network/],
    ])('refuses a grant its role cannot hold: %j', (overrides, field, message) => {
      given(userDecider).when(invite(overrides)).thenThrows(InvalidCommandError, { field, message });
    });

    it('refuses an institution or network the directory does not know', () => {
      given(userDecider).when(invite({ facts: { institutionRegistered: false, networkRegistered: true } })).thenThrows(InvalidCommandError, { field: 'institutionId' });
      given(userDecider).when(invite({ role: 'coordinator', networkId: 'nowhere', institutionId: null, facts: { institutionRegistered: true, networkRegistered: false } }))
        .thenThrows(InvalidCommandError, { field: 'networkId' });
    });

    it('refuses a link that would already have expired', () => {
      given(userDecider).when(invite({ expiresAt: AT })).thenThrows(InvalidCommandError, { field: 'expiresAt' });
    });

    it('restores a revoked person by inviting them again', () => {
      given(userDecider, [invited, codeIssued(), revoked]).when(invite({ at: TOMORROW, expiresAt: '2026-11-04T08:00:00.000Z' })).then([
        { type: 'UserInvited', data: { ...(invited.data as object), invitedAt: TOMORROW } } as UserEvent,
        codeIssued('code-1', 'hash-1', '2026-11-04T08:00:00.000Z', TOMORROW),
      ]);
    });
  });

  describe('signing in with a code', () => {
    it('starts a session with an unused, unexpired code', () => {
      given(userDecider, [invited, codeIssued()]).when(signIn()).then([signedIn()]);
    });

    it('refuses a code a second time', () => {
      given(userDecider, [invited, codeIssued(), signedIn()]).when(signIn('hash-1', LATER, 's2')).thenThrows(UnauthenticatedError, /already used/);
    });

    it('refuses an expired code, and says so', () => {
      given(userDecider, [invited, codeIssued()]).when(signIn('hash-1', TOMORROW)).thenThrows(UnauthenticatedError, /expired/);
    });

    it('answers the same for an unknown person and an unknown code', () => {
      given(userDecider).when(signIn()).thenThrows(UnauthenticatedError, /not valid/);
      given(userDecider, [invited, codeIssued()]).when(signIn('hash-x')).thenThrows(UnauthenticatedError, /not valid/);
    });

    it('refuses a revoked person, even with a code issued before', () => {
      given(userDecider, [invited, codeIssued(), revoked]).when(signIn()).thenThrows(UnauthenticatedError, /revoked/);
    });

    it('keeps a second code working after the first was used', () => {
      given(userDecider, [invited, codeIssued(), signedIn(), codeIssued('code-2', 'hash-2')]).when(signIn('hash-2', LATER, 's2')).then([signedIn('s2', 'code-2')]);
    });
  });

  describe('signing in through the identity provider', () => {
    const provider = (overrides: Partial<Extract<UserCommand, { type: 'SignInWithProvider' }>> = {}): UserCommand => ({
      type: 'SignInWithProvider', userId: 'oidc-7', role: 'analyst', institutionId: null, networkId: null, displayName: 'Pak Budi', issuer: 'https://id.example',
      sessionId: 's9', sessionExpiresAt: TOMORROW, at: AT, ...overrides,
    });
    const granted: UserEvent = {
      type: 'ProviderAccessGranted', data: { userId: 'oidc-7', role: 'analyst', institutionId: null, networkId: null, displayName: 'Pak Budi', issuer: 'https://id.example', at: AT },
    };
    const providerSignIn = (at = AT): UserEvent => ({ type: 'SignedIn', data: { userId: 'oidc-7', sessionId: 's9', method: 'oidc', codeId: null, at, expiresAt: TOMORROW } });

    it('records the grant from the claims at the first sign-in, then only the sign-in', () => {
      given(userDecider).when(provider()).then([granted, providerSignIn()]);
      given(userDecider, [granted, providerSignIn()]).when(provider({ at: LATER })).then([providerSignIn(LATER)]);
    });

    it('records a changed grant', () => {
      given(userDecider, [granted]).when(provider({ role: 'auditor' })).then([{ type: 'ProviderAccessGranted', data: { ...(granted.data as object), role: 'auditor' } } as UserEvent, providerSignIn()]);
    });

    it('refuses claims a role cannot work with, and a revoked person', () => {
      given(userDecider).when(provider({ role: 'caseworker' })).thenThrows(UnauthenticatedError, { field: 'institutionId' });
      given(userDecider, [granted, { type: 'UserAccessRevoked', data: { userId: 'oidc-7', revokedBy: 'admin-1', reason: 'left', at: AT } }]).when(provider({ at: LATER }))
        .thenThrows(UnauthenticatedError, /revoked/);
    });
  });

  describe('sessions and revocation', () => {
    it('ends a live session once; ending it again changes nothing', () => {
      given(userDecider, [invited, codeIssued(), signedIn()]).when({ type: 'SignOut', userId: 'wati', sessionId: 's1', at: LATER }).then([
        { type: 'SignedOut', data: { userId: 'wati', sessionId: 's1', at: LATER } },
      ]);
      given(userDecider, [invited, codeIssued(), signedIn(), { type: 'SignedOut', data: { userId: 'wati', sessionId: 's1', at: LATER } }])
        .when({ type: 'SignOut', userId: 'wati', sessionId: 's1', at: LATER }).thenNothing();
    });

    it('tells a live session from an ended, expired or revoked one', () => {
      const live = fold(userDecider, [invited, codeIssued(), signedIn()]);
      expect(isLiveSession(live, 's1', LATER)).toBe(true);
      expect(isLiveSession(live, 's1', '2026-11-02T21:00:00.000Z')).toBe(false);
      expect(isLiveSession(live, 'other', LATER)).toBe(false);
      expect(isLiveSession(fold(userDecider, [invited, codeIssued(), signedIn(), revoked]), 's1', LATER)).toBe(false);
    });

    it('lets an admin revoke, once, never their own access', () => {
      const revoke = (actor: Actor, userId = 'wati'): UserCommand => ({ type: 'RevokeAccess', userId, reason: 'moved away', actor, at: LATER });
      given(userDecider, [invited]).when(revoke(admin)).then([revoked]);
      given(userDecider, [invited, revoked]).when(revoke(admin)).thenThrows(ConflictError, /already revoked/);
      given(userDecider, [invited]).when(revoke({ userId: 'wati', role: 'admin' })).thenThrows(ConflictError, /your own/);
      given(userDecider, [invited]).when(revoke(operator)).thenThrows(ForbiddenError);
    });
  });
});
