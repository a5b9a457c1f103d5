/**
 * The outbox decides at every position as the log says things were then: a subscription gets no news from
 * before it was made nor after it was deleted, only its scope's, and a replay of the log (a crash before the
 * checkpoint was written, with routes already ahead) queues nothing twice and nothing it should not.
 */
import { CommandHandling } from '../../core/command-handling.js';
import type { EventStore } from '../../event-store/event-store.port.js';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../read-store/sqlite/sqlite-read-store.js';
import type { WebhookEvent } from '../webhook.events.js';
import { WEBHOOK_DELIVERIES, type DeliveryDocument } from './deliveries.js';
import { WEBHOOK_OUTBOX, WEBHOOK_ROUTES, WebhookOutbox, type Route } from './webhook-outbox.js';

const AT = '2026-11-02T08:00:00.000Z';
let sequence = 0;

async function append(store: EventStore, streamId: string, type: string, data: unknown): Promise<bigint> {
  const result = await store.append(streamId, [{ id: `event-${++sequence}`, type, data, metadata: { occurredAt: AT } }], { expectedRevision: 'any' });
  return result.position;
}

const subscribed = (subscriptionId: string, scope: Extract<WebhookEvent, { type: 'WebhookSubscribed' }>['data']['scope']) => ({
  subscriptionId, url: 'https://gateway.example.org/hook', eventKinds: ['referral.requested', 'referral.accepted', 'referral.started', 'referral.completed'],
  scope, description: null, secretId: 's', at: AT,
});
const onReferral = { referralId: 'ref-1', at: AT };

