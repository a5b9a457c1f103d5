/**
 * Copying the embedded log into another store, interrupted and rerun, against every target adapter: the
 * target must end up holding each source event exactly once, in the source's order, with its hash chain.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEventStoreDbDouble } from '../../test/support/eventstoredb-double/eventstoredb-double.js';
import { asNewEvent, unsealedNote } from '../../test/support/sealed-events.js';
import { GENESIS_HASH, sealEvents } from '../core/event-envelope.js';
import { EventStoreUnavailableError, type EventStore, type RecordedEvent } from '../event-store/event-store.port.js';
import { EventStoreDbEventStore } from '../event-store/eventstoredb/eventstoredb-event-store.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { MigrationConflictError, migrateEventLog, verifyMigration, type MigrationProgress } from './migrate-event-log.js';
import { fileCheckpoint, type MigrationCheckpoint } from './migration-checkpoint.js';

interface Target {
  readonly store: EventStore;
  dispose(): Promise<void>;
}

const TARGETS: ReadonlyArray<readonly [string, (dir: string) => Promise<Target>]> = [
  ['sqlite', async (dir) => {
    const store = new SqliteEventStore(join(dir, 'target.sqlite'));
    return { store, dispose: () => store.close() };
  }],
  ['eventstoredb (test double)', async () => {
    const double = await startEventStoreDbDouble();
    const store = new EventStoreDbEventStore(double.url);
    return { store, dispose: async () => { await store.close(); await double.stop(); } };
  }],
];

const STREAMS = ['case-a', 'case-b', 'case-c', 'case-d', 'case-e'];
const COMMANDS = 40;

describe.each(TARGETS)('migrating the event log into %s', (_name, openTarget) => {
  let dir: string;
  let source: SqliteEventStore;
  let target: EventStore;
  let disposeTarget: () => Promise<void>;
  let lastHash: Map<string, string>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rujukan-migrate-'));
    source = new SqliteEventStore(join(dir, 'events.sqlite'));
    lastHash = new Map();
    // Commands of 1–3 events, taking turns between the streams: runs of one stream are short and interleaved.
    for (let command = 0; command < COMMANDS; command++) await appendSealed(STREAMS[(command * 3) % STREAMS.length]!, 1 + (command % 3));
    ({ store: target, dispose: disposeTarget } = await openTarget(dir));
  });

  afterEach(async () => {
    await Promise.all([source.close(), disposeTarget()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function appendSealed(streamId: string, count: number): Promise<void> {
    const sealed = sealEvents(lastHash.get(streamId) ?? GENESIS_HASH, Array.from({ length: count }, () => unsealedNote(streamId)));
    await source.append(streamId, sealed.map(asNewEvent), { expectedRevision: 'any' });
    lastHash.set(streamId, sealed.at(-1)!.metadata.hash);
  }

  const checkpointFile = (name = 'migration.json') => fileCheckpoint(join(dir, name), 'the target');
  const migrate = (into: EventStore, checkpoint: MigrationCheckpoint, more: { batchSize?: number; stopAfter?: number } = {}) => {
    const stop = new AbortController();
    const onProgress = ({ done }: MigrationProgress) => {
      if (more.stopAfter !== undefined && done >= more.stopAfter) stop.abort(new Error('stopped by the test'));
    };
    return migrateEventLog(source, into, { checkpoint, onProgress, signal: stop.signal, batchSize: more.batchSize });
  };

  it('copies every event in global order with its id, type, data and metadata, and a rerun sends nothing', async () => {
    const all = await logOf(source);
    const checkpoint = checkpointFile();

    const first = await migrate(target, checkpoint, { batchSize: 2 });

    expect(first).toMatchObject({ total: all.length, resumedAfter: null, sent: all.length });
    expect(await logOf(target)).toEqual(all);
    expect(await verifyMigration(source, target)).toMatchObject({ ok: true, streams: STREAMS.length, sourceEvents: all.length, targetEvents: all.length });

    const rerun = await migrate(target, checkpoint);
    expect(rerun).toMatchObject({ resumedAfter: await source.headPosition(), sent: 0 });
    expect(await logOf(target)).toEqual(all);
  });

  it('resumes after an interruption between two appends and copies each event exactly once', async () => {
    const all = await logOf(source);
    const checkpoint = checkpointFile();

    await expect(migrate(target, checkpoint, { stopAfter: 25 })).rejects.toThrow('stopped by the test');
    const copied = await logOf(target);
    expect(copied.length).toBeGreaterThanOrEqual(25);
    expect(copied).toEqual(all.slice(0, copied.length));

    const rerun = await migrate(target, checkpoint);

    const lastCopied = (await collect(source.readAll()))[copied.length - 1]!;
    expect(rerun).toMatchObject({ resumedAfter: lastCopied.position, sent: all.length - copied.length });
    expect(await logOf(target)).toEqual(all);
    expect((await verifyMigration(source, target)).ok).toBe(true);
  });

  it('resumes after the connection drops mid-append, re-sending the unconfirmed append without duplicating it', async () => {
    const all = await logOf(source);
    const checkpoint = checkpointFile();

    await expect(migrate(droppingAfter(target, 7), checkpoint)).rejects.toThrow(EventStoreUnavailableError);
    const copied = await logOf(target);
    expect(copied).toEqual(all.slice(0, copied.length));

    const rerun = await migrate(target, checkpoint);

    expect(rerun.sent).toBeGreaterThan(all.length - copied.length);
    expect(await logOf(target)).toEqual(all);
    expect((await verifyMigration(source, target)).ok).toBe(true);
  });

  it('starts over without its checkpoint, in other batches, and still copies nothing twice', async () => {
    const all = await logOf(source);
    // One event per append, stopped in the middle of a command's events.
    await expect(migrate(target, checkpointFile('first.json'), { batchSize: 1, stopAfter: 20 })).rejects.toThrow('stopped by the test');
    expect(await logOf(target)).toEqual(all.slice(0, 20));

    const rerun = await migrate(target, checkpointFile('lost.json'));

    expect(rerun).toMatchObject({ resumedAfter: null, sent: all.length });
    expect(await logOf(target)).toEqual(all);
  });

  it('stops at a target that holds a different event at a revision, naming the stream and revision, and appends nothing after it', async () => {
    const all = await logOf(source);
    const foreign = asNewEvent(sealEvents(GENESIS_HASH, [unsealedNote('case-c')])[0]!);
    await target.append('case-c', [foreign], { expectedRevision: 'no_stream' });

    const failure = migrate(target, checkpointFile());

    await expect(failure).rejects.toThrow(MigrationConflictError);
    await expect(failure).rejects.toMatchObject({ streamId: 'case-c', revision: 0n, message: expect.stringMatching(/stream case-c, revision 0: .*holds event .* where the source has/) });
    const beforeConflict = all.slice(0, all.findIndex((event) => event.streamId === 'case-c'));
    expect(await logOf(target)).toEqual([{ streamId: 'case-c', revision: 0n, ...foreign }, ...beforeConflict]);
  });

  it('stops at a target that lacks what the checkpoint says was copied, saying to delete the checkpoint', async () => {
    const copiedElsewhere = (await collect(source.readAll()))[25]!;
    const stale: MigrationCheckpoint = { load: async () => copiedElsewhere.position, save: async () => {} };

    await expect(migrate(target, stale)).rejects.toThrow(/stream case-\w, revision [1-9]\d*: the stream does not exist there, so the target lacks earlier events .* delete the migration checkpoint/);
    expect(await logOf(target)).toEqual([]);
  });

  it('verification finds a copy altered behind the same event id, which idempotency lets through', async () => {
    const [original] = await collect(source.readStream('case-b', { maxCount: 1 }));
    await target.append('case-b', [{ ...asNewEvent(original!), data: { tampered: true } }], { expectedRevision: 'no_stream' });
    await migrate(target, checkpointFile());

    const report = await verifyMigration(source, target);

    expect(report).toMatchObject({ ok: false, mismatches: { missing: 0, extra: 0, different: 1, brokenChain: 1 } });
    expect(report.firstMismatch).toMatchObject({ kind: 'different', streamId: 'case-b', revision: 0n, detail: 'data differ' });
  });

  it('verification finds events missing from the target and events only the target holds', async () => {
    await migrate(target, checkpointFile());
    await appendSealed('case-a', 1);
    const tail = (await collect(target.readStream('case-d', { direction: 'backwards', maxCount: 1 })))[0]!;
    await target.append('case-d', [{ ...asNewEvent(tail), id: randomUUID(), metadata: { ...tail.metadata, hash: 'forged' } }], { expectedRevision: tail.revision });

    const report = await verifyMigration(source, target);

    expect(report).toMatchObject({ ok: false, mismatches: { missing: 1, extra: 1, different: 0, brokenChain: 1 } });
    expect(report.firstMismatch).toMatchObject({ kind: 'missing', streamId: 'case-a' });
    expect(report.sourceEvents).toBe(report.targetEvents);
  });

  it('reports progress from what was copied before up to the total', async () => {
    const total = (await logOf(source)).length;
    const checkpoint = checkpointFile();
    await expect(migrate(target, checkpoint, { stopAfter: 10 })).rejects.toThrow();
    const seen: MigrationProgress[] = [];

    await migrateEventLog(source, target, { checkpoint, onProgress: (progress) => seen.push(progress) });

    expect(seen[0]!.done).toBeGreaterThanOrEqual(10);
    expect(seen.at(-1)).toEqual({ done: total, total });
    expect(seen.map(({ done }) => done)).toEqual([...seen.map(({ done }) => done)].sort((a, b) => a - b));
  });
});

describe('the migration checkpoint file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rujukan-checkpoint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers the last position per target: another target starts from the beginning', async () => {
    await fileCheckpoint(join(dir, 'm.json'), 'esdb://one:2113').save(42n);

    expect(await fileCheckpoint(join(dir, 'm.json'), 'esdb://one:2113').load()).toBe(42n);
    expect(await fileCheckpoint(join(dir, 'm.json'), 'esdb://two:2113').load()).toBeNull();
    expect(await fileCheckpoint(join(dir, 'none.json'), 'esdb://one:2113').load()).toBeNull();
  });

  it('refuses an unreadable file, saying it may be deleted', async () => {
    writeFileSync(join(dir, 'm.json'), '');
    await expect(fileCheckpoint(join(dir, 'm.json'), 'esdb://one:2113').load()).rejects.toThrow(/unreadable.*delete it/);
  });
});



/** A store whose connection drops at its nth append: that append is written but never confirmed, and every call after it fails. */
function droppingAfter(store: EventStore, appends: number): EventStore {
  let made = 0;
  const live = () => {
    if (made >= appends) throw new EventStoreUnavailableError('connection dropped');
  };
  return {
    append: async (...args) => {
      live();
      made += 1;
      const result = await store.append(...args);
      live();
      return result;
    },
    readStream: (...args) => (live(), store.readStream(...args)),
    readAll: (...args) => (live(), store.readAll(...args)),
    subscribeToAll: (...args) => (live(), store.subscribeToAll(...args)),
    headPosition: () => (live(), store.headPosition()),
    close: () => store.close(),
  };
}

/** The store's application events in global order, as far as a copy must keep them. */
async function logOf(store: EventStore): Promise<Array<Pick<RecordedEvent, 'streamId' | 'revision' | 'id' | 'type' | 'data' | 'metadata'>>> {
  return (await collect(store.readAll())).map(({ streamId, revision, id, type, data, metadata }) => ({ streamId, revision, id, type, data, metadata }));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}
