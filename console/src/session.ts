/** Who is signed in, for every screen: the session as `GET /api/v1/auth/session` describes it. */
import { createContext, useContext } from 'react';
import type { Session } from './api/types';

export interface SessionContextValue {
  readonly session: Session;
  readonly signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in console');
  return value;
}
