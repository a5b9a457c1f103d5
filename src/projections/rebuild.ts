/**
 * Builds a projection from the start of the log into scratch collections while the live ones keep serving,
 * up to a given position: `projections rebuild` then hands them over without a gap (rebuildProjection);
 * `projections verify` builds up to the live checkpoint instead and compares (verify-projection.ts).
 */
import { EventStoreDecorator, mappedSubscription } from '../event-store/event-store-decorator.js';
import type { EventStore, SubscribeToAllOptions, Subscription, SubscriptionMessage } from '../event-store/event-store.port.js';
import type { ReadStore, ScratchStore } from '../read-store/read-store.port.js';
import type { Projection } from './projection.js';
import { fenced, Lease, leaseOwner, projectionLease } from './lease.js';
import { CHECKPOINTS, ProjectionRunner, type ProjectionStatus } from './projection-runner.js';
import { SharedLogPass } from './shared-log-pass.js';

const SUFFIX = '__rebuild';
/**
 * Events a scratch build applies per transaction (a scratch file's commits are cheap: no sync, journal in
 * memory). 1,000 committed half as often, but a batch's events, documents and writes stay alive while it is
 * folded and written, and V8's young-generation collections copy what is alive: at 1M events they took
 * 10.2–10.9 s with 1,000 and 7.4 s with 500, and the whole rebuild ran 6–8 % faster (two pairs).
 */
const SCRATCH_BATCH = 500;

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

export interface ScratchOptions {
  /** The fencing token every write carries, so that the documents outrank what the live runner writes. */
  readonly fence?: number;
  /** Carry on from the scratch checkpoint instead of starting afresh. */
  readonly resume?: boolean;
  /**
   * `events` already ends at `upTo` by itself (a reader of a shared pass over the log cut there): not cut
   * again, which would put one more async generator between every event and the build.
   */
  readonly endsAtUpTo?: boolean;
}

/**
 * Builds `projection` from the log into collections named with `suffix`, up to `upTo` (nothing when null):
 * afresh, or resuming from where an earlier build stopped. Leaves them with their own checkpoint for the
 * caller to switch or compare, then drop.
 */
export async function buildInScratch(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  suffix: string,
  upTo: bigint | null,
  options: ScratchOptions = {},
  onProgress: (progress: RebuildProgress) => void = () => {},
): Promise<ScratchBuild> {
  const names = scratchNames(projection, suffix);
  if (!options.resume) await dropScratch(projection, views, suffix);

  const head = upTo ?? 0n;
  // A fresh build is a bulk load: no index is kept up to date while it runs (each document write would update
  // every index); each is built in one pass over the documents once the build reaches `upTo`, before anything
  // is switched or compared. A build that resumes finds them there (or creates them) and keeps them up to date.
  const bulkLoad = !options.resume;
  // Where the store offers one, a bulk load is built apart, then moved in whole with its checkpoint.
  const scratch = bulkLoad ? await views.scratch?.() : undefined;
  const target = scratch ?? views;
  let status: ProjectionStatus;
  try {
    const runner = new ProjectionRunner(bulkLoad ? withoutIndexes(projection) : projection, options.endsAtUpTo ? events : new LogUpTo(events, upTo), target, {
      ...names, batchSize: SCRATCH_BATCH, ...(options.fence === undefined ? {} : { fence: options.fence }),
    });
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
    if (bulkLoad) await createIndexes(projection, target, names);
    if (scratch) await moveOut(projection, scratch, names);
    status = runner.status();
  } finally {
    await scratch?.close();
  }
  onProgress({ applied: BigInt(status.position ?? '0'), head });
  return { ...names, position: status.position === null ? null : BigInt(status.position), eventsApplied: status.eventsApplied };
}

/** Moves a build from `scratch` into the store that made it: its collections, and its checkpoint as it stands. */
async function moveOut(projection: Projection, scratch: ScratchStore, { collectionName, checkpointId }: ScratchNames): Promise<void> {
  const checkpoint = await scratch.collection(CHECKPOINTS).findOne({ _id: checkpointId });
  await scratch.moveOut(Object.keys(projection.collections).map(collectionName), checkpoint ? [{
    collection: CHECKPOINTS, operations: [{ replaceOne: { filter: { _id: checkpointId }, replacement: checkpoint, upsert: true } }],
  }] : []);
}

/** The projection as a bulk load runs it: the same writes, its collections declared without indexes. */
function withoutIndexes(projection: Projection): Projection {
  return {
    name: projection.name,
    collections: Object.fromEntries(Object.keys(projection.collections).map((name) => [name, []])),
    ...(projection.filter ? { filter: projection.filter } : {}),
    project: (batch, collections) => projection.project(batch, collections),
  };
}

