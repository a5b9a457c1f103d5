import type { Actor } from '../core/actor.js';
import type { Decider } from '../core/decider.js';
import { assertNever } from '../core/decider.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import type { NetworkEvent } from './network.events.js';
import { evolveNetwork, initialNetworkState, type NetworkState } from './network.state.js';

interface Base {
  readonly networkId: string;
  readonly actor: Actor;
  readonly at: string;
}

export type NetworkCommand =
  | (Base & { readonly type: 'RegisterNetwork'; readonly name: string; readonly regionCode: string })
  /** `institution` is the member-to-be as the institution stream shows it now. */
  | (Base & { readonly type: 'AddMember'; readonly institutionId: string; readonly institution: InstitutionState })
  | (Base & { readonly type: 'RemoveMember'; readonly institutionId: string })
  | (Base & { readonly type: 'AssignCoordinator'; readonly userId: string });

/** Admins and dinsos manage every network; a coordinator only their own (also the HTTP policy's rule). */
export function mayManageNetwork(actor: Actor, networkId: string): boolean {
  return actor.role === 'admin' || actor.role === 'dinsos' || (actor.role === 'coordinator' && actor.networkId === networkId);
}

function decide(command: NetworkCommand, state: NetworkState): NetworkEvent[] {
  const { networkId } = command;
  if (command.type === 'RegisterNetwork') {
    if (state.status !== 'unregistered') throw new ConflictError(`Network ${networkId} is already registered`, 'id');
    return [{ type: 'NetworkRegistered', data: { networkId, name: command.name, regionCode: command.regionCode } }];
  }
  if (state.status === 'unregistered') throw new NotFoundError(`Network ${networkId} is not registered`);
  if (!mayManageNetwork(command.actor, networkId)) throw new ForbiddenError(`You may not manage network ${networkId}`);
  switch (command.type) {
    case 'AddMember': {
      const { institutionId, institution } = command;
      if (institution.status === 'unregistered') throw new InvalidCommandError(`Institution ${institutionId} is not registered`, 'institutionId');
      if (institution.scope === 'city') {
        throw new InvalidCommandError(`Institution ${institutionId} is a city-wide provider: it serves every network without joining`, 'institutionId');
      }
      if (state.memberIds.includes(institutionId)) throw new ConflictError(`Institution ${institutionId} is already a member`);
      return [{ type: 'InstitutionJoinedNetwork', data: { networkId, institutionId } }];
    }
    case 'RemoveMember':
      if (!state.memberIds.includes(command.institutionId)) throw new NotFoundError(`Institution ${command.institutionId} is not a member`);
      return [{ type: 'InstitutionLeftNetwork', data: { networkId, institutionId: command.institutionId } }];
    case 'AssignCoordinator':
      if (command.actor.role === 'coordinator') throw new ForbiddenError('Only admin or dinsos assign coordinators');
      if (state.coordinatorUserIds.includes(command.userId)) return [];
      return [{ type: 'CoordinatorAssigned', data: { networkId, userId: command.userId } }];
    default:
      return assertNever(command);
  }
}

export const networkDecider: Decider<NetworkCommand, NetworkEvent, NetworkState> = {
  initialState: initialNetworkState,
  decide,
  evolve: evolveNetwork,
};
