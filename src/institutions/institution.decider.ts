import type { Actor } from '../core/actor.js';
import type { Decider } from '../core/decider.js';
import { assertNever } from '../core/decider.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/domain-error.js';
import type { InstitutionEvent, InstitutionProfile, InstitutionScope } from './institution.events.js';
import { evolveInstitution, initialInstitutionState, type InstitutionState } from './institution.state.js';

interface Base {
  readonly institutionId: string;
  readonly actor: Actor;
  readonly at: string;
}

export type InstitutionCommand =
  | (Base & { readonly type: 'RegisterInstitution' } & InstitutionProfile)
  | (Base & { readonly type: 'RenameInstitution'; readonly name: string })
  | (Base & { readonly type: 'ChangeInstitutionServices'; readonly categoriesServed: readonly string[]; readonly capacity: number | null })
  | (Base & { readonly type: 'SuspendInstitution'; readonly reason: string })
  | (Base & { readonly type: 'ReactivateInstitution' });

/** Admins manage every institution; dinsos registers and manages the city-wide providers. */
export function mayManageInstitution(actor: Actor, scope: InstitutionScope): boolean {
  return actor.role === 'admin' || (actor.role === 'dinsos' && scope === 'city');
}

const NOT_YOURS = 'Dinsos manages city-wide providers; an admin manages the institutions of a network';

function decide(command: InstitutionCommand, state: InstitutionState): InstitutionEvent[] {
  const { institutionId } = command;
  if (command.type === 'RegisterInstitution') {
    if (!mayManageInstitution(command.actor, command.scope)) throw new ForbiddenError(NOT_YOURS, 'scope');
    if (state.status !== 'unregistered') throw new ConflictError(`Institution ${institutionId} is already registered`, 'id');
    const { name, kind, regionCode, scope, categoriesServed, capacity } = command;
    return [{ type: 'InstitutionRegistered', data: { institutionId, name, kind, regionCode, scope, categoriesServed, capacity } }];
  }
  if (state.status === 'unregistered') throw new NotFoundError(`Institution ${institutionId} is not registered`);
  if (!mayManageInstitution(command.actor, state.scope)) throw new ForbiddenError(NOT_YOURS);
  switch (command.type) {
    case 'RenameInstitution':
      return state.name === command.name ? [] : [{ type: 'InstitutionRenamed', data: { institutionId, name: command.name } }];
    case 'ChangeInstitutionServices':
      return [{
        type: 'InstitutionServicesChanged',
        data: { institutionId, categoriesServed: command.categoriesServed, capacity: command.capacity },
      }];
    case 'SuspendInstitution':
      if (state.status === 'suspended') throw new ConflictError(`Institution ${institutionId} is already suspended`);
      return [{ type: 'InstitutionSuspended', data: { institutionId, reason: command.reason } }];
    case 'ReactivateInstitution':
      if (state.status === 'active') throw new ConflictError(`Institution ${institutionId} is not suspended`);
      return [{ type: 'InstitutionReactivated', data: { institutionId } }];
    default:
      return assertNever(command);
  }
}

export const institutionDecider: Decider<InstitutionCommand, InstitutionEvent, InstitutionState> = {
  initialState: initialInstitutionState,
  decide,
  evolve: evolveInstitution,
};