async function createIndexes(projection: Projection, views: ReadStore, { collectionName }: ScratchNames): Promise<void> {
  for (const [name, indexes] of Object.entries(projection.collections)) await views.collection(collectionName(name)).createIndexes(indexes);
}

/** Removes a scratch build: its collections and its checkpoint. */
export async function dropScratch(projection: Projection, views: ReadStore, suffix: string): Promise<void> {
  const { collectionName, checkpointId } = scratchNames(projection, suffix);
  for (const name of Object.keys(projection.collections)) await views.collection(collectionName(name)).drop();
  await views.collection(CHECKPOINTS).bulkWrite([{ deleteOne: { filter: { _id: checkpointId } } }]);
}

/** Another rebuild of the same projection is under way (from this host or another): one at a time. */
export class RebuildRunningError extends Error {
  constructor(readonly projection: string, readonly holder: string, readonly until: string) {
    super(`A rebuild of ${projection} is already running (${holder}, its lease runs to ${until}): wait for it to finish, or for its lease to run out if it died`);
    this.name = 'RebuildRunningError';
  }
}

/** How long a rebuild that died on another host keeps others from rebuilding the same projection. */
const REBUILD_LEASE_TTL_MS = 30_000;

export interface RebuildResult {
  readonly position: bigint | null;
  readonly eventsApplied: number;
}

/** What one projection's rebuild came to, among several: its result, or why it failed. */
export type RebuildOutcome =
  | { readonly projection: Projection; readonly result: RebuildResult }
  | { readonly projection: Projection; readonly error: unknown };

/**
 * Rebuilds `projection` from the log while the service runs, losing nothing written meanwhile:
 * 1. builds it from the start of the log to its head in scratch collections, beside the live views, which keep
 *    serving and following the log; every document carries a fencing token above the live runner's;
 * 2. takes the projection's lease from whichever replica runs it (its later writes are refused by the fence),
 *    catches the scratch collections up to the head of that moment, switches them live and moves the live
 *    checkpoint to where they stop, then gives the lease back: the runner that takes it next carries on from
 *    there, into the rebuilt collections.
 * Events written during step 1 are applied in step 2; those written after the hand-over, by the runner.
 * One rebuild of a projection at a time (a lease of its own, else RebuildRunningError); both leases are
 * renewed while it works, and the final checkpoint write is refused if either was lost meanwhile.
 */
export async function rebuildProjection(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  onProgress: (progress: RebuildProgress) => void = () => {},
): Promise<RebuildResult> {
  const [outcome] = await rebuildProjections([projection], events, views, (_projection, progress) => onProgress(progress));
  if ('error' in outcome!) throw outcome.error;
  return outcome!.result;
}

/**
 * Rebuilds several projections as rebuildProjection does each, reading the log once for all their first
 * builds (step 1, shared-log-pass.ts); each keeps its own scratch collections, checkpoint, fencing token and
 * leases, and is then caught up and handed over on its own, one after another (step 2), so each live runner
 * stands down only for its own hand-over. A projection whose rebuild is refused (RebuildRunningError) or fails
 * does not stop the others: each one's outcome is answered, in the order given.
 */
