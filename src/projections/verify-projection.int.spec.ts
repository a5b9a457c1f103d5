/**
 * `projections verify` at the level of one projection: a rebuild compared with the live view at the live
 * checkpoint finds every planted difference, none on a clean view, and never blames a view for events it
 * has not reached or documents it has already moved past.
 */
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import type { Document } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { Lease } from './lease.js';
import { CHECKPOINTS, ProjectionRunner } from './projection-runner.js';
import { verifyProjection } from './verify-projection.js';
import { viewProjection } from './view-projection.js';

interface StreamDocument extends Document {
  readonly events: number;
  readonly lastType: string;
}

/** One document per stream: how many events, and the type of the last. */
const streams = viewProjection({
  name: 'streams',
  views: [{
    collection: 'streams',
    documentId: (event) => event.streamId,
    evolve: (document: StreamDocument | null, event): StreamDocument => ({ _id: event.streamId, events: (document?.events ?? 0) + 1, lastType: event.type }),
  }],
});

let events: SqliteEventStore;
let views: SqliteReadStore;

async function append(streamId: string, ...types: string[]): Promise<bigint> {
  const event = (type: string) => ({ id: crypto.randomUUID(), type, data: {}, metadata: {} });
  return (await events.append(streamId, types.map(event), { expectedRevision: 'any' })).position;
}

/** Runs the live projection up to the end of the log, then stops it: under a lease, as the service runs it (its documents carry the fencing stamp). */
async function runLive(): Promise<void> {
  const runner = new ProjectionRunner(streams, events, views, { lease: new Lease(views, 'projection:streams', 'live', 10_000) });
  await runner.start();
  expect(await runner.reached((await events.headPosition())!, 2_000)).toBe(true);
  await runner.stop();
}

beforeEach(async () => {
  events = new SqliteEventStore(':memory:');
  views = new SqliteReadStore(':memory:');
  await append('s-1', 'A', 'B');
  await append('s-2', 'A');
  await append('s-3', 'C');
  await runLive();
});
afterEach(() => Promise.all([events.close(), views.close()]));

it('finds nothing on a clean view and leaves no scratch collection or checkpoint behind', async () => {
  expect(await verifyProjection(streams, events, views)).toEqual({ projection: 'streams', position: 4n, compared: 3, ahead: 0, differences: [] });
  expect(await views.listCollections()).not.toContain('streams__verify');
  expect(await views.collection(CHECKPOINTS).find()).toEqual([expect.objectContaining({ _id: 'streams' })]);
});

it('names a changed field, a missing document and an extra one', async () => {
  const live = views.collection('streams');
  await live.bulkWrite([
    { updateOne: { filter: { _id: 's-1' }, update: { $set: { lastType: 'Z' } } } },
    { deleteOne: { filter: { _id: 's-2' } } },
    { replaceOne: { filter: { _id: 's-9' }, replacement: { _id: 's-9', events: 1, lastType: 'A', lastPosition: 2 }, upsert: true } },
  ]);
  const { differences } = await verifyProjection(streams, events, views);
  expect(differences).toEqual(expect.arrayContaining([
    { collection: 'streams', id: 's-1', kind: 'fields differ', fields: ['lastType'] },
    { collection: 'streams', id: 's-2', kind: 'missing in live' },
    { collection: 'streams', id: 's-9', kind: 'missing in rebuilt' },
  ]));
  expect(differences).toHaveLength(3);
});

it('compares at the live checkpoint: events the view has not reached yet are no difference', async () => {
  await append('s-1', 'D');
  await append('s-4', 'A');
  expect(await verifyProjection(streams, events, views)).toMatchObject({ position: 4n, compared: 3, differences: [] });
});

it('counts live documents already past the checkpoint as ahead, not as different', async () => {
  await append('s-1', 'D');
  await append('s-4', 'A');
  const checkpoint = await views.collection(CHECKPOINTS).findOne({ _id: 'streams' });
  await runLive();
  // As if the runner had written its last batch but not yet its checkpoint.
  await views.collection(CHECKPOINTS).bulkWrite([{ replaceOne: { filter: { _id: 'streams' }, replacement: checkpoint! } }]);
  expect(await verifyProjection(streams, events, views)).toMatchObject({ position: 4n, compared: 2, ahead: 2, differences: [] });
});
