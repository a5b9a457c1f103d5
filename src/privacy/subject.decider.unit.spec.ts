/** Erasure as a decision: dinsos only, and once. */
import { given } from '../core/testing/given-when-then.js';
import type { Actor } from '../core/actor.js';
import { ConflictError, ForbiddenError } from '../core/domain-error.js';
import { subjectDecider, type EraseSubjectDataCommand } from './subject.decider.js';
import type { SubjectEvent } from './subject.events.js';

const dinsos: Actor = { userId: 'd1', role: 'dinsos' };
const AT = '2026-11-02T08:00:00.000Z';
const erase = (actor: Actor = dinsos): EraseSubjectDataCommand => ({ type: 'EraseSubjectData', subjectId: 's1', actor, at: AT, reason: 'PDP request 12/2026' });
const erased: SubjectEvent = { type: 'SubjectDataErased', data: { subjectId: 's1', erasedAt: AT, reason: 'PDP request 12/2026' } };

describe('subject decider', () => {
  it('records the erasure asked by dinsos', () => {
    given(subjectDecider).when(erase()).then([erased]);
  });

  const others: Readonly<Record<Exclude<Actor['role'], 'dinsos'>, Actor>> = {
    caseworker: { userId: 'x', role: 'caseworker', institutionId: 'rw-1' },
    coordinator: { userId: 'x', role: 'coordinator', networkId: 'n1' },
    auditor: { userId: 'x', role: 'auditor' },
    analyst: { userId: 'x', role: 'analyst' },
    admin: { userId: 'x', role: 'admin' },
    system: { userId: 'x', role: 'system' },
  };
  it.each(['caseworker', 'coordinator', 'auditor', 'analyst', 'admin', 'system'] as const)('refuses the %s role', (role) => {
    given(subjectDecider).when(erase(others[role])).thenThrows(ForbiddenError);
  });

  it('refuses a second erasure, naming the first', () => {
    given(subjectDecider, [erased]).when(erase()).thenThrows(ConflictError, /already erased at 2026-11-02/);
  });
});
