/**
 * The hand-over of a rebuild (rebuild.ts) to a live runner that has not yet noticed that it lost the lease: an
 * event loop busy under load runs the renewal timer late, so the runner goes on applying batches while the
 * rebuild catches up, switches the rebuilt collections live and moves the checkpoint. None of its writes may
 * land: a referral's analytics fact written then would join a case fact of the collections being replaced
 * and keep `unknown` for the case's network and region (the soak found one such fact in a run in three).
 */
import { quietNestLogger, memoryStoresPerTest } from '../../test/support/projection-stores.js';
import { caseStreamId } from '../cases/case.events.js';
import { institutionStreamId } from '../institutions/institution.events.js';
import type { RecordedEvent } from '../event-store/event-store.port.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import type { Document, ReadStore } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { ANALYTICS_CASES, ANALYTICS_REFERRALS, analyticsProjection } from './analytics/analytics.projection.js';
import { caseTimelineProjection } from './case-timeline/case-timeline.projection.js';
import { directoryProjection } from './directory/directory.projection.js';
import { Lease, projectionLeaseId, unfenced } from './lease.js';
import { ProjectionRunner } from './projection-runner.js';
import { rebuildProjection, rebuildProjections, RebuildRunningError } from './rebuild.js';
import { foldViews, type ViewProjection } from './view-projection.js';
import { eventually } from '../core/testing/eventually.js';

/** A holder whose renewals do not run until `renewing` is set: it believes it holds the lease until a write says otherwise. */
class UnrenewedLease extends Lease {
  renewing = false;
  private refused = false;

  override async acquire(now: Date): Promise<boolean> {
    if (!this.renewing && !this.refused && this.token !== null) return true;
    return super.acquire(now);
  }

  override async stillHeld(): Promise<boolean> {
    const held = await super.stillHeld();
    if (!held) this.refused = true;
    return held;
  }
}

const registered = (institutionId: string, kind: string) => ({ id: crypto.randomUUID(), type: 'InstitutionRegistered', metadata: {}, data: { institutionId, kind } });
const opened = (caseId: string, networkId: string) => ({
  id: crypto.randomUUID(), type: 'CaseOpened', metadata: {},
  data: { caseId, networkId, regionCode: `region-of-${caseId}`, categories: ['PPKS-01'], openedAt: '2026-01-05T08:00:00.000Z' },
});
const requested = (referralId: string) => ({
  id: crypto.randomUUID(), type: 'ReferralRequested', metadata: {},
  data: {
    referralId, fromInstitutionId: 'rt-01', toInstitutionId: 'puskesmas', targetInNetwork: true, urgency: 'normal',
    requestedAt: '2026-01-05T09:00:00.000Z', dueAt: '2026-01-12T09:00:00.000Z',
  },
});


