/**
 * The whole service on the production event store adapter (eventstoredb), talking to the gRPC test double
 * over a real connection: the demo network seeds, a referral goes round the loop, retries stay single,
 * the views follow, subscriptions the server drops under load are taken up again from the checkpoint (the
 * views then equal a fresh offline rebuild), and an outage answers 503 with Retry-After until the server is back.
 */
import { findChainBreak } from '../src/core/event-envelope.js';
import { SERVICE_STREAM_PREFIXES } from '../src/event-catalog.js';
import { EventStoreDbEventStore } from '../src/event-store/eventstoredb/eventstoredb-event-store.js';
import { startEventStoreDbDouble, type EventStoreDbDouble } from './support/eventstoredb-double/eventstoredb-double.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { Scenario } from './support/scenario.js';
import { TestApp, type Response } from './support/test-app.js';
import { offlineViews, snapshotViews } from './support/views.js';
import { READ_STORE, type ReadStore } from '../src/read-store/read-store.port.js';
import { PROJECTIONS } from '../src/projections/projections.service.js';

let double: EventStoreDbDouble;
let t: TestApp;
let owner: string;
let puskesos: string;

beforeAll(async () => {
  double = await startEventStoreDbDouble();
  const eventStore = new EventStoreDbEventStore(double.url, { serviceStreamPrefixes: SERVICE_STREAM_PREFIXES, deadlineMs: 1_500, backoffMs: 50, maxBackoffMs: 500 });
  t = await TestApp.start({ eventStore });
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
});
afterAll(async () => {
  await t?.stop();
  await double?.stop();
});

async function openCase(headers: Record<string, string> = {}): Promise<{ status: number; id: string; replayed: boolean }> {
  const response = await new Scenario(t).requestCase(owner, {
    subject: { name: 'Warga', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'Needs help with daily living',
  }, headers);
  return { status: response.status, id: response.body?.id, replayed: response.headers['idempotent-replayed'] === 'true' };
}

describe('the service on EventStoreDB (eventstoredb, against the gRPC test double)', () => {
  it('runs a referral round the loop, stores it as a verifiable stream, and serves the views', async () => {
    const opened = await openCase();
    expect(opened.status).toBe(201);
    const caseId = opened.id;
    expect((await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' })).status).toBe(201);
    const referred = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' });
    expect(referred.status).toBe(201);
    const referralId = referred.body.referralId;
    expect((await t.post(`/cases/${caseId}/referrals/${referralId}/accept`, puskesos)).status).toBe(200);

    const view = await t.get(`/cases/${caseId}`, owner);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: caseId, status: 'open', referrals: [{ id: referralId, toInstitutionId: PUSKESOS, status: 'accepted' }], revision: '3' });
    const inbox = await t.get(`/institutions/${PUSKESOS}/inbox`, puskesos);
    expect(inbox.body.items.map((item: { referralId: string }) => item.referralId)).toContain(referralId);

    const events = await t.stream(`case-${caseId}`);
    expect(events.map((event) => event.type)).toEqual(['CaseOpened', 'ConsentRecorded', 'ReferralRequested', 'ReferralAccepted']);
    expect(findChainBreak(events)).toBeNull();
    // Subscriptions ask the server for the service's streams only: every stream written must be one of them.
    const written = new Set(double.log.map((event) => event.streamName).filter((stream) => !stream.startsWith('$')));
    expect([...written].filter((stream) => !SERVICE_STREAM_PREFIXES.some((prefix) => stream.startsWith(prefix)))).toEqual([]);
  });

  it('stores a retried command once, and answers the retry with the first response', async () => {
    const key = { 'idempotency-key': `retry-${Date.now()}` };
    const first = await openCase(key);
    const retry = await openCase(key);

    expect(first).toMatchObject({ status: 201, replayed: false });
    expect(retry).toMatchObject({ status: 201, replayed: true, id: first.id });
    expect(await t.stream(`case-${first.id}`)).toHaveLength(1);
  });

  it('takes dropped subscriptions up again from the checkpoint under load: the views miss nothing and double nothing', async () => {
    let writing = true;
    const acknowledged: { id: string; position: bigint }[] = [];
    // As a client does: a command answered 503 (the server slow to answer an append on a busy machine) is sent again under its key.
    const untilAcknowledged = async (send: (headers: Record<string, string>) => Promise<Response>, key: string) => {
      for (let attempt = 1; ; attempt++) {
        const response = await send({ 'idempotency-key': key });
        if (response.status !== 503 || attempt === 10) return response;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const writer = async (number: number) => {
      for (let round = 0; writing; round++) {
        const key = (step: string) => `drop-${number}-${round}-${step}`;
        const opened = await untilAcknowledged((headers) => t.post('/cases', owner, {
          networkId: NETWORK, subject: { name: 'Warga', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
        }, headers), key('open'));
        expect(opened.status).toBe(201);
        const caseId = opened.body.id as string;
        const referral = await untilAcknowledged((headers) => t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x', emergencyOverride: { reason: 'no time' } }, headers), key('refer'));
        expect(referral.status).toBe(201);
        const accepted = await untilAcknowledged((headers) => t.post(`/cases/${caseId}/referrals/${referral.body.referralId}/accept`, puskesos, {}, headers), key('accept'));
        expect(accepted.status).toBe(200);
        acknowledged.push({ id: caseId, position: BigInt(accepted.body.position) });
      }
    };
    const writers = Promise.all([0, 1, 2].map(writer));
    try {
      // Three drops while the writers keep going, each once the projections have subscribed again.
      for (let drop = 0; drop < 3; drop++) {
        await new Promise((resolve) => setTimeout(resolve, 400));
        const open = double.openSubscriptions;
        expect(open).toBeGreaterThanOrEqual(PROJECTIONS.length);
        double.dropSubscriptions();
        expect(double.openSubscriptions).toBe(0);
        for (const started = Date.now(); double.openSubscriptions < open && Date.now() - started < 10_000;) await new Promise((resolve) => setTimeout(resolve, 25));
        expect(double.openSubscriptions).toBeGreaterThanOrEqual(open);
      }
    } finally {
      writing = false;
      await writers;
    }
    expect(acknowledged.length).toBeGreaterThan(3);

    const head = (await t.store.headPosition())!;
    const ready = await t.get('/health/ready', owner, { 'x-min-position': head.toString() });
    expect(ready.status).toBe(200);
    for (const { id } of acknowledged) {
      const view = await t.get(`/cases/${id}`, owner);
      expect(view.body).toMatchObject({ id, referrals: [{ status: 'accepted' }], revision: '2' });
    }
    expect(await snapshotViews(t.app.get<ReadStore>(READ_STORE))).toEqual(await offlineViews(t.store, head));
  }, 60_000);

  it('answers 503 with Retry-After while the server is down, and carries on when it is back', async () => {
    const port = double.port;
    const log = double.log;
    await double.stop();

    const started = Date.now();
    const refused = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Warga', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'Needs help' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Date.now() - started).toBeLessThan(8_000);

    double = await startEventStoreDbDouble({ port, log });
    const opened = await openCase();
    expect(opened.status).toBe(201);
    // The projections' subscriptions reconnected by themselves: the new case shows up in the view.
    const view = await t.get(`/cases/${opened.id}`, owner);
    expect(view.status).toBe(200);
  }, 30_000);
});
