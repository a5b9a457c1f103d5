import { assertNever } from '../core/decider.js';
import type { SignInMethod, UserEvent, UserGrant } from './user.events.js';

export interface SignInCode {
  readonly codeId: string;
  readonly codeHash: string;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

export interface Session {
  readonly sessionId: string;
  readonly method: SignInMethod;
  readonly startedAt: string;
  readonly expiresAt: string;
  readonly endedAt: string | null;
}

interface UserDetails extends UserGrant {
  readonly userId: string;
  readonly displayName: string | null;
  readonly invitedBy: string | null;
  readonly invitedAt: string | null;
  /** Codes not expired and sessions not ended, as of the stream's last event (older ones are history only). */
  readonly codes: readonly SignInCode[];
  readonly sessions: readonly Session[];
  readonly lastSignInAt: string | null;
}

export type UserState =
  | { readonly status: 'none' }
  | ({ readonly status: 'active' } & UserDetails)
  | ({ readonly status: 'revoked'; readonly revokedAt: string; readonly revokedBy: string } & UserDetails);

export type ExistingUser = Exclude<UserState, { status: 'none' }>;

export const initialUserState: UserState = { status: 'none' };

/** Codes and sessions that can still matter at `at`: expired codes (used ones are kept to say so) and ended or expired sessions are dropped. */
function current(state: ExistingUser, at: string): Pick<UserDetails, 'codes' | 'sessions'> {
  return {
    codes: state.codes.filter((code) => code.expiresAt > at),
    sessions: state.sessions.filter((session) => session.endedAt === null && session.expiresAt > at),
  };
}

export function evolveUser(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserInvited' || event.type === 'ProviderAccessGranted') {
    const { userId, role, institutionId, networkId, displayName } = event.data;
    const at = event.type === 'UserInvited' ? event.data.invitedAt : event.data.at;
    // Granted again (a new role, or after a revocation): the grant is the new one; a revocation's ended sessions stay ended.
    const kept = state.status === 'active' ? current(state, at) : { codes: [], sessions: [] };
    return {
      status: 'active', userId, role, institutionId, networkId, displayName,
      invitedBy: event.type === 'UserInvited' ? event.data.invitedBy : state.status === 'none' ? null : state.invitedBy,
      invitedAt: event.type === 'UserInvited' ? event.data.invitedAt : state.status === 'none' ? null : state.invitedAt,
      ...kept,
      lastSignInAt: state.status === 'none' ? null : state.lastSignInAt,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'SignInCodeIssued': {
      const { codeId, codeHash, issuedAt, expiresAt } = event.data;
      return { ...state, ...current(state, issuedAt), codes: [...current(state, issuedAt).codes, { codeId, codeHash, expiresAt, usedAt: null }] };
    }
    case 'SignedIn': {
      const { sessionId, method, codeId, at, expiresAt } = event.data;
      const codes = state.codes.map((code) => (code.codeId === codeId ? { ...code, usedAt: at } : code));
      const live = current({ ...state, codes }, at);
      return { ...state, ...live, sessions: [...live.sessions, { sessionId, method, startedAt: at, expiresAt, endedAt: null }], lastSignInAt: at };
    }
    case 'SignedOut':
      return { ...state, sessions: state.sessions.filter((session) => session.sessionId !== event.data.sessionId) };
    case 'UserAccessRevoked':
      return { ...state, status: 'revoked', revokedAt: event.data.at, revokedBy: event.data.revokedBy, codes: [], sessions: [] };
    default:
      return assertNever(event);
  }
}
