import type { DomainEvent } from '../core/decider.js';

export const NETWORK_STREAM_PREFIX = 'network-';
export const networkStreamId = (networkId: string): string => `${NETWORK_STREAM_PREFIX}${networkId}`;

export type NetworkEvent =
  | DomainEvent<'NetworkRegistered', { readonly networkId: string; readonly name: string; readonly regionCode: string }>
  | DomainEvent<'InstitutionJoinedNetwork', { readonly networkId: string; readonly institutionId: string }>
  | DomainEvent<'InstitutionLeftNetwork', { readonly networkId: string; readonly institutionId: string }>
  | DomainEvent<'CoordinatorAssigned', { readonly networkId: string; readonly userId: string }>;
