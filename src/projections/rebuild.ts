/**
 * Rebuilds a projection from the start of the log into scratch collections while the live ones keep
 * serving, then switches: each scratch collection replaces its live one, and the live checkpoint moves to
 * where the rebuild stopped. A live runner still going elsewhere carries on from its own position; its
 * guarded writes never move a rebuilt document backwards.
 */
import type { EventStore } from '../event-store/event-store.port.js';
import type { ReadStore } from '../read-store/read-store.port.js';
import type { Projection } from './projection.js';
import { CHECKPOINTS, ProjectionRunner } from './projection-runner.js';

const SCRATCH = '__rebuild';

export interface RebuildProgress {
  readonly applied: bigint;
  readonly head: bigint;
}

export async function rebuildProjection(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  onProgress: (progress: RebuildProgress) => void = () => {},
): Promise<{ position: bigint | null; eventsApplied: number }> {
  const scratch = (name: string) => `${name}${SCRATCH}`;
  const checkpointId = scratch(projection.name);
  for (const name of Object.keys(projection.collections)) await views.collection(scratch(name)).drop();
  await views.collection(CHECKPOINTS).bulkWrite([{ deleteOne: { filter: { _id: checkpointId } } }]);

  const head = (await events.headPosition()) ?? 0n;
  const runner = new ProjectionRunner(projection, events, views, { collectionName: scratch, checkpointId });
  await runner.start();
  try {
    const progress = setInterval(() => onProgress({ applied: BigInt(runner.status().position ?? '0'), head }), 200);
    try {
      if (head > 0n && !(await runner.reached(head))) throw new Error(`Rebuild of ${projection.name} stopped: ${runner.status().error ?? 'unknown error'}`);
    } finally {
      clearInterval(progress);
    }
  } finally {
    await runner.stop();
  }
  const status = runner.status();
  onProgress({ applied: BigInt(status.position ?? '0'), head });
  // The runner created the scratch collections' indexes; they move with the rename.
  for (const name of Object.keys(projection.collections)) await views.renameCollection(scratch(name), name);
  await views.collection(CHECKPOINTS).bulkWrite([
    { replaceOne: { filter: { _id: projection.name }, replacement: { _id: projection.name, position: status.position ?? '0', updatedAt: new Date().toISOString() }, upsert: true } },
    { deleteOne: { filter: { _id: checkpointId } } },
  ]);
  return { position: status.position === null ? null : BigInt(status.position), eventsApplied: status.eventsApplied };
}
