import { given } from '../core/testing/given-when-then.js';
import type { Actor } from '../core/actor.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import type { InstitutionScope } from '../institutions/institution.events.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import { networkDecider, type NetworkCommand } from './network.decider.js';
import type { NetworkEvent } from './network.events.js';

const NET = 'net-jurangombo';
const OTHER_NET = 'net-rejowinangun';
const MEMBER = 'inst-pkk';
const NEWCOMER = 'inst-lks';
const AT = '2024-03-01T08:00:00.000Z';

const admin: Actor = { userId: 'admin-1', role: 'admin' };
const dinsos: Actor = { userId: 'dinsos-1', role: 'dinsos' };
const coordinator: Actor = { userId: 'coord-1', role: 'coordinator', networkId: NET };
const otherCoordinator: Actor = { userId: 'coord-2', role: 'coordinator', networkId: OTHER_NET };
const caseworker: Actor = { userId: 'cw-1', role: 'caseworker', institutionId: MEMBER };
const auditor: Actor = { userId: 'aud-1', role: 'auditor' };

function institution(id: string, scope: InstitutionScope = 'network', status: 'active' | 'suspended' = 'active'): InstitutionState {
  const details = { id, name: id, kind: scope === 'city' ? 'rsud' : 'lks', regionCode: '33.71.01.1008', scope, categoriesServed: [], capacity: null } as const;
  return status === 'active' ? { status, ...details } : { status, suspendedReason: 'audit', ...details };
}

const registered: NetworkEvent = { type: 'NetworkRegistered', data: { networkId: NET, name: 'WKSBM Jurangombo', regionCode: '33.71.01.1008' } };
const joined = (institutionId: string): NetworkEvent => ({ type: 'InstitutionJoinedNetwork', data: { networkId: NET, institutionId } });
const left = (institutionId: string): NetworkEvent => ({ type: 'InstitutionLeftNetwork', data: { networkId: NET, institutionId } });
const coordinatorAssigned = (userId: string): NetworkEvent => ({ type: 'CoordinatorAssigned', data: { networkId: NET, userId } });

const register = (actor: Actor = dinsos): NetworkCommand =>
  ({ type: 'RegisterNetwork', networkId: NET, actor, at: AT, name: 'WKSBM Jurangombo', regionCode: '33.71.01.1008' });
const addMember = (institutionId: string, actor: Actor = admin, state: InstitutionState = institution(institutionId)): NetworkCommand =>
  ({ type: 'AddMember', networkId: NET, actor, at: AT, institutionId, institution: state });
const removeMember = (institutionId: string, actor: Actor = admin): NetworkCommand =>
  ({ type: 'RemoveMember', networkId: NET, actor, at: AT, institutionId });
const assignCoordinator = (userId: string, actor: Actor = admin): NetworkCommand =>
  ({ type: 'AssignCoordinator', networkId: NET, actor, at: AT, userId });

const network = (events: readonly NetworkEvent[]) => given(networkDecider, events);
const withMember = [registered, joined(MEMBER)];

describe('network decider', () => {
  describe('RegisterNetwork', () => {
    it('registers a WKSBM with its name and region', () => {
      network([]).when(register()).then([registered]);
    });

    it('refuses to register the same id twice', () => {
      network([registered]).when(register()).thenThrows(ConflictError, { field: 'id' });
    });
  });

  describe('commands on a network that is not registered', () => {
    it.each([
      ['AddMember', addMember(NEWCOMER)],
      ['RemoveMember', removeMember(MEMBER)],
      ['AssignCoordinator', assignCoordinator('coord-1')],
    ])('%s is NotFound', (_name, command) => {
      network([]).when(command).thenThrows(NotFoundError);
    });
  });

  describe('AddMember', () => {
    it.each([
      ['admin', admin],
      ['dinsos', dinsos],
      ["the network's own coordinator", coordinator],
    ])('%s adds a registered KPS institution', (_who, actor) => {
      network(withMember).when(addMember(NEWCOMER, actor)).then([joined(NEWCOMER)]);
    });

    it('refuses an institution that is not registered (field institutionId)', () => {
      network(withMember).when(addMember(NEWCOMER, admin, { status: 'unregistered' }))
        .thenThrows(InvalidCommandError, { field: 'institutionId' });
    });

    it('refuses a city-wide provider: it serves every network without joining', () => {
      network(withMember).when(addMember('rsud-tidar', admin, institution('rsud-tidar', 'city')))
        .thenThrows(InvalidCommandError, { field: 'institutionId' });
    });

    it('refuses an institution that is already a member', () => {
      network(withMember).when(addMember(MEMBER)).thenThrows(ConflictError);
    });

    it('lets an institution that left join again', () => {
      network([...withMember, left(MEMBER)]).when(addMember(MEMBER)).then([joined(MEMBER)]);
    });

    it.each([
      ['a coordinator of another network', otherCoordinator],
      ['a caseworker', caseworker],
      ['an auditor', auditor],
    ])('is forbidden to %s', (_who, actor) => {
      network(withMember).when(addMember(NEWCOMER, actor)).thenThrows(ForbiddenError);
    });
  });

  describe('RemoveMember', () => {
    it.each([
      ['admin', admin],
      ['dinsos', dinsos],
      ["the network's own coordinator", coordinator],
    ])('%s removes a member', (_who, actor) => {
      network(withMember).when(removeMember(MEMBER, actor)).then([left(MEMBER)]);
    });

    it('refuses to remove an institution that is not a member', () => {
      network(withMember).when(removeMember(NEWCOMER)).thenThrows(NotFoundError);
    });

    it('refuses to remove a member twice', () => {
      network([...withMember, left(MEMBER)]).when(removeMember(MEMBER)).thenThrows(NotFoundError);
    });

    it.each([
      ['a coordinator of another network', otherCoordinator],
      ['a caseworker', caseworker],
    ])('is forbidden to %s', (_who, actor) => {
      network(withMember).when(removeMember(MEMBER, actor)).thenThrows(ForbiddenError);
    });
  });

  describe('AssignCoordinator', () => {
    it.each([
      ['admin', admin],
      ['dinsos', dinsos],
    ])('%s assigns a coordinator', (_who, actor) => {
      network([registered]).when(assignCoordinator('coord-1', actor)).then([coordinatorAssigned('coord-1')]);
    });

    it('does nothing when the user already coordinates the network', () => {
      network([registered, coordinatorAssigned('coord-1')]).when(assignCoordinator('coord-1')).thenNothing();
    });

    it('assigns a second coordinator', () => {
      network([registered, coordinatorAssigned('coord-1')]).when(assignCoordinator('coord-3')).then([coordinatorAssigned('coord-3')]);
    });

    it("forbids the network's own coordinator to assign coordinators", () => {
      network([registered]).when(assignCoordinator('coord-3', coordinator)).thenThrows(ForbiddenError);
    });

    it('forbids a coordinator of another network', () => {
      network([registered]).when(assignCoordinator('coord-3', otherCoordinator)).thenThrows(ForbiddenError);
    });
  });
});
