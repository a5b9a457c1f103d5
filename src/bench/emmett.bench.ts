/**
 * The peer: Emmett's `DeciderCommandHandler` over its SQLite event store, running the case decider. Emmett is
 * installed apart from the service, in bench/emmett (`npm ci --prefix bench/emmett`: its peers, commander 12
 * and uuid 10, conflict with the service's, and its store needs the native `sqlite3` module), and loaded from
 * there at run time, so a missing or broken install is reported in the output instead of failing the bench.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caseDecider, type CaseCommand } from '../cases/case.decider.js';
import { caseStreamId, type CaseEvent } from '../cases/case.events.js';
import type { CaseState } from '../cases/case.state.js';

/** Each of the two runs stops after this long, done or not: a peer that stalls must not stall the bench. */
const TIME_LIMIT_MS = 10_000;

export const EMMETT_DIR = fileURLToPath(new URL('../../bench/emmett/', import.meta.url));

export type EmmettFigures =
  | {
    readonly ran: true; readonly version: string; readonly serialPerSecond: number; readonly serialFailures: number;
    readonly concurrentPerSecond: number; readonly concurrentFailures: number; readonly firstFailure: string | null;
    /** Lines Emmett logged meanwhile (the SQLite errors it prints with console.log). */
    readonly errorsLogged: number;
  }
  | { readonly ran: false; readonly reason: string };

/** What this bench uses of Emmett's API (0.38). */
interface EmmettStore {
  appendToStream(streamName: string, events: readonly CaseEvent[]): Promise<unknown>;
}
interface EmmettCore {
  DeciderCommandHandler<State, Command, Event>(options: {
    decide: (command: Command, state: State) => Event[];
    evolve: (state: State, event: Event) => State;
    initialState: () => State;
  }): (store: EmmettStore, id: string, command: Command) => Promise<unknown>;
}
interface EmmettSqlite {
  getSQLiteEventStore(options: { fileName: string; schema: { autoMigration: 'CreateOrUpdate' } }): EmmettStore;
}

type EmmettCommand = { readonly type: 'CaseCommand'; readonly data: CaseCommand };

export async function emmettAppends(
  dir: string,
  commands: number,
  inFlight: number,
  make: { openCase: (caseId: string) => CaseEvent; addNote: (caseId: string) => CaseCommand },
): Promise<EmmettFigures> {
  let core: EmmettCore;
  let sqlite: EmmettSqlite;
  let version: string;
  try {
    if (!existsSync(join(EMMETT_DIR, 'node_modules'))) throw new Error(`not installed in ${EMMETT_DIR} (npm ci --prefix bench/emmett)`);
    const require = createRequire(join(EMMETT_DIR, 'package.json'));
    version = (JSON.parse(readFileSync(join(EMMETT_DIR, 'node_modules/@event-driven-io/emmett-sqlite/package.json'), 'utf8')) as { version: string }).version;
    core = (await import(pathToFileURL(require.resolve('@event-driven-io/emmett')).href)) as EmmettCore;
    sqlite = (await import(pathToFileURL(require.resolve('@event-driven-io/emmett-sqlite')).href)) as EmmettSqlite;
  } catch (error) {
    return { ran: false, reason: `Emmett could not be loaded on Node ${process.versions.node}: ${firstLine(error)}` };
  }
  const handle = core.DeciderCommandHandler<CaseState, EmmettCommand, CaseEvent>({
    decide: (command, state) => caseDecider.decide(command.data, state) as CaseEvent[],
    evolve: (state, event) => caseDecider.evolve(state, event),
    initialState: () => caseDecider.initialState,
  });
  /** Up to `commands` commands, `workers` at a time, for at most TIME_LIMIT_MS; what Emmett logs is counted, not printed. */
  const run = async (file: string, workers: number) => {
    const store = sqlite.getSQLiteEventStore({ fileName: file, schema: { autoMigration: 'CreateOrUpdate' } });
    const cases = Array.from({ length: workers }, (_, n) => `case-${n}`);
    let done = 0;
    let failures = 0;
    let firstFailure: string | null = null;
    const failed = (error: unknown) => {
      failures++;
      firstFailure ??= firstLine(error);
    };
    const { log, error: logError } = console;
    let logged = 0;
    console.log = console.error = () => void logged++;
    let started = performance.now();
    try {
      for (const caseId of cases) await store.appendToStream(caseStreamId(caseId), [make.openCase(caseId)]).catch(failed);
      started = performance.now();
      await Promise.all(cases.map(async (caseId, worker) => {
        for (let n = worker; n < commands && performance.now() - started < TIME_LIMIT_MS; n += workers) {
          try {
            await handle(store, caseStreamId(caseId), { type: 'CaseCommand', data: make.addNote(caseId) });
            done++;
          } catch (error) {
            failed(error);
          }
        }
      }));
    } finally {
      Object.assign(console, { log, error: logError });
    }
    return { perSecond: done / ((performance.now() - started) / 1000), failures, firstFailure, logged };
  };
  try {
    const serial = await run(join(dir, 'emmett-serial.db'), 1);
    const concurrent = await run(join(dir, 'emmett-concurrent.db'), inFlight);
    return {
      ran: true, version, serialPerSecond: serial.perSecond, serialFailures: serial.failures,
      concurrentPerSecond: concurrent.perSecond, concurrentFailures: concurrent.failures, firstFailure: concurrent.firstFailure,
      errorsLogged: serial.logged + concurrent.logged,
    };
  } catch (error) {
    return { ran: false, reason: `Emmett ${version} failed: ${firstLine(error)}` };
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0]!.slice(0, 200);
}
