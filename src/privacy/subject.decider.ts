/** Erasure of a subject's data (crypto-shredding): by dinsos, once; a second request is refused (409). */
import type { Actor } from '../core/actor.js';
import { assertNever, type Decider } from '../core/decider.js';
import { ConflictError, ForbiddenError } from '../core/domain-error.js';
import type { SubjectEvent } from './subject.events.js';

export interface EraseSubjectDataCommand {
  readonly type: 'EraseSubjectData';
  readonly subjectId: string;
  readonly actor: Actor;
  readonly at: string;
  readonly reason: string;
}

export interface SubjectState {
  /** When the subject's data was erased, or null. */
  readonly erasedAt: string | null;
}

function decide(command: EraseSubjectDataCommand, state: SubjectState): SubjectEvent[] {
  if (command.actor.role !== 'dinsos') throw new ForbiddenError('Only dinsos erases a subject\'s data');
  if (state.erasedAt !== null) throw new ConflictError(`The data of subject ${command.subjectId} was already erased at ${state.erasedAt}`);
  return [{ type: 'SubjectDataErased', data: { subjectId: command.subjectId, erasedAt: command.at, reason: command.reason } }];
}

function evolve(state: SubjectState, event: SubjectEvent): SubjectState {
  switch (event.type) {
    case 'SubjectDataErased':
      return { erasedAt: state.erasedAt ?? event.data.erasedAt };
    default:
      return assertNever(event.type);
  }
}

export const subjectDecider: Decider<EraseSubjectDataCommand, SubjectEvent, SubjectState> = { initialState: { erasedAt: null }, decide, evolve };
