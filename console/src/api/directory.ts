/** The directory and reference data every screen names things with: institutions, networks, PPKS categories, kelurahan. */
import { useQuery } from '@tanstack/react-query';
import { api, read } from './client';
import type { Category, Institution, Region } from './types';

const HOUR = 3_600_000;

async function allInstitutions(): Promise<Institution[]> {
  const items: Institution[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(api.GET('/api/v1/institutions', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

export function useInstitutions() {
  return useQuery({ queryKey: ['institutions'], queryFn: allInstitutions, staleTime: 5 * 60_000 });
}

/** A function naming an institution by id (the id itself until the directory has loaded). */
export function useInstitutionName(): (id: string) => string {
  const { data } = useInstitutions();
  return (id) => data?.find((institution) => institution.id === id)?.name ?? id;
}

export function useCategories() {
  return useQuery({
    queryKey: ['categories'],
    queryFn: async (): Promise<Category[]> => (await read(api.GET('/api/v1/reference/categories'))).items,
    staleTime: HOUR,
  });
}

export function useCategoryName(): (code: string) => string {
  const { data } = useCategories();
  return (code) => data?.find((category) => category.code === code)?.name ?? code;
}

export function useRegions() {
  return useQuery({
    queryKey: ['regions'],
    queryFn: async (): Promise<Region[]> => (await read(api.GET('/api/v1/reference/regions'))).items,
    staleTime: HOUR,
  });
}

export function useNetworks() {
  return useQuery({
    queryKey: ['networks'],
    queryFn: async () => (await read(api.GET('/api/v1/networks', { params: { query: { limit: 100 } } }))).items,
    staleTime: 5 * 60_000,
  });
}