export async function rebuildProjections(
  projections: readonly Projection[],
  events: EventStore,
  views: ReadStore,
  onProgress: (projection: Projection, progress: RebuildProgress) => void = () => {},
): Promise<RebuildOutcome[]> {
  const owner = leaseOwner();
  const claiming = await Promise.allSettled(projections.map((projection) => claimRebuild(projection, views, owner)));
  const claims = claiming.flatMap((claim) => (claim.status === 'fulfilled' ? [claim.value] : []));
  const claimed = claims.filter((claim): claim is RebuildClaim => !(claim instanceof Error));
  const releaseAll = () => Promise.all(claimed.map((claim) => claim.release()));
  const unclaimed = claiming.find((claim) => claim.status === 'rejected');
  if (unclaimed) {
    // The read store failed: give back what was taken, then fail as a single rebuild would.
    await releaseAll();
    throw unclaimed.reason;
  }
  const heavyWritesEnd = views.writeHeavily?.();
  try {
    const head = await events.headPosition();
    // Alone, a build reads the log by itself; together, each reads through its own reader of one pass.
    const pass = claimed.length > 1 ? new SharedLogPass(new LogUpTo(events, head)) : null;
    const readers = claimed.map(() => pass?.reader() ?? null);
    const fences = await Promise.all(claimed.map((claim) => claim.lease.reserveToken()));
    const firsts = await Promise.allSettled(claimed.map(async (claim, at) => {
      const reader = readers[at] ?? null;
      try {
        // A reader of the pass ends at `head` already, whether it shares the pass or reads the log again by itself.
        return await buildInScratch(claim.projection, reader ?? events, views, SUFFIX, head, { fence: fences[at]!, endsAtUpTo: reader !== null }, (progress) => onProgress(claim.projection, progress));
      } finally {
        reader?.leave();
      }
    }));
    const outcomes = new Map<Projection, RebuildOutcome>();
    for (const [at, claim] of claimed.entries()) {
      const first = firsts[at]!;
      if (first.status === 'rejected') {
        outcomes.set(claim.projection, { projection: claim.projection, error: first.reason });
        continue;
      }
      try {
        const result = await handOver(claim, first.value, events, views, (progress) => onProgress(claim.projection, progress));
        outcomes.set(claim.projection, { projection: claim.projection, result });
      } catch (error) {
        outcomes.set(claim.projection, { projection: claim.projection, error });
      }
    }
    return projections.map((projection, at) => {
      const claim = claims[at]!;
      return claim instanceof Error ? { projection, error: claim } : outcomes.get(projection)!;
    });
  } finally {
    heavyWritesEnd?.();
    await releaseAll();
  }
}

/** A projection's rebuild under way: its own lease (one rebuild at a time) and the projection's, both renewed. */
interface RebuildClaim {
  readonly projection: Projection;
  readonly only: Lease;
  readonly lease: Lease;
  /** From now on the projection's lease is renewed too. */
  takenOver(): void;
  release(): Promise<void>;
}

async function claimRebuild(projection: Projection, views: ReadStore, owner: string): Promise<RebuildClaim | RebuildRunningError> {
  const only = new Lease(views, `rebuild:${projection.name}`, owner, REBUILD_LEASE_TTL_MS);
  if (!(await only.acquire(new Date()))) {
    const holder = await only.holder(new Date());
    return new RebuildRunningError(projection.name, holder?.owner ?? 'another process', holder?.expiresAt ?? 'now');
  }
  const lease = projectionLease(views, projection, owner);
  let takenOver = false;
  // Both leases kept while the build runs: a failed renewal shows in the final, guarded write.
  const renewal = setInterval(() => {
    void only.acquire(new Date()).catch(() => false);
    if (takenOver) void lease.acquire(new Date()).catch(() => false);
  }, Math.min(REBUILD_LEASE_TTL_MS, lease.ttlMs) / 3);
  return {
    projection, only, lease,
    takenOver: () => (takenOver = true),
    release: async () => {
      clearInterval(renewal);
      await lease.release();
      await only.release();
    },
  };
}

/** Step 2: takes the projection's lease over, catches the scratch build up to the head, switches it live. */
async function handOver(
  { projection, only, lease, takenOver }: RebuildClaim,
  first: ScratchBuild,
  events: EventStore,
  views: ReadStore,
  onProgress: (progress: RebuildProgress) => void,
): Promise<RebuildResult> {
  await takeOver(lease);
  takenOver();
  const build = await buildInScratch(projection, events, views, SUFFIX, await events.headPosition(), { fence: lease.token!, resume: true }, onProgress);
  if (!(await lease.stillHeld()) || !(await only.stillHeld())) throw new Error(`The rebuild of ${projection.name} lost its lease before the switch; nothing was switched: run it again`);
  // The runner created the scratch collections' indexes; they move with the rename.
  for (const name of Object.keys(projection.collections)) await views.renameCollection(build.collectionName(name), name);
  await views.writeTogether([
    lease.holding(lease.token!),
    only.holding(only.token!),
    {
      collection: CHECKPOINTS,
      operations: [
        fenced({ replaceOne: { filter: { _id: projection.name }, replacement: { _id: projection.name, position: build.position?.toString() ?? '0', updatedAt: new Date().toISOString() }, upsert: true } }, lease.token!),
        { deleteOne: { filter: { _id: build.checkpointId } } },
      ],
    },
  ]);
  return { position: build.position, eventsApplied: first.eventsApplied + build.eventsApplied };
}

/** Takes the lease from whoever holds it (retrying a compare-and-set that another change beat). */
async function takeOver(lease: Lease): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await lease.preempt(new Date())) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Could not take the lease ${lease.name} over: it keeps changing`);
}
