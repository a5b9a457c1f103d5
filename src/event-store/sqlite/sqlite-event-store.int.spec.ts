import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { collect, describeEventStoreContract } from '../event-store.contract.js';
import { EventStoreUnavailableError, WrongExpectedVersionError, type NewEvent, type SubscriptionMessage } from '../event-store.port.js';
import { DuplicateEventIdError, SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store.js';

let contractDir: string;

// Small pages, so every read and subscription in the contract crosses page boundaries.
describeEventStoreContract(
  'SqliteEventStore',
  async () => {
    contractDir = await mkdtemp(join(tmpdir(), 'rujukan-events-'));
    return new SqliteEventStore(join(contractDir, 'events.db'), { pageSize: 7 });
  },
  () => rm(contractDir, { recursive: true, force: true }),
);

describe('SqliteEventStore', () => {
  let dir: string;
  let file: string;
  const stores: SqliteEventStore[] = [];
  const open = (options?: SqliteEventStoreOptions): SqliteEventStore => {
    const store = new SqliteEventStore(file, options);
    stores.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rujukan-events-'));
    file = join(dir, 'events.db');
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the events after the store is closed and opened again', async () => {
    const first = open();
    await first.append('case-1', [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
    const before = await collect(first.readAll());
    await first.close();

    const reopened = open();

    expect(await collect(reopened.readAll())).toEqual(before);
    const next = await reopened.append('case-1', [newEvent()], { expectedRevision: 1n });
    expect(next.nextRevision).toBe(2n);
    expect(next.position).toBeGreaterThan(before.at(-1)?.position ?? 0n);
  });

  it('writes appends that arrive together in one transaction, refusing only the one whose expectation fails', async () => {
    const store = open();
    const before = store.stats.commits;

    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, n) => store.append(`case-${n}`, [newEvent()], { expectedRevision: n === 42 ? 3n : 'no_stream' })),
    );

    expect(store.stats.commits - before).toBe(1);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(99);
    expect(outcomes[42]).toMatchObject({ status: 'rejected', reason: expect.any(WrongExpectedVersionError) });
    expect(await collect(store.readStream('case-42'))).toEqual([]);
    expect(await collect(store.readAll())).toHaveLength(99);
  });

  it('lets appends to one stream in the same transaction see each other', async () => {
    const store = open();
    const before = store.stats.commits;

    const results = await Promise.all([
      store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' }),
      store.append('case-1', [newEvent()], { expectedRevision: 0n }),
      store.append('case-1', [newEvent()], { expectedRevision: 1n }),
    ]);

    expect(store.stats.commits - before).toBe(1);
    expect(results.map((result) => result.nextRevision)).toEqual([0n, 1n, 2n]);
  });

  it('without group commit, writes one transaction per append', async () => {
    const store = open({ groupCommit: false });
    const before = store.stats.commits;

    await Promise.all(Array.from({ length: 20 }, (_, n) => store.append(`case-${n}`, [newEvent()], { expectedRevision: 'no_stream' })));

    expect(store.stats.commits - before).toBe(20);
  });

  it('refuses an event id already used by another event, writing nothing', async () => {
    const store = open();
    const used = newEvent();
    await store.append('case-1', [used], { expectedRevision: 'no_stream' });

    await expect(store.append('case-2', [used], { expectedRevision: 'any' })).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.append('case-1', [used, newEvent()], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.append('case-1', [used], { expectedRevision: 0n })).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(store.append('case-1', [newEvent(), used], { expectedRevision: 0n })).rejects.toBeInstanceOf(DuplicateEventIdError);
    const repeated = newEvent();
    await expect(store.append('case-3', [repeated, repeated], { expectedRevision: 'any' })).rejects.toBeInstanceOf(DuplicateEventIdError);

    expect((await collect(store.readAll())).map((event) => event.id)).toEqual([used.id]);
  });

  it('writes the appends still pending when it closes, then refuses new ones', async () => {
    const store = open();
    const pending = store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });

    await store.close();

    await expect(pending).resolves.toMatchObject({ nextRevision: 0n });
    await expect(store.append('case-1', [newEvent()], { expectedRevision: 0n })).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(await collect(open().readStream('case-1'))).toHaveLength(1);
  });

  it('fails every append of a batch as unavailable when another process keeps the file locked', async () => {
    const store = open({ busyTimeoutMs: 50 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([
        store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' }),
        store.append('case-2', [newEvent()], { expectedRevision: 'no_stream' }),
      ]);
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(EventStoreUnavailableError) });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await expect(store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextRevision: 0n });
  });

  it('waits for another process to finish writing instead of failing', async () => {
    const store = open();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.exec('BEGIN IMMEDIATE; CREATE TABLE other_process (x); INSERT INTO other_process VALUES (1)');
         console.log('locked');
         setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    await new Promise((resolve) => holder.stdout.once('data', resolve));

    const started = Date.now();
    await expect(store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' })).resolves.toMatchObject({ nextRevision: 0n });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    await exited;
  });

  it('wakes a waiting subscription as soon as this process commits, without waiting for the poll', async () => {
    const store = open({ pollIntervalMs: 60_000 });
    const subscription = store.subscribeToAll();
    const messages = subscription[Symbol.asyncIterator]();
    expect(await messages.next()).toEqual({ done: false, value: { type: 'caughtUp', position: null } });
    const waiting = messages.next();

    const written = await store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });

    expect((await withTimeout(waiting, 1_000)).value).toMatchObject({ type: 'event', event: { position: written.position } });
    await subscription.close();
  });

  it("sees another process's appends through its subscription's poll, and its revisions through appends", async () => {
    const writer = open();
    const reader = open({ pollIntervalMs: 50 });
    const subscription = reader.subscribeToAll();
    const messages = subscription[Symbol.asyncIterator]();
    expect(await messages.next()).toEqual({ done: false, value: { type: 'caughtUp', position: null } });
    const waiting = messages.next();
    await new Promise((resolve) => setTimeout(resolve, 20));

    const written = await writer.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });

    expect((await withTimeout(waiting, 2_000)).value).toMatchObject({ type: 'event', event: { streamId: 'case-1', position: written.position } });
    await expect(reader.append('case-1', [newEvent()], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ actual: 0n });
    await subscription.close();
  });

  it("wakes a waiting subscription on another process's commit without waiting for the poll", async () => {
    // Another connection to the file stands for another process (a `projections run` process sees the API's writes).
    const writer = open();
    const reader = open({ pollIntervalMs: 60_000 });
    const subscription = reader.subscribeToAll();
    const messages = subscription[Symbol.asyncIterator]();
    expect(await messages.next()).toEqual({ done: false, value: { type: 'caughtUp', position: null } });
    const waiting = messages.next();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const written = await writer.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });

    expect((await withTimeout(waiting, 5_000)).value).toMatchObject({ type: 'event', event: { streamId: 'case-1', position: written.position } });
    await subscription.close();
  });

  it("reads what another process appended to a stream whose end this process knew from its own appends and reads", async () => {
    const store = open();
    const other = open();
    await store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });
    expect(await collect(store.readStream('case-1', { fromRevision: 1n }))).toEqual([]);
    await other.append('case-1', [newEvent(), newEvent()], { expectedRevision: 0n });

    expect((await collect(store.readStream('case-1', { fromRevision: 1n }))).map((event) => event.revision)).toEqual([1n, 2n]);
    expect(await collect(store.readStream('case-1', { fromRevision: 3n }))).toEqual([]);
    await other.append('case-1', [newEvent()], { expectedRevision: 2n });
    expect((await collect(store.readStream('case-1', { fromRevision: 3n }))).map((event) => event.revision)).toEqual([3n]);
    await expect(store.append('case-1', [newEvent()], { expectedRevision: 2n })).rejects.toMatchObject({ actual: 3n });
  });

  it("checks an append against another process's appends to a stream whose last event this process wrote", async () => {
    const store = open();
    const other = open();
    await store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });
    await other.append('case-1', [newEvent()], { expectedRevision: 0n });

    await expect(store.append('case-1', [newEvent()], { expectedRevision: 0n })).rejects.toMatchObject({ actual: 1n });
    await expect(store.append('case-1', [newEvent()], { expectedRevision: 'any' })).resolves.toMatchObject({ nextRevision: 2n });
    expect((await collect(other.readStream('case-1'))).map((event) => event.revision)).toEqual([0n, 1n, 2n]);
  });

  it('forgets a subscription when the consumer breaks out of its loop or the store closes', async () => {
    // A poll too slow to matter: only close() can release the waiting consumer in time.
    const store = open({ pollIntervalMs: 60_000 });
    await store.append('case-1', [newEvent()], { expectedRevision: 'no_stream' });

    for await (const message of store.subscribeToAll()) {
      if (message.type === 'caughtUp') break;
    }
    expect(store.stats.openSubscriptions).toBe(0);

    const waiting = store.subscribeToAll({ fromPosition: 1n })[Symbol.asyncIterator]();
    expect(await waiting.next()).toMatchObject({ value: { type: 'caughtUp', position: 1n } });
    const blocked = waiting.next();
    expect(store.stats.openSubscriptions).toBe(1);
    await store.close();
    await expect(withTimeout(blocked, 2_000)).resolves.toMatchObject({ done: true });
    expect(store.stats.openSubscriptions).toBe(0);
  });

  it("delivers every event to each of several subscriptions following the log together, this process's appends and another's", async () => {
    const store = open({ pageSize: 3, changeCheckMs: 1 });
    const other = open();
    const filters = [undefined, { streamPrefixes: ['case-'] }, { streamPrefixes: ['institution-'] }];
    const subscriptions = filters.map((filter) => store.subscribeToAll(filter ? { filter } : {}));
    const received = subscriptions.map(() => [] as string[]);
    const reading = subscriptions.map(async (subscription, at) => {
      for await (const message of subscription) if (message.type === 'event') received[at]!.push(`${message.event.streamId}:${message.event.revision}`);
    });
    const written: string[] = [];
    for (let round = 0; round < 12; round++) {
      const writer = round % 2 === 0 ? store : other;
      const stream = round % 3 === 0 ? `institution-${round}` : `case-${round}`;
      await writer.append(stream, Array.from({ length: round % 4 }, () => newEvent()), { expectedRevision: 'no_stream' });
      written.push(...Array.from({ length: round % 4 }, (_, revision) => `${stream}:${revision}`));
      if (round % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const expected = filters.map((filter) => written.filter((event) => !filter || filter.streamPrefixes.some((prefix) => event.startsWith(prefix))));
    const deadline = Date.now() + 5_000;
    while (received.some((events, at) => events.length < expected[at]!.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await Promise.all(reading);

    expect(received).toEqual(expected);
  });

  it('reads a page only when the consumer asks for it, so catch-up includes events appended meanwhile', async () => {
    const store = open({ pageSize: 10 });
    await store.append('case-1', Array.from({ length: 25 }, () => newEvent()), { expectedRevision: 'no_stream' });
    const messages = store.subscribeToAll()[Symbol.asyncIterator]();

    const first: SubscriptionMessage[] = [];
    for (let n = 0; n < 10; n += 1) first.push((await messages.next()).value as SubscriptionMessage);
    // Appended after the first page was read: a store that had read ahead would deliver these later, if at all.
    await store.append('case-2', [newEvent()], { expectedRevision: 'no_stream' });
    const rest: SubscriptionMessage[] = [];
    for (let n = 0; n < 17; n += 1) rest.push((await messages.next()).value as SubscriptionMessage);

    expect(rest.map((message) => message.type)).toEqual([...Array<string>(15).fill('event'), 'event', 'caughtUp']);
    expect(rest.at(-2)).toMatchObject({ event: { streamId: 'case-2' } });
  });
});

function newEvent(): NewEvent {
  return { id: randomUUID(), type: 'Happened', data: { n: 1 }, metadata: {} };
}


async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
