import { assertNever } from '../core/decider.js';
import type { NetworkEvent } from './network.events.js';

export type NetworkState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly id: string;
      readonly name: string;
      readonly regionCode: string;
      readonly memberIds: readonly string[];
      readonly coordinatorUserIds: readonly string[];
    };

export const initialNetworkState: NetworkState = { status: 'unregistered' };

export function evolveNetwork(state: NetworkState, event: NetworkEvent): NetworkState {
  if (event.type === 'NetworkRegistered') {
    const { networkId, name, regionCode } = event.data;
    return { status: 'registered', id: networkId, name, regionCode, memberIds: [], coordinatorUserIds: [] };
  }
  if (state.status === 'unregistered') return state;
  switch (event.type) {
    case 'InstitutionJoinedNetwork':
      return { ...state, memberIds: [...state.memberIds, event.data.institutionId] };
    case 'InstitutionLeftNetwork':
      return { ...state, memberIds: state.memberIds.filter((id) => id !== event.data.institutionId) };
    case 'CoordinatorAssigned':
      return { ...state, coordinatorUserIds: [...state.coordinatorUserIds, event.data.userId] };
    default:
      return assertNever(event);
  }
}
