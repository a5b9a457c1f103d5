/**
 * The command path decides on the fold a request's policy check already read (and this process's own
 * appends since) instead of reading the stream again; these are the guarantees that must survive that:
 * another process's write in between is never overlooked, the hash chain and revisions stay whole, and
 * idempotent replays find a command however long the stream has grown since.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import type { Actor } from './actor.js';
import { CommandHandling, type CommandContext } from './command-handling.js';
import type { Decider, DomainEvent } from './decider.js';
import { ConflictError, InvalidCommandError } from './domain-error.js';
import { findChainBreak } from './event-envelope.js';

type TallyEvent = DomainEvent<'Counted', { readonly by: number }> | DomainEvent<'Closed', Record<string, never>>;
type TallyCommand = { readonly type: 'Count'; readonly by: number } | { readonly type: 'Close' };
interface Tally {
  readonly total: number;
  readonly closed: boolean;
}

const tally: Decider<TallyCommand, TallyEvent, Tally> = {
  initialState: { total: 0, closed: false },
  decide(command, state) {
    if (state.closed) throw new ConflictError('The tally is closed');
    return command.type === 'Count' ? [{ type: 'Counted', data: { by: command.by } }] : [{ type: 'Closed', data: {} }];
  },
  evolve: (state, event) => (event.type === 'Counted' ? { ...state, total: state.total + event.data.by } : { ...state, closed: true }),
};

const actor: Actor = { userId: 'u', role: 'admin' };
let commands = 0;
function context(overrides: Partial<CommandContext> = {}): CommandContext {
  const commandId = `command-${++commands}`;
  return {
    commandId, requestHash: 'hash', actor, occurredAt: '2026-01-01T00:00:00.000Z', correlationId: commandId, causationId: commandId,
    expectedRevision: null, ...overrides,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rujukan-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let file = 0;

/** Two processes' command paths over one log file, each with its own store connection and folds. */
function twoProcesses() {
  const path = join(dir, `log-${file++}.sqlite`);
  const stores = [new SqliteEventStore(path), new SqliteEventStore(path)];
  return { here: new CommandHandling(stores[0]!), there: new CommandHandling(stores[1]!), store: stores[0]!, close: () => Promise.all(stores.map((store) => store.close())) };
}

describe('CommandHandling', () => {
  it('decides again on the stream as stored when another process wrote after the fold the request read', async () => {
    const { here, there, store, close } = twoProcesses();
    try {
      await here.run(tally, 'tally-1', (): TallyCommand => ({ type: 'Count', by: 1 }), context());
      const arrived = performance.now();
      await here.load(tally, 'tally-1');
      await there.run(tally, 'tally-1', (): TallyCommand => ({ type: 'Close' }), context());
      await expect(here.run(tally, 'tally-1', (): TallyCommand => ({ type: 'Count', by: 5 }), context({ freshSince: arrived }))).rejects.toBeInstanceOf(ConflictError);
      const stored = [];
      for await (const event of store.readStream('tally-1')) stored.push(event.type);
      expect(stored).toEqual(['Counted', 'Closed']);
    } finally {
      await close();
    }
  });

  it('keeps revisions and the hash chain whole over its own appends, without reading them back', async () => {
    const { here, store, close } = twoProcesses();
    try {
      const arrived = performance.now();
      await here.load(tally, 'tally-2');
      const outcomes = [];
      for (let n = 1; n <= 5; n++) outcomes.push(await here.run(tally, 'tally-2', (): TallyCommand => ({ type: 'Count', by: n }), context({ freshSince: arrived })));
      expect(outcomes.map((outcome) => outcome.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
      const stored = [];
      for await (const event of store.readStream('tally-2')) stored.push(event);
      expect(findChainBreak(stored)).toBeNull();
      expect((await new CommandHandling(store).load(tally, 'tally-2')).state).toEqual({ total: 15, closed: false });
    } finally {
      await close();
    }
  });

  it('replays a command however many commands came after it, in this process or another, and refuses its key for another request', async () => {
    const { here, there, close } = twoProcesses();
    try {
      const first = context();
      const original = await here.run(tally, 'tally-3', (): TallyCommand => ({ type: 'Count', by: 7 }), first);
      for (let n = 0; n < 20; n++) await (n % 2 ? here : there).run(tally, 'tally-3', (): TallyCommand => ({ type: 'Count', by: 1 }), context());
      for (const process of [here, there]) {
        const retry = await process.run(tally, 'tally-3', (): TallyCommand => ({ type: 'Count', by: 7 }), { ...first, freshSince: performance.now() });
        expect(retry).toEqual({ ...original, replayed: true });
      }
      await expect(here.run(tally, 'tally-3', (): TallyCommand => ({ type: 'Count', by: 8 }), { ...first, requestHash: 'other' })).rejects.toBeInstanceOf(InvalidCommandError);
      expect((await there.load(tally, 'tally-3')).state.total).toBe(27);
    } finally {
      await close();
    }
  });

  it('replays exactly the events a command of several events produced, with other commands before and after it', async () => {
    const { here, there, close } = twoProcesses();
    // Counts in steps: one command, one event per step.
    const steps: Decider<{ readonly steps: readonly number[] }, TallyEvent, Tally> = {
      initialState: tally.initialState,
      decide: (command) => command.steps.map((by) => ({ type: 'Counted', data: { by } })),
      evolve: tally.evolve,
    };
    try {
      await here.run(steps, 'tally-4', () => ({ steps: [1, 2] }), context());
      const first = context();
      const original = await here.run(steps, 'tally-4', () => ({ steps: [3, 4, 5] }), first);
      expect(original.events).toHaveLength(3);
      await there.run(steps, 'tally-4', () => ({ steps: [6] }), context());
      for (const process of [here, there]) {
        const retry = await process.run(steps, 'tally-4', () => ({ steps: [9] }), first);
        expect(retry).toEqual({ ...original, replayed: true });
      }
    } finally {
      await close();
    }
  });
});