describe('rebuild hand-over', () => {
  quietNestLogger();
  let events: SqliteEventStore;
  let views: SqliteReadStore;
  memoryStoresPerTest((stores) => ({ events, views } = stores));

  it('refuses every write of a runner that lost the lease to a rebuild without noticing: the views end as the log says', async () => {
    const lease = new UnrenewedLease(views, projectionLeaseId(analyticsProjection.name), 'live-replica', 60_000);
    const runner = new ProjectionRunner(analyticsProjection, events, views, { lease, retryMs: 10, maxRetryMs: 40, pollMs: 20, watchMs: 10 });
    await runner.start();
    try {
      await handOver(lease, runner);
    } finally {
      await runner.stop();
    }
  });

  it('rebuilds a projection one of whose views has no documents and no indexes (analytics on a log without institutions)', async () => {
    await events.append(caseStreamId('c1'), [opened('c1', 'network-1')], { expectedRevision: 'no_stream' });
    await views.collection('analytics_institutions').bulkWrite([{ replaceOne: { filter: { _id: 'stale' }, replacement: { _id: 'stale', kind: 'rt' }, upsert: true } }]);
    await rebuildProjection(analyticsProjection, events, views);
    expect(await views.collection('analytics_institutions').find({})).toEqual([]);
    expect((await views.collection(ANALYTICS_CASES).find({})).map(unfenced)).toEqual(foldViews(analyticsProjection, await readLog())[ANALYTICS_CASES]);
  });

  async function readLog(): Promise<RecordedEvent[]> {
    const log: RecordedEvent[] = [];
    for await (const event of events.readAll()) log.push(event);
    return log;
  }

  it('runs one rebuild of a projection at a time: a second one at once is refused, saying why, and one after it works', async () => {
    for (const [id, kind] of [['rt-01', 'rt'], ['puskesmas', 'puskesmas']] as const) {
      await events.append(institutionStreamId(id), [registered(id, kind)], { expectedRevision: 'no_stream' });
    }
    for (const caseId of ['c1', 'c2', 'c3']) await events.append(caseStreamId(caseId), [opened(caseId, 'network-1'), requested(`r-${caseId}`)], { expectedRevision: 'no_stream' });
    const results = await Promise.allSettled([rebuildProjection(analyticsProjection, events, views), rebuildProjection(analyticsProjection, events, views)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((result) => result.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(RebuildRunningError);
    expect(String(refused?.reason)).toMatch(/A rebuild of analytics is already running .*wait for it to finish/);

    await expect(rebuildProjection(analyticsProjection, events, views)).resolves.toMatchObject({ position: await events.headPosition() });
    expect((await views.collection(ANALYTICS_REFERRALS).find({})).map((fact) => fact._id).sort()).toEqual(['r-c1', 'r-c2', 'r-c3']);
  });

  it('rebuilds several projections from one read of the log while live runners follow new writes: each ends as the log says; one already rebuilding elsewhere is refused alone', async () => {
    for (const [id, kind] of [['rt-01', 'rt'], ['puskesmas', 'puskesmas']] as const) {
      await events.append(institutionStreamId(id), [registered(id, kind)], { expectedRevision: 'no_stream' });
    }
    // More cases than the pass keeps between its slowest and fastest readers, so that the fast ones wait.
    await Promise.all(Array.from({ length: 2_500 }, (_, at) => events.append(caseStreamId(`c${at}`), [opened(`c${at}`, 'network-1'), requested(`r-c${at}`)], { expectedRevision: 'no_stream' })));
    const projections: ViewProjection[] = [caseTimelineProjection, directoryProjection, analyticsProjection];
    const runners = projections.map((projection) => new ProjectionRunner(projection, events, views, {
      lease: new Lease(views, projectionLeaseId(projection.name), 'live-replica', 60_000), retryMs: 10, maxRetryMs: 40, pollMs: 20, watchMs: 10,
    }));
    for (const runner of runners) await runner.start();
    const busy = new Lease(views, `rebuild:${directoryProjection.name}`, 'another-host', 60_000);
    expect(await busy.acquire(new Date())).toBe(true);
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await events.append(caseStreamId(`late-${written}`), [opened(`late-${written}`, 'network-2'), requested(`r-late-${written}`)], { expectedRevision: 'no_stream' });
        written++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const outcomes = await rebuildProjections(projections, events, views);
      writing = false;
      await writer;
      expect(outcomes.map((outcome) => [outcome.projection.name, 'result' in outcome ? 'rebuilt' : String(outcome.error)])).toEqual([
        [caseTimelineProjection.name, 'rebuilt'],
        [directoryProjection.name, expect.stringMatching(/A rebuild of directory is already running \(another-host/)],
        [analyticsProjection.name, 'rebuilt'],
      ]);
      expect(written).toBeGreaterThan(0);
      const head = (await events.headPosition())!;
      for (const runner of runners) expect(await runner.reached(head, 10_000)).toBe(true);
      const log = await readLog();
      const byId = (a: Document, b: Document) => a._id.localeCompare(b._id);
      for (const projection of projections) {
        for (const [collection, documents] of Object.entries(foldViews(projection, log))) {
          expect({ collection, documents: (await views.collection(collection).find({})).map(unfenced).sort(byId) }).toEqual({ collection, documents: [...documents].sort(byId) });
        }
      }
      expect((await views.listCollections()).filter((name) => name.endsWith('__rebuild'))).toEqual([]);
    } finally {
      writing = false;
      await writer;
      for (const runner of runners) await runner.stop();
    }
  });

  async function handOver(lease: UnrenewedLease, runner: ProjectionRunner): Promise<void> {
    for (const [id, kind] of [['rt-01', 'rt'], ['puskesmas', 'puskesmas']] as const) {
      await events.append(institutionStreamId(id), [registered(id, kind)], { expectedRevision: 'no_stream' });
    }
    await events.append(caseStreamId('c1'), [opened('c1', 'network-1'), requested('r1')], { expectedRevision: 'no_stream' });
    expect(await runner.reached((await events.headPosition())!, 5_000)).toBe(true);

    // While the rebuild switches collections, the case c2 opens (before the first rename) and is referred (after
    // the last); each time the live runner gets its chance to apply the event, or stands by.
    const appliedOrStoodBy = async (append: () => Promise<{ position: bigint }>) => {
      const { position } = await append();
      await eventually(() => BigInt(runner.status().position ?? -1) >= position || runner.status().state === 'standby', 5_000);
    };
    const switchCount = Object.keys(analyticsProjection.collections).length;
    let renamed = 0;
    const rebuildViews: ReadStore = {
      writesTogetherAtomically: views.writesTogetherAtomically,
      collection: (name) => views.collection(name),
      writeTogether: (writes) => views.writeTogether(writes),
      listCollections: () => views.listCollections(),
      close: async () => {},
      async renameCollection(from, to) {
        if (renamed === 0) await appliedOrStoodBy(() => events.append(caseStreamId('c2'), [opened('c2', 'network-2')], { expectedRevision: 'no_stream' }));
        await views.renameCollection(from, to);
        if (++renamed === switchCount) await appliedOrStoodBy(() => events.append(caseStreamId('c2'), [requested('r2')], { expectedRevision: 0n }));
      },
    };
    await rebuildProjection(analyticsProjection, events, rebuildViews);
    expect(renamed).toBe(switchCount);
    lease.renewing = true;

    const head = (await events.headPosition())!;
    expect(await runner.reached(head, 10_000)).toBe(true);
    const referral = await views.collection(ANALYTICS_REFERRALS).findOne({ _id: 'r2' });
    expect(referral).toMatchObject({ caseId: 'c2', networkId: 'network-2', regionCode: 'region-of-c2', categories: ['PPKS-01'] });
    const log: RecordedEvent[] = [];
    for await (const event of events.readAll()) log.push(event);
    const expected = foldViews(analyticsProjection, log);
    const byId = (a: Document, b: Document) => a._id.localeCompare(b._id);
    for (const [collection, documents] of Object.entries(expected)) {
      expect({ collection, documents: (await views.collection(collection).find({})).map(unfenced).sort(byId) }).toEqual({ collection, documents: [...documents].sort(byId) });
    }
  }
});
