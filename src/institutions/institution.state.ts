import { assertNever } from '../core/decider.js';
import type { InstitutionEvent, InstitutionProfile } from './institution.events.js';

export interface InstitutionDetails extends InstitutionProfile {
  readonly id: string;
}

export type InstitutionState =
  | { readonly status: 'unregistered' }
  | ({ readonly status: 'active' } & InstitutionDetails)
  | ({ readonly status: 'suspended'; readonly suspendedReason: string } & InstitutionDetails);

export const initialInstitutionState: InstitutionState = { status: 'unregistered' };

export function evolveInstitution(state: InstitutionState, event: InstitutionEvent): InstitutionState {
  switch (event.type) {
    case 'InstitutionRegistered': {
      const { institutionId, ...details } = event.data;
      return { status: 'active', id: institutionId, ...details };
    }
    case 'InstitutionRenamed':
      return state.status === 'unregistered' ? state : { ...state, name: event.data.name };
    case 'InstitutionServicesChanged':
      return state.status === 'unregistered'
        ? state
        : { ...state, categoriesServed: event.data.categoriesServed, capacity: event.data.capacity };
    case 'InstitutionSuspended':
      return state.status === 'unregistered' ? state : { ...state, status: 'suspended', suspendedReason: event.data.reason };
    case 'InstitutionReactivated': {
      if (state.status !== 'suspended') return state;
      const { suspendedReason: _dropped, ...details } = state;
      return { ...details, status: 'active' };
    }
    default:
      return assertNever(event);
  }
}