describe('webhook outbox', () => {
  let events: SqliteEventStore;
  let views: SqliteReadStore;
  let queued = 0;
  beforeEach(() => {
    events = new SqliteEventStore(':memory:', { pollIntervalMs: 10 });
    views = new SqliteReadStore(':memory:');
  });
  afterEach(async () => {
    await events.close();
    await views.close();
  });

  async function runTo(head: bigint): Promise<void> {
    const outbox = new WebhookOutbox(events, views, new CommandHandling(events), { publicUrl: 'https://rujukan.example.org', now: () => new Date(AT), onQueued: () => queued++ });
    await outbox.start();
    for (const deadline = Date.now() + 5_000; (outbox.position ?? -1n) < head;) {
      if (Date.now() > deadline) throw new Error(`the outbox stopped at ${outbox.position}`);
      await new Promise((done) => setTimeout(done, 10));
    }
    await outbox.stop();
  }
  const queuedFor = async (subscriptionId: string) =>
    (await views.collection<DeliveryDocument>(WEBHOOK_DELIVERIES).find({ subscriptionId }, { sort: { order: 1 } })).map((delivery) => delivery.kind);

  it('queues for each subscription, in its scope, the news between its subscription and its deletion; a replay queues nothing twice', async () => {
    await append(events, 'case-c1', 'CaseOpened', {
      caseId: 'c1', networkId: 'wksbm-1', ownerInstitutionId: 'rw-03', subjectId: 's1', regionCode: '33.71.01.1008', categories: [], urgency: 'high', openedAt: AT,
      personal: { subject: { name: 'Siti' }, description: 'x' },
    });
    await append(events, 'case-c1', 'ReferralRequested', {
      referralId: 'ref-1', fromInstitutionId: 'rw-03', toInstitutionId: 'puskesos', urgency: 'high', requestedAt: AT, dueAt: AT,
      targetInNetwork: true, consentId: 'k', emergencyOverride: false, personal: { reason: 'x' },
    });
    await append(events, 'webhook-puskesos', 'WebhookSubscribed', subscribed('puskesos', { level: 'institution', institutionId: 'puskesos' }));
    await append(events, 'webhook-posyandu', 'WebhookSubscribed', subscribed('posyandu', { level: 'institution', institutionId: 'posyandu' }));
    await append(events, 'webhook-other-network', 'WebhookSubscribed', subscribed('other-network', { level: 'network', networkId: 'wksbm-2' }));
    await append(events, 'webhook-network', 'WebhookSubscribed', subscribed('network', { level: 'network', networkId: 'wksbm-1' }));
    await append(events, 'case-c1', 'ReferralAccepted', onReferral);
    await append(events, 'webhook-puskesos', 'WebhookPaused', { subscriptionId: 'puskesos', at: AT });
    await append(events, 'case-c1', 'ReferralStarted', onReferral);
    await append(events, 'webhook-puskesos', 'WebhookDeleted', { subscriptionId: 'puskesos', at: AT });
    const head = await append(events, 'case-c1', 'ReferralCompleted', { ...onReferral, outcome: 'resolved', personal: { summary: 'x' } });

    await runTo(head);
    const expected = { puskesos: ['referral.accepted', 'referral.started'], posyandu: [], 'other-network': [], network: ['referral.accepted', 'referral.started', 'referral.completed'] };
    const actual = async () => Object.fromEntries(await Promise.all(Object.keys(expected).map(async (id) => [id, await queuedFor(id)])));
    expect(await actual()).toEqual(expected);
    expect(queued).toBeGreaterThan(0);

    // A crash after the routes were written but before the checkpoint: the whole log again, with routes ahead.
    await views.collection(WEBHOOK_OUTBOX).bulkWrite([{ deleteOne: { filter: { _id: 'checkpoint' } } }]);
    expect((await views.collection<Route>(WEBHOOK_ROUTES).findOne({ _id: 'puskesos' }))!.state.status).toBe('deleted');
    await runTo(head);
    expect(await actual()).toEqual(expected);
    expect(await views.collection(WEBHOOK_DELIVERIES).countDocuments()).toBe(5);
  });

  it('writes the checkpoint of events nobody subscribed to within a second and when it stops, not once per batch', async () => {
    const outbox = new WebhookOutbox(events, views, new CommandHandling(events), { publicUrl: 'https://rujukan.example.org', now: () => new Date(AT), onQueued: () => queued++ });
    const stored = async () => (await views.collection<{ _id: string; position: string }>(WEBHOOK_OUTBOX).findOne({ _id: 'checkpoint' }))?.position;
    await outbox.start();
    const started = performance.now();
    const first = await append(events, 'case-q1', 'CaseNoteAdded', { noteId: 'n-0', at: AT });
    for (const deadline = Date.now() + 5_000; (outbox.position ?? -1n) < first;) {
      if (Date.now() > deadline) throw new Error(`the outbox stopped at ${outbox.position}`);
      await new Promise((done) => setTimeout(done, 10));
    }
    let head = first;
    for (let note = 1; note <= 20; note++) {
      head = await append(events, 'case-q1', 'CaseNoteAdded', { noteId: `n-${note}`, at: AT });
      await new Promise((done) => setTimeout(done, 5));
    }
    for (const deadline = Date.now() + 5_000; (outbox.position ?? -1n) < head;) {
      if (Date.now() > deadline) throw new Error(`the outbox stopped at ${outbox.position}`);
      await new Promise((done) => setTimeout(done, 10));
    }
    // Applied in memory at once; stored within the quiet interval, not with every batch.
    if (performance.now() - started < 800) expect(BigInt((await stored()) ?? -1)).toBeLessThan(head);
    else console.log('The outbox took over 800 ms to apply 21 notes (a busy machine): the quiet interval may have passed, so an early write is not checked');
    for (const deadline = Date.now() + 5_000; (await stored()) !== head.toString();) {
      if (Date.now() > deadline) throw new Error(`the stored checkpoint stayed at ${await stored()}`);
      await new Promise((done) => setTimeout(done, 50));
    }

    const last = await append(events, 'case-q1', 'CaseNoteAdded', { noteId: 'n-last', at: AT });
    for (const deadline = Date.now() + 5_000; (outbox.position ?? -1n) < last;) {
      if (Date.now() > deadline) throw new Error(`the outbox stopped at ${outbox.position}`);
      await new Promise((done) => setTimeout(done, 10));
    }
    await outbox.stop();
    expect(await stored()).toBe(last.toString());
  });
});
