import { quietNestLogger } from '../../../test/support/projection-stores.js';
import { caseStreamId } from '../../cases/case.events.js';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../read-store/sqlite/sqlite-read-store.js';
import { ProjectionRunner } from '../projection-runner.js';
import { ANALYTICS_CASES, ANALYTICS_REFERRALS, analyticsProjection } from './analytics.projection.js';

const opened = (caseId: string) => ({
  id: crypto.randomUUID(), type: 'CaseOpened', metadata: {},
  data: { caseId, networkId: 'network-1', regionCode: '33.71', categories: ['PPKS-01'], openedAt: '2026-01-05T08:00:00.000Z' },
});
const requested = (referralId: string) => ({
  id: crypto.randomUUID(), type: 'ReferralRequested', metadata: {},
  data: {
    referralId, fromInstitutionId: 'rt-01', toInstitutionId: 'puskesmas', targetInNetwork: true, urgency: 'normal',
    requestedAt: '2026-01-05T09:00:00.000Z', dueAt: '2026-01-12T09:00:00.000Z',
  },
});

describe('analytics projection', () => {
  quietNestLogger();

  it('halts at a referral whose case fact the views lost, instead of writing it without network and region', async () => {
    const events = new SqliteEventStore(':memory:', { pollIntervalMs: 20 });
    const views = new SqliteReadStore(':memory:');
    const runner = new ProjectionRunner(analyticsProjection, events, views, { retryMs: 10, maxRetryMs: 40, pollMs: 20, watchMs: 10 });
    try {
      await runner.start();
      const { position: openedAt } = await events.append(caseStreamId('c1'), [opened('c1')], { expectedRevision: 'no_stream' });
      expect(await runner.reached(openedAt, 5_000)).toBe(true);
      await views.collection(ANALYTICS_CASES).bulkWrite([{ deleteOne: { filter: { _id: 'c1' } } }]);

      const { position: requestedAt } = await events.append(caseStreamId('c1'), [requested('r1')], { expectedRevision: 0n });
      expect(await runner.reached(requestedAt, 5_000)).toBe(false);
      expect(runner.status()).toMatchObject({ state: 'halted', position: openedAt.toString(), halted: { position: requestedAt.toString(), eventType: 'ReferralRequested', error: 'MissingJoinError' } });
      expect(await views.collection(ANALYTICS_REFERRALS).find({})).toEqual([]);
    } finally {
      await runner.stop();
      await Promise.all([events.close(), views.close()]);
    }
  });
});
