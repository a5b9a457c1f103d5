/**
 * Live referral changes for an institution (`GET /institutions/:id/referral-events`, server-sent events on
 * the session cookie): each change makes the lists that show it read again, at least as far as the change.
 * EventSource reconnects by itself after a lost connection; the stream ends when the session does.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { seePosition } from './client';

export interface LiveState {
  readonly connected: boolean;
  /** How many changes arrived since the screen opened (for a polite announcement). */
  readonly changes: number;
}

export function useReferralEvents(institutionId: string | null): LiveState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>({ connected: false, changes: 0 });
  useEffect(() => {
    if (institutionId === null) return;
    const source = new EventSource(`/api/v1/institutions/${encodeURIComponent(institutionId)}/referral-events`);
    source.addEventListener('ready', () => setState((current) => ({ ...current, connected: true })));
    source.addEventListener('referral', (event) => {
      const change = JSON.parse((event as MessageEvent<string>).data) as { position: string; caseId: string };
      seePosition(change.position);
      void queryClient.invalidateQueries({ queryKey: ['box'] });
      void queryClient.invalidateQueries({ queryKey: ['case', change.caseId] });
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
      setState((current) => ({ connected: true, changes: current.changes + 1 }));
    });
    source.addEventListener('session-ended', () => source.close());
    source.onerror = () => setState((current) => ({ ...current, connected: false }));
    return () => source.close();
  }, [institutionId, queryClient]);
  return state;
}
