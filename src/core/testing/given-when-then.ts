/**
 * Given / when / then for deciders: fold the given events, decide the command, and assert the events it
 * produces or the domain error it throws. For specs only: the build leaves src/core/testing/ out, and the
 * dependency rules keep the service from importing it.
 */
import { fold, type Decider } from '../decider.js';

type ErrorClass = abstract new (...args: never[]) => Error;
/** A RegExp matches the message; an object may name the error's `field` and match its message. */
export type ErrorExpectation = RegExp | { readonly field?: string; readonly message?: RegExp };

export function given<Command, Event, State>(decider: Decider<Command, Event, State>, events: readonly Event[] = []) {
  const state = fold(decider, events);
  return {
    when(command: Command) {
      const decide = (): readonly Event[] => decider.decide(command, state);
      return {
        then(expected: readonly Event[]): void {
          expect(decide()).toEqual(expected);
        },
        thenNothing(): void {
          expect(decide()).toEqual([]);
        },
        thenThrows(type: ErrorClass, expectation?: ErrorExpectation): void {
          let produced: readonly Event[];
          try {
            produced = decide();
          } catch (error) {
            expect(error).toBeInstanceOf(type);
            const { field, message } = expectation instanceof RegExp ? { field: undefined, message: expectation } : (expectation ?? {});
            if (message !== undefined) expect((error as Error).message).toMatch(message);
            if (field !== undefined) expect((error as { field?: string }).field).toBe(field);
            return;
          }
          throw new Error(`Expected ${type.name} but decide returned ${JSON.stringify(produced)}`);
        },
      };
    },
  };
}
