/**
 * `npx rujukan migrate --to eventstoredb` as an operator runs it: the built CLI copies a few thousand
 * sealed events from DATA_DIR into the EventStoreDB test double, is SIGKILLed half-way, and is run again.
 * The second run must resume, finish and verify; the target must hold every event exactly once, in the
 * log's order, with every hash chain intact; a third run must change nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findChainBreak, GENESIS_HASH, sealEvents } from '../src/core/event-envelope.js';
import type { EventStore, RecordedEvent } from '../src/event-store/event-store.port.js';
import { EventStoreDbEventStore } from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from './support/eventstoredb-double/eventstoredb-double.js';
import { asNewEvent, unsealedNote } from './support/sealed-events.js';

const CLI = resolve(__dirname, '..', 'dist', 'cli', 'main.js');
const COMMANDS = 1_500;
/** Three CLI runs of about two seconds' start-up each, plus the copy over gRPC. */
const TIMEOUT_MS = 120_000;
const STREAMS = 150;

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/** The CLI as a child process; its output is kept for assertions and failure messages. */
function startCli(args: readonly string[], env: Record<string, string>): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const finished = new Promise<Finished>((done) => child.once('close', (code, signal) => done({ code, signal, output })));
  return { child, finished };
}

describe('migrate --to eventstoredb', () => {
  let dataDir: string;
  let double: EventStoreDbDouble;
  let source: SqliteEventStore;
  let target: EventStore;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npm run build; npm test does it)`);
  });

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rujukan-migrate-e2e-'));
    source = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    await seed(source);
    double = await startEventStoreDbDouble();
    target = new EventStoreDbEventStore(double.url);
  });

  afterEach(async () => {
    await Promise.all([source.close(), target.close()]);
    await double.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after a SIGKILL half-way and ends with every event exactly once, in order, chains intact', async () => {
    const expected = await applicationEvents(source);
    const env = { DATA_DIR: dataDir, EVENTSTORE_URL: double.url };
    const systemEvents = double.eventCount;

    const first = startCli(['migrate', '--to', 'eventstoredb'], env);
    const halfWay = setInterval(() => {
      if (double.eventCount - systemEvents >= expected.length / 2) first.child.kill('SIGKILL');
    }, 5);
    const killed = await first.finished.finally(() => clearInterval(halfWay));
    expect(killed).toMatchObject({ signal: 'SIGKILL' });
    const copiedBeforeKill = (await applicationEvents(target)).length;
    expect(copiedBeforeKill).toBeLessThan(expected.length);

    const rerun = await startCli(['migrate', '--to', 'eventstoredb'], env).finished;

    expect(rerun.output).toMatch(/Resuming from position \d+/);
    expect(rerun.output).toContain(`Verified: all ${expected.length} events`);
    expect(rerun.code).toBe(0);
    const copied = await applicationEvents(target);
    expect(copied).toEqual(expected);
    for (const stream of new Set(copied.map((event) => event.streamId))) {
      expect(findChainBreak(copied.filter((event) => event.streamId === stream))).toBeNull();
    }

    const again = await startCli(['migrate', '--to', 'eventstoredb'], env).finished;
    expect(again.output).toContain('Copied: 0 events sent');
    expect(again.output).toContain(`The subject keys stay in ${join(dataDir, 'views.sqlite')}`);
    expect(again.code).toBe(0);
    expect(await applicationEvents(target)).toEqual(expected);
  }, TIMEOUT_MS);

  it('refuses another target, and a missing EVENTSTORE_URL, before touching anything', async () => {
    const otherTarget = await startCli(['migrate', '--to', 'mongodb'], { DATA_DIR: dataDir, EVENTSTORE_URL: double.url }).finished;
    expect(otherTarget.code).not.toBe(0);
    expect(otherTarget.output).toContain('eventstoredb');

    const noUrl = await startCli(['migrate', '--to', 'eventstoredb'], { DATA_DIR: dataDir }).finished;
    expect(noUrl.code).toBe(2);
    expect(noUrl.output).toContain('EVENTSTORE_URL');
    expect(await applicationEvents(target)).toEqual([]);
  }, TIMEOUT_MS);
});

/** Commands of 1–3 sealed events, taking turns between many streams, written in one group commit. */
async function seed(store: EventStore): Promise<void> {
  const lastHash = new Map<string, string>();
  const appends = Array.from({ length: COMMANDS }, (_, command) => {
    const streamId = `case-${(command * 37) % STREAMS}`;
    const sealed = sealEvents(lastHash.get(streamId) ?? GENESIS_HASH, Array.from({ length: 1 + (command % 3) }, () => unsealedNote(streamId)));
    lastHash.set(streamId, sealed.at(-1)!.metadata.hash);
    return store.append(streamId, sealed.map(asNewEvent), { expectedRevision: 'any' });
  });
  await Promise.all(appends);
}


/** Everything a copy must keep, in global order (the adapter leaves the server's own events out). */
async function applicationEvents(store: EventStore): Promise<Array<Pick<RecordedEvent, 'streamId' | 'revision' | 'id' | 'type' | 'data' | 'metadata'>>> {
  const events = [];
  for await (const { streamId, revision, id, type, data, metadata } of store.readAll()) events.push({ streamId, revision, id, type, data, metadata });
  return events;
}
