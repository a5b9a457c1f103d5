/**
 * Every action of the console goes through `useCommand`: it sends an `Idempotency-Key` that is kept (in
 * sessionStorage, so a reload keeps it too) until the action succeeds, so pressing "send" again after a lost
 * connection replays the first answer instead of doing it twice; it sends `If-Match` with the revision the
 * screen shows, and turns the answer into what the form shows: the problem's fields next to their inputs, a
 * stale-revision notice (412), or a lost-connection notice.
 */
import { useCallback, useState } from 'react';
import { isProblem, type Problem } from './client';

export interface CommandState {
  readonly pending: boolean;
  readonly problem: Problem | null;
  /** The request may or may not have reached the server: sending again is safe. */
  readonly lostConnection: boolean;
}

const IDLE: CommandState = { pending: false, problem: null, lostConnection: false };
const storageKey = (action: string) => `rujukan.idempotency.${action}`;

function keyFor(action: string): string {
  const stored = sessionStorage.getItem(storageKey(action));
  if (stored) return stored;
  const key = crypto.randomUUID();
  sessionStorage.setItem(storageKey(action), key);
  return key;
}

export interface Sent<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly response: Response;
}

/** `Idempotency-Key`, and `If-Match` when the screen knows the revision it shows. */
export type CommandHeaders = Record<string, string>;

/**
 * `action` names one intended change (e.g. `accept:<referralId>`): the same name reuses the same key until
 * it succeeds. `run(send, revision)` calls `send` with the headers and resolves to the answer's data, or
 * null when it failed (the state says why).
 */
export function useCommand(action: string) {
  const [state, setState] = useState<CommandState>(IDLE);

  const run = useCallback(async <T,>(send: (headers: CommandHeaders) => Promise<Sent<T>>, revision?: string): Promise<T | null> => {
    setState({ pending: true, problem: null, lostConnection: false });
    const headers: CommandHeaders = { 'Idempotency-Key': keyFor(action), ...(revision !== undefined ? { 'If-Match': `"${revision}"` } : {}) };
    let sent: Sent<T>;
    try {
      sent = await send(headers);
    } catch {
      setState({ pending: false, problem: null, lostConnection: true });
      return null;
    }
    if (sent.response.ok && sent.data !== undefined) {
      sessionStorage.removeItem(storageKey(action));
      setState(IDLE);
      return sent.data;
    }
    const problem: Problem = isProblem(sent.error) ? sent.error : { status: sent.response.status, detail: sent.response.statusText };
    // The key stays: a refused request changed nothing, and one that failed late may have changed something,
    // so the next attempt (corrected or not) must be the same command.
    setState({ pending: false, problem, lostConnection: false });
    return null;
  }, [action]);

  const reset = useCallback(() => setState(IDLE), []);
  return { ...state, run, reset };
}

/** The messages a problem has for one field (or any field under it, e.g. `subject` for `subject.nik`). */
export function fieldErrors(problem: Problem | null, field: string): string[] {
  return (problem?.errors ?? []).filter((error) => error.field === field || error.field.startsWith(`${field}.`)).map((error) => error.message);
}
