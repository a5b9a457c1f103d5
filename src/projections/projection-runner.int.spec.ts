import { Logger } from '@nestjs/common';
import { quietNestLogger, memoryStoresPerTest } from '../../test/support/projection-stores.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { ReadStoreUnavailableError, type BulkWriteResult, type CollectionWrites, type ReadStore } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { FENCE, Lease } from './lease.js';
import type { Projection } from './projection.js';
import { CHECKPOINTS, CheckpointWatch, clearHalt, ProjectionRunner, type RunnerOptions } from './projection-runner.js';
import { eventually } from '../core/testing/eventually.js';

/** Counts events per stream; fails on a "Poison" event while `poisoned` is set. */
function counting(state: { poisoned: boolean }, name = 'counting'): Projection {
  return {
    name,
    collections: { [`${name}_counts`]: [] },
    async project(events) {
      if (state.poisoned && events.some((event) => event.type === 'Poison')) throw new Error('cannot handle Poison');
      return [{
        collection: `${name}_counts`,
        operations: events.flatMap((event) => [
          { updateOne: { filter: { _id: event.streamId }, update: { $setOnInsert: { n: 0, lastPosition: 0 } }, upsert: true } },
          { updateOne: { filter: { _id: event.streamId, lastPosition: { $lt: Number(event.position) } }, update: { $inc: { n: 1 }, $set: { lastPosition: Number(event.position) } } } },
        ]),
      }];
    },
  };
}

const FAST: RunnerOptions = { retryMs: 10, maxRetryMs: 40, pollMs: 20, watchMs: 10 };
const event = (type: string) => ({ id: crypto.randomUUID(), type, data: {}, metadata: {} });
const counts = async (views: ReadStore, name = 'counting') =>
  (await views.collection(`${name}_counts`).find({}, { sort: { _id: 1 } })).map(({ [FENCE]: _fence, ...document }) => document);


