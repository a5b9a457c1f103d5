/** Every view's documents, and the same views as a fresh offline rebuild of the log makes them: what "nothing lost, nothing doubled" is checked against. */
import { UpcastingEventStore } from '../../src/core/upcasting.js';
import { SERVICE_UPCASTERS } from '../../src/event-catalog.js';
import type { EventStore } from '../../src/event-store/event-store.port.js';
import { unfenced } from '../../src/projections/lease.js';
import { ProjectionRunner } from '../../src/projections/projection-runner.js';
import { PROJECTIONS } from '../../src/projections/projections.service.js';
import type { ReadStore } from '../../src/read-store/read-store.port.js';
import { SqliteReadStore } from '../../src/read-store/sqlite/sqlite-read-store.js';

/** Each view collection's documents by id, without the fencing stamp (it says which lease holder wrote a document, not what the view holds). */
export async function snapshotViews(views: ReadStore): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const projection of PROJECTIONS) {
    for (const name of Object.keys(projection.collections)) result[name] = (await views.collection(name).find({}, { sort: { _id: 1 } })).map(unfenced);
  }
  return result;
}

/** The views a fresh offline rebuild of `stored` (the log as stored, read upcast) makes up to `upTo`: a new store, plain runners, no lease. */
export async function offlineViews(stored: EventStore, upTo: bigint): Promise<Record<string, unknown[]>> {
  const views = new SqliteReadStore(':memory:');
  try {
    for (const projection of PROJECTIONS) {
      const runner = new ProjectionRunner(projection, new UpcastingEventStore(stored, SERVICE_UPCASTERS), views);
      await runner.start();
      const reached = await runner.reached(upTo, 60_000);
      await runner.stop();
      if (!reached) throw new Error(`The offline rebuild of ${projection.name} did not reach ${upTo}: ${runner.status().error}`);
    }
    return await snapshotViews(views);
  } finally {
    await views.close();
  }
}
