import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import type { Projection } from './projection.js';
import { CHECKPOINTS, ProjectionRunner } from './projection-runner.js';

/** Counts events per stream; fails on a "Poison" event while `poisoned` is set. */
function counting(state: { poisoned: boolean }): Projection {
  return {
    name: 'counting',
    collections: { counts: [] },
    async project(events) {
      if (state.poisoned && events.some((event) => event.type === 'Poison')) throw new Error('cannot handle Poison');
      return [{
        collection: 'counts',
        operations: events.flatMap((event) => [
          { updateOne: { filter: { _id: event.streamId }, update: { $setOnInsert: { n: 0, lastPosition: 0 } }, upsert: true } },
          { updateOne: { filter: { _id: event.streamId, lastPosition: { $lt: Number(event.position) } }, update: { $inc: { n: 1 }, $set: { lastPosition: Number(event.position) } } } },
        ]),
      }];
    },
  };
}

describe('projection runner', () => {
  it('stops on a failing batch and reports it, never skipping the event; a restart carries on from the checkpoint', async () => {
    const events = new SqliteEventStore(':memory:');
    const views = new SqliteReadStore(':memory:');
    const event = (type: string) => ({ id: crypto.randomUUID(), type, data: {}, metadata: {} });
    await events.append('s-1', [event('A'), event('A')], { expectedRevision: 'no_stream' });
    const state = { poisoned: true };
    const runner = new ProjectionRunner(counting(state), events, views, { batchSize: 1 });
    await runner.start();
    expect(await runner.reached(2n, 2_000)).toBe(true);

    const { position: poison } = await events.append('s-1', [event('Poison')], { expectedRevision: 1n });
    await events.append('s-2', [event('A')], { expectedRevision: 'no_stream' });
    expect(await runner.reached(poison, 2_000)).toBe(false);
    expect(runner.status()).toMatchObject({ running: false, error: 'cannot handle Poison', position: '2' });
    expect(await views.collection(CHECKPOINTS).findOne({ _id: 'counting' })).toMatchObject({ position: '2' });
    expect(await views.collection('counts').findOne({ _id: 's-2' })).toBeNull();

    state.poisoned = false;
    await runner.start();
    expect(await runner.reached(poison + 1n, 2_000)).toBe(true);
    expect(await views.collection('counts').find({}, { sort: { _id: 1 } })).toEqual([
      { _id: 's-1', n: 3, lastPosition: 3 },
      { _id: 's-2', n: 1, lastPosition: 4 },
    ]);
    await runner.stop();
    await Promise.all([events.close(), views.close()]);
  });
});
