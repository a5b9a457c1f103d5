/** People's names by user id, for those who may read the people list (admins, auditors): histories name their actors by id. */
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../session';
import { api, read } from './client';
import type { User } from './types';

async function allUsers(): Promise<User[]> {
  const items: User[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(api.GET('/api/v1/users', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < 5_000);
  return items;
}

/** A function naming a user by id: their display name where known (and readable), else the id. */
export function useUserName(): (userId: string) => string {
  const { session } = useSession();
  const { data } = useQuery({ queryKey: ['users', 'names'], queryFn: allUsers, staleTime: 5 * 60_000, enabled: session.role === 'admin' || session.role === 'auditor' });
  return (userId) => data?.find((user) => user.userId === userId)?.displayName ?? userId;
}
