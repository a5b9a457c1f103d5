/**
 * The delivery queue on each read store (the embedded twin always, MongoDB when reachable): a message is
 * queued once, each case's lane goes in order, attempts are recorded once, dead letters can be sent again.
 */
import { randomUUID } from 'node:crypto';
import { describeWithServer, mongoForSpecs } from '../../../test/support/servers.js';
import { MongoReadStore } from '../../read-store/mongodb/mongodb-read-store.js';
import type { ReadStore } from '../../read-store/read-store.port.js';
import { SqliteReadStore } from '../../read-store/sqlite/sqlite-read-store.js';
import type { WebhookMessage } from '../webhook-messages.js';
import { Deliveries, deliveryId, enqueue, WEBHOOK_DELIVERIES } from './deliveries.js';

const T0 = '2026-11-02T08:00:00.000Z';
const T1 = '2026-11-02T08:01:00.000Z';
const LATER = '2026-11-02T09:00:00.000Z';

const message = (id: string, caseId = 'case-1'): WebhookMessage => ({
  messageId: `msg_${id}`, kind: 'referral.requested', caseId, networkId: 'wksbm-1', institutionIds: ['rw-03'], body: JSON.stringify({ type: 'referral.requested', data: { id } }),
});
const attempt = (statusCode: number | null, at = T0) => ({ at, statusCode, error: statusCode === null ? 'connection refused' : null, latencyMs: 3 });

function describeDeliveries(name: string, open: () => Promise<ReadStore>): void {
  describe(`delivery queue (${name})`, () => {
    let views: ReadStore;
    let deliveries: Deliveries;
    beforeEach(async () => {
      views = await open();
      deliveries = new Deliveries(views);
      await deliveries.createIndexes();
    });
    afterEach(() => views.close());

    const queue = async (...entries: [WebhookMessage, number][]) =>
      views.collection(WEBHOOK_DELIVERIES).bulkWrite(entries.map(([one, order]) => enqueue('wh-1', one, order, T0)));
    const get = async (id: string) => (await deliveries.find('wh-1', deliveryId('wh-1', `msg_${id}`)))!;

    it('queues a message once, however often the log is replayed', async () => {
      expect((await queue([message('a'), 10])).upserted).toBe(1);
      expect((await queue([message('a'), 10])).upserted).toBe(0);
      expect(await deliveries.counts('wh-1')).toEqual({ pending: 1, delivered: 0, dead: 0, oldestPendingAt: T0, lastDeliveredAt: null });
    });

    it('keeps a lane in order: a later message waits for the first to be delivered, then goes at once', async () => {
      await queue([message('a'), 10], [message('b'), 20], [message('other', 'case-2'), 15]);
      const first = await get('a');
      expect((await deliveries.due('wh-1', T0, 10)).map((one) => one.messageId)).toEqual(['msg_a', 'msg_other', 'msg_b']);
      expect(await deliveries.before(await get('b'))).toMatchObject({ messageId: 'msg_a' });
      expect(await deliveries.before(await get('other'))).toBeNull();

      expect(await deliveries.recordAttempt(first, attempt(503), { status: 'pending', nextAttemptAt: LATER })).toBe(true);
      await deliveries.park(await get('b'), LATER);
      expect((await deliveries.due('wh-1', T1, 10)).map((one) => one.messageId)).toEqual(['msg_other']);

      const retried = await get('a');
      expect(retried).toMatchObject({ attemptCount: 1, firstAttemptAt: T0, nextAttemptAt: LATER, attempts: [attempt(503)] });
      expect(await deliveries.recordAttempt(retried, attempt(204, T1), { status: 'delivered' })).toBe(true);
      await deliveries.wakeNext(retried, T1);
      expect(await deliveries.before(await get('b'))).toBeNull();
      expect((await deliveries.due('wh-1', T1, 10)).map((one) => one.messageId)).toEqual(['msg_other', 'msg_b']);
      expect(await get('a')).toMatchObject({ status: 'delivered', deliveredAt: T1, firstAttemptAt: T0, attempts: [attempt(503), attempt(204, T1)] });
    });

    it('records an attempt once: a sender that read the message before another recorded it changes nothing', async () => {
      await queue([message('a'), 10]);
      const stale = await get('a');
      expect(await deliveries.recordAttempt(stale, attempt(204), { status: 'delivered' })).toBe(true);
      expect(await deliveries.recordAttempt(stale, attempt(500), { status: 'pending', nextAttemptAt: LATER })).toBe(false);
      expect(await get('a')).toMatchObject({ status: 'delivered', attemptCount: 1 });
    });

    it('sends dead letters again, or any one message, with a new retry window', async () => {
      await queue([message('a'), 10], [message('b'), 20]);
      await deliveries.recordAttempt(await get('a'), attempt(500), { status: 'dead' });
      await deliveries.recordAttempt(await get('b'), attempt(204), { status: 'delivered' });
      expect(await deliveries.counts('wh-1')).toMatchObject({ pending: 0, delivered: 1, dead: 1, lastDeliveredAt: T0 });

      expect(await deliveries.redeliver('wh-1', T1)).toBe(1);
      expect(await get('a')).toMatchObject({ status: 'pending', nextAttemptAt: T1, firstAttemptAt: null, deadAt: null, attempts: [attempt(500)] });
      expect(await deliveries.redeliver('wh-1', T1, deliveryId('wh-1', 'msg_b'))).toBe(1);
      expect(await get('b')).toMatchObject({ status: 'pending', nextAttemptAt: T1 });
      expect(await deliveries.redeliver('wh-2', T1, deliveryId('wh-1', 'msg_b'))).toBe(0);
    });

    it("drops a deleted subscription's messages still to be sent", async () => {
      await queue([message('a'), 10], [message('b'), 20]);
      await deliveries.recordAttempt(await get('a'), attempt(204), { status: 'delivered' });
      expect(await deliveries.drop('wh-1')).toBe(1);
      expect(await deliveries.drop('wh-1')).toBe(0);
      expect((await get('b')).status).toBe('dropped');
      expect((await get('a')).status).toBe('delivered');
    });

    it('pages a subscription\'s log newest first, by status', async () => {
      await views.collection(WEBHOOK_DELIVERIES).bulkWrite([enqueue('wh-1', message('a'), 10, T0), enqueue('wh-1', message('b'), 20, T1), enqueue('wh-2', message('c'), 30, T1)]);
      const page = await deliveries.page('wh-1', undefined, { cursor: null, limit: 1 });
      expect(page.items.map((one) => one.messageId)).toEqual(['msg_b']);
      const next = await deliveries.page('wh-1', undefined, { cursor: page.nextCursor, limit: 1 });
      expect(next.items.map((one) => one.messageId)).toEqual(['msg_a']);
      expect((await deliveries.page('wh-1', 'delivered', { cursor: null, limit: 10 })).items).toEqual([]);
    });
  });
}

describeDeliveries('sqlite', async () => new SqliteReadStore(':memory:'));

const server = mongoForSpecs();
describeWithServer('delivery queue on mongodb', server.skipReason, () => {
  describeDeliveries(`mongodb (${server.url})`, () => MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`));
});
