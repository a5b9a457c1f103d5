/** Reads of one case, and what to read again once an action changed it. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, read } from './client';

export function useCase(caseId: string) {
  return useQuery({ queryKey: ['case', caseId], queryFn: () => read(api.GET('/api/v1/cases/{id}', { params: { path: { id: caseId } } })) });
}

export function useCaseNotes(caseId: string, enabled: boolean) {
  return useQuery({ queryKey: ['notes', caseId], enabled, queryFn: () => read(api.GET('/api/v1/cases/{id}/notes', { params: { path: { id: caseId } } })) });
}

/** Why each step was taken: referral reasons and summaries, the case's escalation, closing and reopening words. */
export function useCaseReasons(caseId: string) {
  return useQuery({ queryKey: ['reasons', caseId], queryFn: () => read(api.GET('/api/v1/cases/{id}/reasons', { params: { path: { id: caseId } } })) });
}

export function useCaseTimeline(caseId: string) {
  return useQuery({
    queryKey: ['timeline', caseId],
    queryFn: () => read(api.GET('/api/v1/cases/{id}/timeline', { params: { path: { id: caseId }, query: { limit: 100 } } })),
  });
}

/** After an action on the case: the case, its notes and history, and every list showing it. */
export function useCaseChanged(caseId: string): () => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback(async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ['case', caseId] }),
      queryClient.invalidateQueries({ queryKey: ['notes', caseId] }),
      queryClient.invalidateQueries({ queryKey: ['reasons', caseId] }),
      queryClient.invalidateQueries({ queryKey: ['timeline', caseId] }),
      queryClient.invalidateQueries({ queryKey: ['box'] }),
      queryClient.invalidateQueries({ queryKey: ['cases'] }),
    ]);
  }, [caseId, queryClient]);
}