describe('projection runner', () => {
  quietNestLogger();
  let events: SqliteEventStore;
  let views: SqliteReadStore;
  memoryStoresPerTest((stores) => ({ events, views } = stores));

  it('halts at a poison event, applying the events before it, and reports its position; after retry it carries on from the checkpoint', async () => {
    await events.append('s-1', [event('A'), event('A')], { expectedRevision: 'no_stream' });
    const state = { poisoned: true };
    const runner = new ProjectionRunner(counting(state), events, views, FAST);
    await runner.start();
    expect(await runner.reached(2n, 2_000)).toBe(true);

    // In one batch: an event before the poison (applied), the poison, one after (not applied, never skipped).
    const { position: afterPoison } = await events.append('s-1', [event('A'), event('Poison'), event('A')], { expectedRevision: 1n });
    const { position: last } = await events.append('s-2', [event('A')], { expectedRevision: 'no_stream' });
    expect(await runner.reached(afterPoison, 2_000)).toBe(false);
    const stream = [];
    for await (const recorded of events.readStream('s-1')) stream.push(recorded);
    const poisonEvent = stream.find((candidate) => candidate.type === 'Poison')!;
    expect(poisonEvent.position).toBe(4n);
    expect(runner.status()).toMatchObject({
      running: false, state: 'halted', error: 'Error', position: '3',
      halted: { position: '4', eventId: poisonEvent.id, eventType: 'Poison', error: 'Error' },
    });
    expect(await views.collection(CHECKPOINTS).findOne({ _id: 'counting' })).toMatchObject({ position: '3', halted: { position: '4' } });
    expect(await counts(views)).toEqual([{ _id: 's-1', n: 3, lastPosition: 3 }]);
    expect(await views.collection('counting_counts').findOne({ _id: 's-2' })).toBeNull();

    // Retried while still failing: halts again at the same event.
    const firstHalt = runner.status().halted!;
    expect(await clearHalt(views, 'counting')).toBe(true);
    await eventually(() => runner.status().state === 'halted' && runner.status().halted!.at !== firstHalt.at);
    expect(runner.status().halted).toMatchObject({ position: '4', eventId: poisonEvent.id });

    state.poisoned = false;
    expect(await clearHalt(views, 'counting')).toBe(true);
    await eventually(() => runner.status().state !== 'halted');
    expect(await runner.reached(last, 2_000)).toBe(true);
    expect(runner.status()).toMatchObject({ running: true, state: 'running', halted: null, error: null });
    expect(await counts(views)).toEqual([
      { _id: 's-1', n: 5, lastPosition: 5 },
      { _id: 's-2', n: 1, lastPosition: 6 },
    ]);
    expect(await clearHalt(views, 'counting')).toBe(false);
    await runner.stop();
  });

  it('stops only the projection with the poison: another on the same log carries on', async () => {
    const poisoned = new ProjectionRunner(counting({ poisoned: true }, 'first'), events, views, FAST);
    const healthy = new ProjectionRunner(counting({ poisoned: true }, 'second'), events, views, FAST);
    // The second projection filters the poison's stream out.
    const second = { ...healthy.projection, filter: { streamPrefixes: ['ok-'] } };
    const other = new ProjectionRunner(second, events, views, FAST);
    await Promise.all([poisoned.start(), other.start()]);
    await events.append('bad-1', [event('Poison')], { expectedRevision: 'no_stream' });
    const { position } = await events.append('ok-1', [event('A')], { expectedRevision: 'no_stream' });
    expect(await other.reached(position, 2_000)).toBe(true);
    await eventually(() => poisoned.status().state === 'halted');
    expect(await counts(views, 'second')).toEqual([{ _id: 'ok-1', n: 1, lastPosition: 2 }]);
    await Promise.all([poisoned.stop(), other.stop()]);
  });

  it('retries a store that cannot be reached, with backoff, and then applies everything once', async () => {
    let outage = 5;
    const flaky: ReadStore = Object.assign(Object.create(views) as ReadStore, {
      writeTogether: async (writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> => {
        if (outage-- > 0) throw new ReadStoreUnavailableError('gone');
        return views.writeTogether(writes);
      },
      collection: views.collection.bind(views),
    });
    const runner = new ProjectionRunner(counting({ poisoned: false }), events, flaky, FAST);
    await runner.start();
    const { position } = await events.append('s-1', [event('A'), event('A'), event('A')], { expectedRevision: 'no_stream' });
    await eventually(() => runner.status().state === 'retrying');
    expect(runner.status()).toMatchObject({ running: true, error: 'ReadStoreUnavailableError' });
    expect(await runner.reached(position, 3_000)).toBe(true);
    expect(runner.status()).toMatchObject({ state: 'running', failures: 0 });
    expect(await counts(views)).toEqual([{ _id: 's-1', n: 3, lastPosition: 3 }]);
    await runner.stop();
  });

  it('gets a backlog into a store too slow to take a whole batch in time by retrying it in halves, once each, then grows the batches back', async () => {
    // The store times out on any write of more than `most` events (two operations each here, plus the checkpoint).
    let most = 6;
    const written: number[] = [];
    const slow: ReadStore = Object.assign(Object.create(views) as ReadStore, {
      writeTogether: async (writes: readonly CollectionWrites[]): Promise<BulkWriteResult[]> => {
        const events = writes.filter(({ collection }) => collection !== CHECKPOINTS).reduce((sum, { operations }) => sum + operations.length, 0) / 2;
        if (events > most) throw new ReadStoreUnavailableError('operation timed out');
        written.push(events);
        return views.writeTogether(writes);
      },
      collection: views.collection.bind(views),
    });
    await events.append('s-1', Array.from({ length: 40 }, () => event('A')), { expectedRevision: 'no_stream' });
    const { position } = await events.append('s-2', Array.from({ length: 60 }, () => event('A')), { expectedRevision: 'no_stream' });
    const runner = new ProjectionRunner(counting({ poisoned: false }), events, slow, { ...FAST, batchSize: 64 });
    await runner.start();
    try {
      expect(await runner.reached(position, 5_000)).toBe(true);
      expect(await counts(views)).toEqual([{ _id: 's-1', n: 40, lastPosition: 40 }, { _id: 's-2', n: 60, lastPosition: 100 }]);
      expect(Math.max(...written)).toBeLessThanOrEqual(6);

      // Once the store keeps up again, a backlog goes in batches as large as allowed again.
      most = Infinity;
      written.length = 0;
      const { position: later } = await events.append('s-3', Array.from({ length: 300 }, () => event('A')), { expectedRevision: 'no_stream' });
      expect(await runner.reached(later, 5_000)).toBe(true);
      expect(await counts(views)).toContainEqual({ _id: 's-3', n: 300, lastPosition: 400 });
      expect(Math.max(...written)).toBe(64);
    } finally {
      await runner.stop();
    }
  });

  it('runs on one replica at a time under its lease; the other follows the shared checkpoint and takes over when the first stops', async () => {
    const lease = (owner: string) => new Lease(views, 'projection:counting', owner, 300);
    const first = new ProjectionRunner(counting({ poisoned: false }), events, views, { ...FAST, lease: lease('replica-1') });
    const second = new ProjectionRunner(counting({ poisoned: false }), events, views, { ...FAST, lease: lease('replica-2') });
    await first.start();
    await eventually(() => first.status().state === 'running');
    await second.start();
    const { position } = await events.append('s-1', [event('A'), event('A')], { expectedRevision: 'no_stream' });
    // The standby waits for the running replica's checkpoint.
    expect(await second.reached(position, 2_000)).toBe(true);
    expect(second.status()).toMatchObject({ state: 'standby', running: true, position: String(position), eventsApplied: 0 });
    expect(first.status()).toMatchObject({ state: 'running', eventsApplied: 2 });

    await first.stop();
    const { position: later } = await events.append('s-1', [event('A')], { expectedRevision: 1n });
    expect(await second.reached(later, 2_000)).toBe(true);
    await eventually(() => second.status().state === 'running');
    expect(second.status().eventsApplied).toBe(1);
    expect(await counts(views)).toEqual([{ _id: 's-1', n: 3, lastPosition: 3 }]);
    await second.stop();
  });

  it('answers reads waiting for several projections another process runs from one watch of their checkpoints, each once its own passes', async () => {
    const checkpoints = new CheckpointWatch(views, 10);
    const [first, second] = ['first', 'second'].map((name) => new ProjectionRunner(counting({ poisoned: false }, name), events, views, FAST));
    const followers = ['first', 'second'].map((name) => new ProjectionRunner(counting({ poisoned: false }, name), events, views, { ...FAST, follower: true, checkpoints }));
    await Promise.all(followers.map((follower) => follower.start()));
    const { position } = await events.append('s-1', [event('A'), event('A')], { expectedRevision: 'no_stream' });
    const reads = followers.map((follower) => follower.reached(position, 2_000));

    await first!.start();
    expect(await reads[0]).toBe(true);
    expect(followers.map((follower) => follower.status().position)).toEqual([String(position), null]);
    await second!.start();
    expect(await reads[1]).toBe(true);
    expect(followers[1]!.status()).toMatchObject({ state: 'standby', position: String(position), eventsApplied: 0 });
    await Promise.all([first!, second!, ...followers].map((runner) => runner.stop()));
  });

  it('fences a paused holder: once another took the lease, its writes are refused and it stands by', async () => {
    const oldLease = new Lease(views, 'projection:counting', 'paused', 60_000);
    const paused = new ProjectionRunner(counting({ poisoned: false }), events, views, { ...FAST, lease: oldLease });
    await paused.start();
    const { position } = await events.append('s-1', [event('A')], { expectedRevision: 'no_stream' });
    expect(await paused.reached(position, 2_000)).toBe(true);
    // Another replica takes the lease while the first is unaware (as after a long pause), and writes.
    const newLease = new Lease(views, 'projection:counting', 'successor', 60_000);
    expect(await newLease.preempt(new Date())).toBe(true);
    expect(newLease.token).toBeGreaterThan(oldLease.token!);
    await views.writeTogether([{ collection: 'counting_counts', operations: [{ replaceOne: { filter: { _id: 's-1' }, replacement: { _id: 's-1', n: 100, lastPosition: 99, [FENCE]: newLease.token! }, upsert: true } }] }]);
    await views.writeTogether([{ collection: CHECKPOINTS, operations: [{ updateOne: { filter: { _id: 'counting' }, update: { $set: { position: '99', [FENCE]: newLease.token! } } } }] }]);
    // The paused holder resumes with new events: its writes over the successor's documents are refused.
    await events.append('s-2', [event('A')], { expectedRevision: 'no_stream' });
    await events.append('s-1', [event('A')], { expectedRevision: 0n });
    await eventually(() => paused.status().state === 'standby');
    expect(await views.collection('counting_counts').findOne({ _id: 's-1' })).toMatchObject({ n: 100, lastPosition: 99 });
    // Nor does it create a document nobody has written yet.
    expect(await views.collection('counting_counts').findOne({ _id: 's-2' })).toBeNull();
    expect(await views.collection(CHECKPOINTS).findOne({ _id: 'counting' })).toMatchObject({ position: '99' });
    await paused.stop();
  });

  it('does not take a batch that fails once the lease is gone for a poison: it stands by, without halting', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    const oldLease = new Lease(views, 'projection:counting', 'paused', 60_000);
    const paused = new ProjectionRunner(counting({ poisoned: true }), events, views, { ...FAST, lease: oldLease });
    try {
      await paused.start();
      const { position } = await events.append('s-1', [event('A')], { expectedRevision: 'no_stream' });
      expect(await paused.reached(position, 2_000)).toBe(true);
      expect(await new Lease(views, 'projection:counting', 'successor', 60_000).preempt(new Date())).toBe(true);
      // What it reads now may be another holder's doing (a rebuild switching collections): the batch fails.
      await events.append('s-1', [event('Poison')], { expectedRevision: 0n });
      await eventually(() => paused.status().state === 'standby');
      expect(paused.status()).toMatchObject({ halted: null, position: String(position) });
      expect(errors).not.toHaveBeenCalled();
      expect(await views.collection(CHECKPOINTS).findOne({ _id: 'counting' })).not.toHaveProperty('halted');
    } finally {
      await paused.stop();
      errors.mockRestore();
    }
  });
});
