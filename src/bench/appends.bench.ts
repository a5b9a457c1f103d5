/**
 * The command path against its store's limit, in one process on temporary files (WAL, synchronous=FULL):
 * - the limit: raw better-sqlite3 inserts of rows the size of a sealed note event, 100 rows a transaction;
 * - `CommandHandling` over `SqliteEventStore` (as the service reads it, through the upcasting decorator):
 *   the case decider adding notes, 100 commands in flight on 100 cases, so group commit can fill its batches;
 * - Emmett (`@event-driven-io/emmett` with `@event-driven-io/emmett-sqlite`) running the same decider,
 *   one command at a time and 50 in flight, reported as it behaves (errors included).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { caseDecider, type CaseCommand } from '../cases/case.decider.js';
import { caseStreamId, type CaseEvent } from '../cases/case.events.js';
import type { Actor } from '../core/actor.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { GENESIS_HASH, sealEvents } from '../core/event-envelope.js';
import { CURRENT_SCHEMA_VERSION, UpcastingEventStore } from '../core/upcasting.js';
import { SERVICE_UPCASTERS } from '../event-catalog.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { emmettAppends, type EmmettFigures } from './emmett.bench.js';
import { format } from './support.js';

export const IN_FLIGHT = 100;
const RAW_BATCH = 100;
const EMMETT_IN_FLIGHT = 50;
const TURNS = 3;
const ACTOR: Actor = { userId: 'bench', role: 'caseworker', institutionId: 'rw-bench' };

export interface AppendFigures {
  readonly rawInsertsPerSecond: number;
  readonly commandPathPerSecond: number;
  readonly emmett: EmmettFigures;
}

export async function benchAppends(options: { commands: number }): Promise<AppendFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'rujukan-bench-appends-'));
  try {
    console.log(`Command path vs its store's limit: SQLite, WAL, synchronous=FULL, ${format(options.commands)} appends each in ${TURNS} turns`);
    // In turns, so a machine busy with other work slows the command path and its limit alike.
    const raw: number[] = [];
    const path: number[] = [];
    for (let turn = 0; turn < TURNS; turn++) {
      raw.push(rawInserts(join(dir, `raw-${turn}.db`), options.commands / TURNS));
      path.push(await commandPath(join(dir, `commands-${turn}.db`), options.commands / TURNS));
    }
    const rawInsertsPerSecond = raw.reduce((sum, rate) => sum + rate, 0) / TURNS;
    const commandPathPerSecond = path.reduce((sum, rate) => sum + rate, 0) / TURNS;
    console.log(`  raw better-sqlite3 inserts, ${RAW_BATCH} rows a transaction   ${format(rawInsertsPerSecond).padStart(7)} rows/s`);
    console.log(`  CommandHandling over SqliteEventStore, ${IN_FLIGHT} in flight ${format(commandPathPerSecond).padStart(7)} commands/s: ${(commandPathPerSecond / rawInsertsPerSecond).toFixed(2)} of raw inserts`);
    const emmett = await emmettAppends(dir, Math.min(options.commands, 2_000), EMMETT_IN_FLIGHT, { openCase: openedEvent, addNote });
    if (emmett.ran) {
      console.log(`  Emmett ${emmett.version} + its SQLite store, same decider, one at a time ${format(emmett.serialPerSecond).padStart(7)} commands/s${emmett.serialFailures ? ` (${emmett.serialFailures} failed)` : ''}`);
      console.log(`  Emmett ${emmett.version}, ${EMMETT_IN_FLIGHT} in flight: ${format(emmett.concurrentPerSecond)} commands/s, ${emmett.concurrentFailures} failed${emmett.firstFailure ? ` (first: ${emmett.firstFailure})` : ''}; ${emmett.errorsLogged} errors logged by Emmett`);
    } else {
      console.log(`  Emmett: not measured: ${emmett.reason}`);
    }
    return { rawInsertsPerSecond, commandPathPerSecond, emmett };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One sealed note event as the command path stores it: the size of a raw row. */
function sampleRow(n: number): [string, number, string, string, string, string, string] {
  const event = sealEvents(GENESIS_HASH, [{ ...noteEvent(n), metadata: metadata(randomUUID(), randomUUID()) }])[0]!;
  return [`case-${n % IN_FLIGHT}`, n, event.metadata.eventId, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), new Date().toISOString()];
}

function rawInserts(file: string, rows: number): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
      event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream_id, revision))`);
    const insert = db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const batch = db.transaction((values: ReturnType<typeof sampleRow>[]) => {
      for (const row of values) insert.run(...row);
    });
    const prepared = Array.from({ length: rows }, (_, n) => sampleRow(n));
    const started = performance.now();
    for (let done = 0; done < rows; done += RAW_BATCH) batch(prepared.slice(done, done + RAW_BATCH));
    return rows / ((performance.now() - started) / 1000);
  } finally {
    db.close();
  }
}

async function commandPath(file: string, commands: number): Promise<number> {
  const stored = new SqliteEventStore(file);
  const store = new UpcastingEventStore(stored, SERVICE_UPCASTERS);
  try {
    for (let n = 0; n < IN_FLIGHT; n++) await openCase(stored, `case-${n}`);
    const handling = new CommandHandling(store);
    const started = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, worker) => {
      const caseId = `case-${worker}`;
      for (let n = worker; n < commands; n += IN_FLIGHT) {
        await handling.run(caseDecider, caseStreamId(caseId), () => addNote(caseId), context());
      }
    }));
    return commands / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

function openedEvent(caseId: string): CaseEvent {
  return {
    type: 'CaseOpened',
    data: {
      caseId, networkId: 'wksbm-bench', ownerInstitutionId: 'rw-bench', subjectId: `subject-${caseId}`, regionCode: '33.71.01.1008',
      categories: ['PPKS-24'], urgency: 'normal', openedAt: new Date().toISOString(), personal: { subject: { name: 'Warga Bench' }, description: 'benchmark case' },
    },
  };
}

export async function openCase(store: SqliteEventStore, caseId: string): Promise<void> {
  const [sealed] = sealEvents(GENESIS_HASH, [{ ...openedEvent(caseId), metadata: metadata(`${caseId}-opened`, `${caseId}-open`) }]);
  await store.append(caseStreamId(caseId), [{ id: sealed!.metadata.eventId, ...sealed! }], { expectedRevision: 'no_stream' });
}

function noteEvent(n: number): CaseEvent {
  return {
    type: 'CaseNoteAdded',
    data: { noteId: `note-${n}`, authorInstitutionId: 'rw-bench', visibility: 'participants', at: new Date().toISOString(), personal: { text: 'Home visit done' } },
  };
}

function metadata(eventId: string, commandId: string) {
  return {
    eventId, schemaVersion: CURRENT_SCHEMA_VERSION, occurredAt: new Date().toISOString(), actor: ACTOR,
    commandId, correlationId: commandId, causationId: commandId, requestHash: 'f'.repeat(64),
  };
}

export const addNote = (caseId: string): CaseCommand =>
  ({ type: 'AddNote', caseId, actor: ACTOR, at: new Date().toISOString(), noteId: randomUUID(), text: 'Home visit done', visibility: 'participants' });

export function context(): CommandContext {
  const commandId = randomUUID();
  return {
    commandId, requestHash: 'f'.repeat(64), actor: ACTOR, occurredAt: new Date().toISOString(), correlationId: commandId, causationId: commandId, expectedRevision: null,
  };
}
