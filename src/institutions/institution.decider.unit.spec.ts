import { given } from '../core/testing/given-when-then.js';
import type { Actor } from '../core/actor.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/domain-error.js';
import { institutionDecider, type InstitutionCommand } from './institution.decider.js';
import type { InstitutionEvent } from './institution.events.js';

const ID = 'inst-pkk-jurangombo';
const AT = '2024-03-01T08:00:00.000Z';
const admin: Actor = { userId: 'admin-1', role: 'admin' };
const dinsos: Actor = { userId: 'dinsos-1', role: 'dinsos' };

const registered: InstitutionEvent = {
  type: 'InstitutionRegistered',
  data: {
    institutionId: ID, name: 'PKK Jurangombo Utara', kind: 'pkk', regionCode: '33.71.01.1008', scope: 'network',
    categoriesServed: ['fakir_miskin'], capacity: 10,
  },
};
const suspended: InstitutionEvent = { type: 'InstitutionSuspended', data: { institutionId: ID, reason: 'audit' } };
const reactivated: InstitutionEvent = { type: 'InstitutionReactivated', data: { institutionId: ID } };

const base = { institutionId: ID, actor: admin, at: AT };
const register: InstitutionCommand = {
  ...base, type: 'RegisterInstitution', name: 'PKK Jurangombo Utara', kind: 'pkk', regionCode: '33.71.01.1008', scope: 'network',
  categoriesServed: ['fakir_miskin'], capacity: 10,
};
const rename = (name: string): InstitutionCommand => ({ ...base, type: 'RenameInstitution', name });
const changeServices: InstitutionCommand = { ...base, type: 'ChangeInstitutionServices', categoriesServed: ['lanjut_usia_terlantar'], capacity: null };
const suspend: InstitutionCommand = { ...base, type: 'SuspendInstitution', reason: 'audit' };
const reactivate: InstitutionCommand = { ...base, type: 'ReactivateInstitution' };

const institution = (events: readonly InstitutionEvent[]) => given(institutionDecider, events);

describe('institution decider', () => {
  describe('RegisterInstitution', () => {
    it('registers a new institution with its details', () => {
      institution([]).when(register).then([registered]);
    });

    it('refuses to register the same id twice', () => {
      institution([registered]).when(register).thenThrows(ConflictError, { field: 'id' });
    });

    it('refuses to register a suspended institution again', () => {
      institution([registered, suspended]).when(register).thenThrows(ConflictError, { field: 'id' });
    });
  });

  describe('dinsos (registers networks and city-wide providers)', () => {
    const cityWide: InstitutionEvent = { type: 'InstitutionRegistered', data: { ...registered.data, scope: 'city' } };

    it('registers and manages a city-wide provider', () => {
      institution([]).when({ ...register, scope: 'city', actor: dinsos }).then([cityWide]);
      institution([cityWide]).when({ ...suspend, actor: dinsos }).then([suspended]);
    });

    it('neither registers nor manages an institution of a network', () => {
      institution([]).when({ ...register, actor: dinsos }).thenThrows(ForbiddenError, { field: 'scope' });
      for (const command of [rename('Baru'), changeServices, suspend]) institution([registered]).when({ ...command, actor: dinsos }).thenThrows(ForbiddenError);
      institution([registered, suspended]).when({ ...reactivate, actor: dinsos }).thenThrows(ForbiddenError);
    });
  });

  describe('commands on an institution that is not registered', () => {
    it.each([
      ['RenameInstitution', rename('Baru')],
      ['ChangeInstitutionServices', changeServices],
      ['SuspendInstitution', suspend],
      ['ReactivateInstitution', reactivate],
    ])('%s is NotFound', (_name, command) => {
      institution([]).when(command).thenThrows(NotFoundError);
    });
  });

  describe('RenameInstitution', () => {
    it('renames', () => {
      institution([registered]).when(rename('PKK Kelurahan Jurangombo Utara'))
        .then([{ type: 'InstitutionRenamed', data: { institutionId: ID, name: 'PKK Kelurahan Jurangombo Utara' } }]);
    });

    it('does nothing when the name is unchanged', () => {
      institution([registered]).when(rename('PKK Jurangombo Utara')).thenNothing();
    });

    it('compares with the latest name', () => {
      const renamed: InstitutionEvent = { type: 'InstitutionRenamed', data: { institutionId: ID, name: 'PKK JU' } };
      institution([registered, renamed]).when(rename('PKK JU')).thenNothing();
    });

    it('renames a suspended institution too', () => {
      institution([registered, suspended]).when(rename('PKK JU'))
        .then([{ type: 'InstitutionRenamed', data: { institutionId: ID, name: 'PKK JU' } }]);
    });
  });

  describe('ChangeInstitutionServices', () => {
    it('records the new categories and capacity', () => {
      institution([registered]).when(changeServices).then([{
        type: 'InstitutionServicesChanged',
        data: { institutionId: ID, categoriesServed: ['lanjut_usia_terlantar'], capacity: null },
      }]);
    });
  });

  describe('SuspendInstitution', () => {
    it('suspends an active institution', () => {
      institution([registered]).when(suspend).then([suspended]);
    });

    it('refuses to suspend twice', () => {
      institution([registered, suspended]).when(suspend).thenThrows(ConflictError);
    });

    it('suspends again after a reactivation', () => {
      institution([registered, suspended, reactivated]).when(suspend).then([suspended]);
    });
  });

  describe('ReactivateInstitution', () => {
    it('reactivates a suspended institution', () => {
      institution([registered, suspended]).when(reactivate).then([reactivated]);
    });

    it('refuses to reactivate an active institution', () => {
      institution([registered]).when(reactivate).thenThrows(ConflictError);
    });

    it('refuses to reactivate twice', () => {
      institution([registered, suspended, reactivated]).when(reactivate).thenThrows(ConflictError);
    });
  });
});
