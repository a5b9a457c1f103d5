import type { DomainEvent } from '../core/decider.js';

export const INSTITUTION_KINDS = [
  'rt', 'rw', 'pkk', 'karang_taruna', 'posyandu', 'majelis_taklim', 'lks', 'psm', 'tksk', 'puskesos',
  'dinsos', 'puskesmas', 'rsud', 'school', 'dukcapil', 'other',
] as const;
export type InstitutionKind = (typeof INSTITUTION_KINDS)[number];

/** `network`: a KPS member of one WKSBM; `city`: a city-wide provider that serves every network. */
export const INSTITUTION_SCOPES = ['network', 'city'] as const;
export type InstitutionScope = (typeof INSTITUTION_SCOPES)[number];

export const INSTITUTION_STREAM_PREFIX = 'institution-';
export const institutionStreamId = (institutionId: string): string => `${INSTITUTION_STREAM_PREFIX}${institutionId}`;

/** What an institution is registered with. */
export interface InstitutionProfile {
  readonly name: string;
  readonly kind: InstitutionKind;
  readonly regionCode: string;
  readonly scope: InstitutionScope;
  readonly categoriesServed: readonly string[];
  readonly capacity: number | null;
}

export type InstitutionEvent =
  | DomainEvent<'InstitutionRegistered', { readonly institutionId: string } & InstitutionProfile>
  | DomainEvent<'InstitutionRenamed', { readonly institutionId: string; readonly name: string }>
  | DomainEvent<'InstitutionServicesChanged', {
      readonly institutionId: string;
      readonly categoriesServed: readonly string[];
      readonly capacity: number | null;
    }>
  | DomainEvent<'InstitutionSuspended', { readonly institutionId: string; readonly reason: string }>
  | DomainEvent<'InstitutionReactivated', { readonly institutionId: string }>;
