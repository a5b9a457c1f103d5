/**
 * The people who use the console, one stream each (`user-<userId>`): who invited them for which role, every
 * sign-in code issued and used, every session started and ended, and the revocation of their access. Codes
 * are stored as hashes only. Auditors read from here who had access when.
 */
import type { DomainEvent } from '../core/decider.js';
import type { UserRole } from '../core/actor.js';

export const USER_STREAM_PREFIX = 'user-';
export const userStreamId = (userId: string): string => `${USER_STREAM_PREFIX}${userId}`;

export const SIGN_IN_METHODS = ['invitation', 'oidc'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export interface UserGrant {
  readonly role: UserRole;
  readonly institutionId: string | null;
  readonly networkId: string | null;
}

export type UserEvent =
  | DomainEvent<'UserInvited', UserGrant & {
      readonly userId: string;
      /** How colleagues know the person ("Bu Wati"); shown in the console, never logged. */
      readonly displayName: string | null;
      readonly invitedBy: string;
      readonly invitedAt: string;
    }>
  | DomainEvent<'ProviderAccessGranted', UserGrant & {
      readonly userId: string;
      readonly displayName: string | null;
      /** The OIDC issuer whose claims granted the role, at the person's first sign-in or when they changed. */
      readonly issuer: string;
      readonly at: string;
    }>
  | DomainEvent<'SignInCodeIssued', {
      readonly userId: string;
      readonly codeId: string;
      /** SHA-256 of the code's secret, hex: the secret itself is only in the link handed to the person. */
      readonly codeHash: string;
      readonly issuedBy: string;
      readonly issuedAt: string;
      readonly expiresAt: string;
    }>
  | DomainEvent<'SignedIn', {
      readonly userId: string;
      readonly sessionId: string;
      readonly method: SignInMethod;
      /** The code used, for a sign-in by invitation. */
      readonly codeId: string | null;
      readonly at: string;
      readonly expiresAt: string;
    }>
  | DomainEvent<'SignedOut', { readonly userId: string; readonly sessionId: string; readonly at: string }>
  | DomainEvent<'UserAccessRevoked', { readonly userId: string; readonly revokedBy: string; readonly reason: string; readonly at: string }>;

export type UserEventType = UserEvent['type'];
