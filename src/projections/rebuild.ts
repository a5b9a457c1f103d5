/**
 * Builds a projection from the start of the log into scratch collections while the live ones keep serving,
 * up to a given position. A rebuild builds up to the head, then switches: each scratch collection replaces
 * its live one, and the live checkpoint moves to where the rebuild stopped. A live runner still going
 * elsewhere carries on from its own position; its guarded writes never move a rebuilt document backwards.
 * `projections verify` builds up to the live checkpoint instead and compares (verify-projection.ts).
 */
import { EventStoreDecorator, mappedSubscription } from '../event-store/event-store-decorator.js';
import type { EventStore, SubscribeToAllOptions, Subscription, SubscriptionMessage } from '../event-store/event-store.port.js';
import type { ReadStore } from '../read-store/read-store.port.js';
import type { Projection } from './projection.js';
import { CHECKPOINTS, ProjectionRunner } from './projection-runner.js';

export interface RebuildProgress {
  readonly applied: bigint;
  readonly head: bigint;
}

export interface ScratchNames {
  /** The physical name of a logical collection's scratch copy. */
  readonly collectionName: (logical: string) => string;
  readonly checkpointId: string;
}

export interface ScratchBuild extends ScratchNames {
  readonly position: bigint | null;
  readonly eventsApplied: number;
}

/** Where a scratch build of `projection` keeps its collections and checkpoint: its names with `suffix`. */
function scratchNames(projection: Projection, suffix: string): ScratchNames {
  return { collectionName: (logical) => `${logical}${suffix}`, checkpointId: `${projection.name}${suffix}` };
}

/**
 * The log as it stood at `upTo` (empty when null): a subscription ends there, at a checkpoint on `upTo`,
 * instead of following live events.
 */
class LogUpTo extends EventStoreDecorator {
  constructor(inner: EventStore, private readonly upTo: bigint | null) {
    super(inner);
  }

  override subscribeToAll(options?: SubscribeToAllOptions): Subscription {
    const upTo = this.upTo;
    return mappedSubscription(this.inner.subscribeToAll(options), async function* (messages): AsyncIterable<SubscriptionMessage> {
      for await (const message of messages) {
        const position = message.type === 'event' ? message.event.position : message.position;
        // Past the bound, or at the end of the log (which is past it: `upTo` is a position the log handed out).
        if (message.type === 'caughtUp' || position === null || upTo === null || position > upTo) {
          if (position !== null && upTo !== null) yield { type: 'checkpoint', position: position < upTo ? position : upTo };
          return;
        }
        yield message;
      }
    });
  }
}

/**
 * Builds `projection` from the log into fresh collections named with `suffix`, up to `upTo` (nothing when
 * null), and leaves them with their own checkpoint for the caller to switch or compare, then drop.
 */
export async function buildInScratch(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  suffix: string,
  upTo: bigint | null,
  onProgress: (progress: RebuildProgress) => void = () => {},
): Promise<ScratchBuild> {
  const names = scratchNames(projection, suffix);
  await dropScratch(projection, views, suffix);

  const head = upTo ?? 0n;
  const runner = new ProjectionRunner(projection, new LogUpTo(events, upTo), views, names);
  await runner.start();
  try {
    const progress = setInterval(() => onProgress({ applied: BigInt(runner.status().position ?? '0'), head }), 200);
    try {
      if (upTo !== null && !(await runner.reached(upTo))) throw new Error(`Building ${projection.name} stopped: ${runner.status().error ?? 'unknown error'}`);
    } finally {
      clearInterval(progress);
    }
  } finally {
    await runner.stop();
  }
  const status = runner.status();
  onProgress({ applied: BigInt(status.position ?? '0'), head });
  return { ...names, position: status.position === null ? null : BigInt(status.position), eventsApplied: status.eventsApplied };
}

/** Removes a scratch build: its collections and its checkpoint. */
export async function dropScratch(projection: Projection, views: ReadStore, suffix: string): Promise<void> {
  const { collectionName, checkpointId } = scratchNames(projection, suffix);
  for (const name of Object.keys(projection.collections)) await views.collection(collectionName(name)).drop();
  await views.collection(CHECKPOINTS).bulkWrite([{ deleteOne: { filter: { _id: checkpointId } } }]);
}

export async function rebuildProjection(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  onProgress: (progress: RebuildProgress) => void = () => {},
): Promise<{ position: bigint | null; eventsApplied: number }> {
  const build = await buildInScratch(projection, events, views, '__rebuild', await events.headPosition(), onProgress);
  // The runner created the scratch collections' indexes; they move with the rename.
  for (const name of Object.keys(projection.collections)) await views.renameCollection(build.collectionName(name), name);
  await views.collection(CHECKPOINTS).bulkWrite([
    { replaceOne: { filter: { _id: projection.name }, replacement: { _id: projection.name, position: build.position?.toString() ?? '0', updatedAt: new Date().toISOString() }, upsert: true } },
    { deleteOne: { filter: { _id: build.checkpointId } } },
  ]);
  return { position: build.position, eventsApplied: build.eventsApplied };
}
