/**
 * Webhooks against real HTTP receivers on loopback ports (WEBHOOK_ALLOW_LOOPBACK): subscriptions, signed
 * deliveries verified with the standardwebhooks package, order per case, scopes, no personal data, retries of
 * failing, slow and absent receivers, 410, dead letters and redelivery, SLA warnings, SSRF refusals, metrics.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { WebhookDispatcher } from '../src/webhooks/delivery/webhook-dispatcher.js';
import { DINSOS, NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { freePort } from './support/free-port.js';
import { SAMPLE_NIK, SECRET, TestApp } from './support/test-app.js';
import { Receiver, type Answer, type ReceivedRequest } from './support/webhook-receiver.js';

const KELURAHAN = '33.71.01.1008';
const ALL_KINDS = [
  'referral.requested', 'referral.accepted', 'referral.declined', 'referral.cancelled', 'referral.started', 'referral.on_hold', 'referral.resumed',
  'referral.completed', 'referral.failed', 'referral.expired', 'referral.acknowledged', 'referral.due_soon', 'case.escalated', 'case.closed', 'case.reopened',
];

/** Everything personal the specs write: no payload may contain any of it. */
const PERSONAL: string[] = [];
const personal = (value: string): string => {
  PERSONAL.push(value);
  return value;
};

interface Tokens {
  readonly owner: string;
  readonly puskesos: string;
  readonly posyandu: string;
  readonly coordinator: string;
  readonly dinsos: string;
  readonly admin: string;
  readonly auditor: string;
}

async function tokensOf(t: TestApp): Promise<Tokens> {
  return {
    owner: await t.token({ role: 'caseworker', institutionId: OWNER }),
    puskesos: await t.token({ role: 'caseworker', institutionId: PUSKESOS }),
    posyandu: await t.token({ role: 'caseworker', institutionId: POSYANDU }),
    coordinator: await t.token({ role: 'coordinator', networkId: NETWORK }),
    dinsos: await t.token({ role: 'dinsos', institutionId: DINSOS }),
    admin: await t.token({ role: 'admin' }),
    auditor: await t.token({ role: 'auditor' }),
  };
}

async function subscribe(t: TestApp, token: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await t.post('/webhooks', token, { eventKinds: ALL_KINDS, ...body });
  if (response.status !== 201) throw new Error(`subscribe: ${response.status} ${JSON.stringify(response.body)}`);
  return { id: response.body.id, secret: response.body.secret };
}

/** A case of RW 03 with the network's consent and a referral to the Puskesos. */
async function referredCase(t: TestApp, tokens: Tokens, label: string, urgency?: string): Promise<{ caseId: string; referralId: string }> {
  const opened = await t.post('/cases', tokens.owner, {
    networkId: NETWORK, subject: { name: personal(`Siti Aminah ${label}`), nik: SAMPLE_NIK, regionCode: KELURAHAN, phone: personal('081234567890') },
    categories: ['PPKS-08'], urgency: 'high', description: personal(`Lives alone ${label}`),
  });
  expect(opened.status).toBe(201);
  const caseId = opened.body.id as string;
  expect((await t.post(`/cases/${caseId}/consents`, tokens.owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' })).status).toBe(201);
  const referred = await t.post(`/cases/${caseId}/referrals`, tokens.owner, { toInstitutionId: PUSKESOS, reason: personal(`Needs a home visit ${label}`), ...(urgency ? { urgency } : {}) });
  expect(referred.status).toBe(201);
  return { caseId, referralId: referred.body.referralId };
}

async function step(t: TestApp, token: string, path: string, body: unknown = {}): Promise<void> {
  const response = await t.post(path, token, body);
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
}

const payload = (request: ReceivedRequest) => JSON.parse(request.body) as { type: string; timestamp: string; data: Record<string, any> };
/** Accepted messages of one case, each once (by webhook-id), in the order first received. */
function kindsFor(receiver: Receiver, caseId: string): string[] {
  const seen = new Set<string>();
  return receiver.accepted.filter((request) => {
    const id = request.headers['webhook-id']!;
    if (seen.has(id) || payload(request).data['caseId'] !== caseId) return false;
    seen.add(id);
    return true;
  }).map((request) => payload(request).type);
}

const receivers: Receiver[] = [];
async function receiver(answer?: Answer): Promise<Receiver> {
  const started = await Receiver.start(answer);
  receivers.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(receivers.map((one) => one.stop()));
});

describe('webhooks delivered from the log', () => {
  let t: TestApp;
  let tokens: Tokens;

  beforeAll(async () => {
    t = await TestApp.start({ realClock: true, environment: { WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_TIMEOUT_SECONDS: '2' } });
    tokens = await tokensOf(t);
  });
  afterAll(() => t.stop());

  it('signs every delivery so that the standardwebhooks package verifies it, in order per case, to the institutions concerned only, without personal data', async () => {
    const rw03 = await receiver();
    const posyandu = await receiver();
    const network = await receiver();
    const forRw03 = await subscribe(t, tokens.owner, { url: rw03.url, scope: { level: 'institution', institutionId: OWNER } });
    const forPosyandu = await subscribe(t, tokens.posyandu, { url: posyandu.url, scope: { level: 'institution', institutionId: POSYANDU } });
    const forNetwork = await subscribe(t, tokens.coordinator, { url: network.url, scope: { level: 'network', networkId: NETWORK } });

    const first = await referredCase(t, tokens, 'A');
    const second = await referredCase(t, tokens, 'B');
    for (const action of ['accept', 'start']) await step(t, tokens.puskesos, `/cases/${first.caseId}/referrals/${first.referralId}/${action}`);
    await step(t, tokens.puskesos, `/cases/${second.caseId}/referrals/${second.referralId}/decline`, { reasonCode: 'no_capacity', reason: personal('No beds left B') });
    await step(t, tokens.puskesos, `/cases/${first.caseId}/referrals/${first.referralId}/complete`, { outcome: 'resolved', summary: personal('Housed at the shelter A') });
    await step(t, tokens.owner, `/cases/${first.caseId}/referrals/${first.referralId}/acknowledge`);
    await step(t, tokens.owner, `/cases/${second.caseId}/escalate`, { toInstitutionId: DINSOS, reason: personal('Safety concern B') });
    await step(t, tokens.owner, `/cases/${second.caseId}/notes`, { text: personal('Visited on Monday B'), visibility: 'participants' });

    const expected = {
      [first.caseId]: ['referral.requested', 'referral.accepted', 'referral.started', 'referral.completed', 'referral.acknowledged'],
      [second.caseId]: ['referral.requested', 'referral.declined', 'case.escalated'],
    };
    for (const target of [rw03, network]) await target.until((one) => one.accepted.length >= 8, 'eight messages');
    for (const target of [rw03, network]) {
      expect({ first: kindsFor(target, first.caseId), second: kindsFor(target, second.caseId) }).toEqual({ first: expected[first.caseId], second: expected[second.caseId] });
    }

    // Every body verifies with the subscription's secret, and carries a webhook-id derived from the event it tells.
    const eventIds = new Set([...(await t.stream(`case-${first.caseId}`)), ...(await t.stream(`case-${second.caseId}`))].map((event) => `msg_${event.id}`));
    for (const [target, secret] of [[rw03, forRw03.secret], [network, forNetwork.secret]] as const) {
      for (const request of target.requests) {
        expect(new Webhook(secret).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
        expect(eventIds.has(request.headers['webhook-id']!)).toBe(true);
      }
    }
    // The same message carries the same webhook-id and body to every subscription.
    expect(network.requests.map((request) => request.headers['webhook-id']).sort()).toEqual(rw03.requests.map((request) => request.headers['webhook-id']).sort());
    expect(payload(rw03.requests[0]!)).toMatchObject({
      type: 'referral.requested',
      data: { caseId: first.caseId, referralId: first.referralId, from: { id: OWNER, name: expect.any(String) }, to: { id: PUSKESOS, name: expect.any(String) }, urgency: 'high', caseUrl: `${t.config.publicUrl}/cases/${first.caseId}` },
    });

    // The Posyandu had no part in either case: its subscription never received anything.
    const dispatcher = t.app.get(WebhookDispatcher);
    const head = (await t.stream(`case-${second.caseId}`)).at(-1)!.position;
    await until(() => (dispatcher.outboxPosition ?? 0n) >= head, 'the outbox reached the last event');
    expect(posyandu.requests).toEqual([]);
    expect((await t.get(`/webhooks/${forPosyandu.id}`, tokens.posyandu)).body.deliveries).toMatchObject({ pending: 0, delivered: 0, dead: 0 });
  });

  it('retries a receiver that fails, and once it recovers delivers everything in order; the delivery log shows each attempt and the next try', async () => {
    const failing = await receiver(500);
    const { id } = await subscribe(t, tokens.admin, { url: failing.url, scope: { level: 'institution', institutionId: OWNER } });
    const { caseId, referralId } = await referredCase(t, tokens, 'C');
    for (const action of ['accept', 'start']) await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/${action}`);

    await failing.until((one) => one.requests.length >= 1, 'a first attempt');
    await until(async () => (await t.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items.length === 3, 'three deliveries queued');
    const log = (await t.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items as any[];
    const [requested] = log.filter((item) => item.kind === 'referral.requested');
    await until(async () => (await t.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items.some((item: any) => item.attempts.length > 0), 'an attempt recorded');
    const attempted = ((await t.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items as any[]).find((item) => item.id === requested.id);
    expect(attempted).toMatchObject({ status: 'pending', attempts: [{ statusCode: 500, error: null, latencyMs: expect.any(Number) }], messageId: failing.requests[0]!.headers['webhook-id'] });
    expect(Date.parse(attempted.nextAttemptAt)).toBeGreaterThan(Date.parse(attempted.attempts[0].at));
    // Its case's later news waits behind it.
    expect(failing.requests.map((request) => payload(request).type)).toEqual(['referral.requested']);

    failing.answer = 204;
    t.clock.advanceHours(1);
    await failing.until((one) => one.accepted.length >= 3, 'the three messages');
    expect(kindsFor(failing, caseId)).toEqual(['referral.requested', 'referral.accepted', 'referral.started']);
    const delivered = ((await t.get(`/webhooks/${id}/deliveries?status=delivered`, tokens.admin)).body.items as any[]).find((item) => item.id === requested.id);
    expect(delivered).toMatchObject({ status: 'delivered', nextAttemptAt: null, deliveredAt: expect.any(String), attempts: [{ statusCode: 500 }, { statusCode: 204 }] });
  });

  it('gets everything, in order, from a receiver that was down for a while and came back', async () => {
    const absent = await receiver();
    const { id } = await subscribe(t, tokens.owner, { url: absent.url, scope: { level: 'institution', institutionId: OWNER } });
    await absent.down();
    const { caseId, referralId } = await referredCase(t, tokens, 'D');
    for (const action of ['accept', 'start']) await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/${action}`);
    await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/complete`, { outcome: 'partially_resolved', summary: personal('Half done D') });
    await until(async () => ((await t.get(`/webhooks/${id}/deliveries`, tokens.owner)).body.items as any[])
      .some((item) => item.attempts.some((attempt: any) => attempt.error === 'connection refused' && attempt.statusCode === null)), 'a refused connection recorded');

    await absent.up();
    t.clock.advanceHours(1);
    await absent.until((one) => one.accepted.length >= 4, 'the four messages');
    expect(kindsFor(absent, caseId)).toEqual(['referral.requested', 'referral.accepted', 'referral.started', 'referral.completed']);
  });

  it('does not let a target that does not answer delay commands or another target; it is retried after the timeout', async () => {
    const slow = await receiver('hang');
    const fast = await receiver();
    const forSlow = await subscribe(t, tokens.admin, { url: slow.url, scope: { level: 'institution', institutionId: OWNER } });
    await subscribe(t, tokens.admin, { url: fast.url, scope: { level: 'institution', institutionId: OWNER } });
    const { caseId, referralId } = await referredCase(t, tokens, 'E');
    await slow.until((one) => one.requests.length >= 1, 'the slow target is asked');
    for (const action of ['accept', 'start']) await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/${action}`);

    await fast.until((one) => one.accepted.length >= 3, 'the fast target gets the three messages');
    expect(kindsFor(fast, caseId)).toEqual(['referral.requested', 'referral.accepted', 'referral.started']);
    // Meanwhile the slow one was asked once, and never answered.
    expect(slow.requests.map((request) => [payload(request).type, request.status])).toEqual([['referral.requested', null]]);

    await until(async () => ((await t.get(`/webhooks/${forSlow.id}/deliveries`, tokens.admin)).body.items as any[])
      .some((item) => item.attempts.some((attempt: any) => attempt.error === 'no answer within 2 s')), 'the timeout recorded');
    slow.release();
    slow.answer = 204;
    t.clock.advanceHours(1);
    await slow.until((one) => one.accepted.length >= 3, 'the slow target gets everything once it answers');
    expect(kindsFor(slow, caseId)).toEqual(['referral.requested', 'referral.accepted', 'referral.started']);
    // The message that went unanswered came again with the same webhook-id.
    expect(slow.accepted[0]!.headers['webhook-id']).toBe(slow.requests[0]!.headers['webhook-id']);
  });

  it('disables the subscription when the target answers 410, keeps what follows, and sends it in order once resumed', async () => {
    const gone = await receiver(410);
    const { id } = await subscribe(t, tokens.owner, { url: gone.url, scope: { level: 'institution', institutionId: OWNER } });
    const { caseId, referralId } = await referredCase(t, tokens, 'F');
    await gone.until((one) => one.requests.length >= 1, 'a first attempt');
    await until(async () => (await t.get(`/webhooks/${id}`, tokens.owner)).body.status === 'disabled', 'the subscription disabled');
    await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/accept`);
    const disabled = await t.get(`/webhooks/${id}`, tokens.owner);
    expect(disabled.body.history.map((entry: any) => [entry.type, entry.actor.role])).toEqual([['WebhookSubscribed', 'caseworker'], ['WebhookDisabled', 'system']]);
    expect(disabled.body.disabledAt).toEqual(expect.any(String));
    await until(async () => (await t.get(`/webhooks/${id}`, tokens.owner)).body.deliveries.pending === 2, 'both messages kept');
    expect(gone.requests).toHaveLength(1);

    gone.answer = 204;
    expect((await t.post(`/webhooks/${id}/resume`, tokens.owner)).status).toBe(200);
    await gone.until((one) => one.accepted.length >= 2, 'the kept messages');
    expect(kindsFor(gone, caseId)).toEqual(['referral.requested', 'referral.accepted']);
    expect(gone.accepted[0]!.headers['webhook-id']).toBe(gone.requests[0]!.headers['webhook-id']);
  });

  it('holds messages while paused and sends them once resumed; after deletion, sends nothing more', async () => {
    const target = await receiver();
    const { id } = await subscribe(t, tokens.owner, { url: target.url, scope: { level: 'institution', institutionId: OWNER }, eventKinds: ['referral.requested', 'referral.accepted'] });
    expect((await t.post(`/webhooks/${id}/pause`, tokens.owner)).status).toBe(200);
    const { caseId, referralId } = await referredCase(t, tokens, 'G');
    await step(t, tokens.puskesos, `/cases/${caseId}/referrals/${referralId}/accept`);
    await until(async () => (await t.get(`/webhooks/${id}`, tokens.owner)).body.deliveries.pending === 2, 'two messages held');
    expect(target.requests).toEqual([]);

    expect((await t.post(`/webhooks/${id}/resume`, tokens.owner)).status).toBe(200);
    await target.until((one) => one.accepted.length >= 2, 'the held messages');
    expect(kindsFor(target, caseId)).toEqual(['referral.requested', 'referral.accepted']);

    expect((await t.request('DELETE', `/webhooks/${id}`, { token: tokens.owner })).status).toBe(200);
    const next = await referredCase(t, tokens, 'H');
    const head = (await t.stream(`case-${next.caseId}`)).at(-1)!.position;
    await until(() => (t.app.get(WebhookDispatcher).outboxPosition ?? 0n) >= head, 'the outbox reached the last event');
    expect(target.requests).toHaveLength(2);
    expect((await t.get('/webhooks', tokens.owner)).body.items.map((item: any) => item.id)).not.toContain(id);
    expect((await t.get('/webhooks?status=deleted', tokens.owner)).body.items.map((item: any) => item.id)).toContain(id);
    expect((await t.post(`/webhooks/${id}/resume`, tokens.owner)).status).toBe(409);
  });

  it('signs with the new secret after a rotation, and with the previous one too for a day', async () => {
    const target = await receiver();
    const before = await subscribe(t, tokens.owner, { url: target.url, scope: { level: 'institution', institutionId: OWNER }, eventKinds: ['referral.requested'] });
    const rotated = await t.post(`/webhooks/${before.id}/rotate-secret`, tokens.owner);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(before.secret);
    await referredCase(t, tokens, 'I');
    await target.until((one) => one.accepted.length >= 1, 'a message');
    const [request] = target.accepted;
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(rotated.body.secret).verify(request!.body, request!.headers)).toBeTruthy();
    expect(new Webhook(before.secret).verify(request!.body, request!.headers)).toBeTruthy();
  });

  it.each([
    ['https://10.0.0.7/hooks', /private address/],
    ['https://192.168.1.20/hooks', /private address/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://[::ffff:a9fe:a9fe]/hooks', /link-local/],
    ['https://[fd00::1]/hooks', /private address/],
    ['http://93.184.216.34/hooks', /https:\/\//],
    ['https://user:secret@93.184.216.34/hooks', /credentials/],
    ['file:///etc/passwd', /https:\/\//],
    ['https://nowhere.invalid/hooks', /does not resolve/],
  ])('refuses the target %s (422 on url) and records nothing', async (url, why) => {
    const id = `ssrf-${PERSONAL.length}-${url.length}`;
    const response = await t.post('/webhooks', tokens.admin, { id, url, eventKinds: ['referral.requested'], scope: { level: 'city' } });
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(why) }]);
    expect(await t.stream(`webhook-${id}`)).toEqual([]);
  });

  it('drives the example receiver of the README: verified, forwarded to the gateway as one line with the link, a repeat dropped', async () => {
    const gateway = await receiver(200);
    const port = await freePort();
    const subscription = await subscribe(t, tokens.puskesos, { url: `http://127.0.0.1:${port}/`, scope: { level: 'institution', institutionId: PUSKESOS } });
    const example = spawn(process.execPath, [EXAMPLE_RECEIVER], {
      env: {
        PATH: process.env['PATH'] ?? '', PORT: String(port), RUJUKAN_WEBHOOK_SECRET: subscription.secret, INSTITUTION_ID: PUSKESOS,
        GATEWAY_URL: gateway.url, GATEWAY_TOKEN: 'gateway-token', GATEWAY_TO: '+62800000000',
      },
      stdio: 'ignore',
    });
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).catch(() => null))?.status === 401, 'the example listens and refuses an unsigned request');
      const { caseId } = await referredCase(t, tokens, 'Q');
      await gateway.until((one) => one.requests.length >= 1, 'a message to the gateway');
      const sent = JSON.parse(gateway.requests[0]!.body);
      expect(gateway.requests[0]!.headers['authorization']).toBe('Bearer gateway-token');
      expect(sent).toEqual({ to: '+62800000000', text: expect.stringMatching(new RegExp(`^Rujukan baru dari RW 03 .* \\(urgensi high\\), jawab sebelum .* WIB: .*/cases/${caseId}$`)) });

      await until(async () => (await t.get(`/webhooks/${subscription.id}/deliveries?status=delivered`, tokens.puskesos)).body.items.length === 1, 'the delivery answered');
      const [delivery] = (await t.get(`/webhooks/${subscription.id}/deliveries?status=delivered`, tokens.puskesos)).body.items;
      expect((await t.post(`/webhooks/${subscription.id}/redeliver`, tokens.puskesos, { deliveryId: delivery.id })).body).toEqual({ redelivered: 1 });
      await until(async () => (await t.get(`/webhooks/${subscription.id}/deliveries`, tokens.puskesos)).body.items[0].attempts.length === 2, 'the repeat answered');
      expect((await t.get(`/webhooks/${subscription.id}/deliveries`, tokens.puskesos)).body.items[0]).toMatchObject({ status: 'delivered', attempts: [{ statusCode: 204 }, { statusCode: 204 }] });
      expect(gateway.requests).toHaveLength(1);
    } finally {
      example.kill();
    }
  });

  it('lets each caller subscribe and see only what they manage; auditors read every subscription and its history', async () => {
    const scope = (level: string, extra: Record<string, string> = {}) => ({ url: 'http://127.0.0.1:9/never', eventKinds: ['referral.requested'], scope: { level, ...extra } });
    expect((await t.post('/webhooks', tokens.posyandu, scope('institution', { institutionId: OWNER }))).status).toBe(403);
    expect((await t.post('/webhooks', tokens.coordinator, scope('city'))).status).toBe(403);
    expect((await t.post('/webhooks', tokens.owner, scope('network', { networkId: NETWORK }))).status).toBe(403);
    expect((await t.post('/webhooks', tokens.admin, scope('institution', { institutionId: 'no-such-institution' }))).body.errors).toEqual([{ field: 'scope.institutionId', message: expect.any(String) }]);
    const city = await subscribe(t, tokens.dinsos, scope('city'));

    const listed = async (token: string) => ((await t.get('/webhooks?limit=100', token)).body.items as any[]).map((item) => item.scope);
    expect(new Set((await listed(tokens.owner)).map((item) => JSON.stringify(item)))).toEqual(new Set([JSON.stringify({ level: 'institution', institutionId: OWNER })]));
    expect(await listed(tokens.posyandu)).toEqual([{ level: 'institution', institutionId: POSYANDU }]);
    expect(await listed(tokens.dinsos)).toEqual([{ level: 'city' }]);
    expect((await t.get(`/webhooks/${city.id}`, tokens.owner)).status).toBe(403);
    const audited = await t.get(`/webhooks/${city.id}`, tokens.auditor);
    expect(audited.body).toMatchObject({ id: city.id, status: 'active', createdBy: { role: 'dinsos' }, history: [{ type: 'WebhookSubscribed', actor: { role: 'dinsos' } }] });
    expect(JSON.stringify(audited.body)).not.toContain(city.secret);
    expect((await t.post(`/webhooks/${city.id}/pause`, tokens.auditor)).status).toBe(403);
  });
});

describe('webhooks over time', () => {
  let t: TestApp;
  let tokens: Tokens;
  const dispatcher = () => t.app.get(WebhookDispatcher);
  /** Waits until the views and the outbox have everything written so far. */
  const settled = async (caseId: string) => {
    expect((await t.get(`/cases/${caseId}`, tokens.owner)).status).toBe(200);
    const head = (await t.stream(`case-${caseId}`)).at(-1)!.position;
    await until(() => (dispatcher().outboxPosition ?? 0n) >= head, 'the outbox reached the last event');
  };
  const metric = async (name: string): Promise<number> => {
    const text = (await t.app.inject({ method: 'GET', url: '/api/v1/metrics' })).body;
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    if (!line) throw new Error(`no metric ${name}`);
    return Number(line.slice(name.length + 1));
  };

  beforeAll(async () => {
    t = await TestApp.start({ realClock: true, environment: { WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_TIMEOUT_SECONDS: '2' } });
    tokens = await tokensOf(t);
  });
  afterAll(() => t.stop());

  it('dead-letters a message after the retry window, shows it in the log and the metrics, and redelivers it by hand with the same webhook-id', async () => {
    const failing = await receiver(503);
    const { id } = await subscribe(t, tokens.owner, { url: failing.url, scope: { level: 'institution', institutionId: OWNER }, eventKinds: ['referral.requested'] });
    const { caseId } = await referredCase(t, tokens, 'J');
    await failing.until((one) => one.requests.length >= 1, 'a first attempt');
    await until(async () => (await metric('rujukan_webhook_deliveries_total{outcome="failed"}')) >= 1, 'a failure counted');
    expect(await metric('rujukan_webhook_queue_depth')).toBe(1);

    t.clock.advanceHours(25);
    await until(async () => (await t.get(`/webhooks/${id}/deliveries?status=dead`, tokens.owner)).body.items.length === 1, 'the message dead-lettered');
    const [dead] = (await t.get(`/webhooks/${id}/deliveries?status=dead`, tokens.owner)).body.items;
    expect(dead).toMatchObject({ caseId, kind: 'referral.requested', nextAttemptAt: null, deadAt: expect.any(String), attempts: [{ statusCode: 503 }, { statusCode: 503 }] });
    expect(await metric('rujukan_webhook_dead_letters')).toBe(1);
    expect(await metric('rujukan_webhook_deliveries_total{outcome="dead"}')).toBe(1);
    expect(await metric('rujukan_webhook_queue_depth')).toBe(0);
    expect((await t.get(`/webhooks/${id}`, tokens.owner)).body.deliveries).toMatchObject({ pending: 0, dead: 1 });

    // A message still to be sent shows its age.
    await referredCase(t, tokens, 'K');
    await until(async () => (await metric('rujukan_webhook_queue_depth')) === 1, 'a new message queued');
    t.clock.advanceHours(2);
    expect(await metric('rujukan_webhook_oldest_undelivered_seconds')).toBeGreaterThanOrEqual(2 * 3600);

    failing.answer = 204;
    const requests = failing.requests.length;
    const redelivered = await t.post(`/webhooks/${id}/redeliver`, tokens.owner, { deliveryId: dead.id });
    expect(redelivered).toMatchObject({ status: 200, body: { redelivered: 1 } });
    await failing.until((one) => one.accepted.some((request) => request.headers['webhook-id'] === dead.messageId), 'the dead letter delivered');
    expect(failing.requests.slice(requests).find((request) => request.headers['webhook-id'] === dead.messageId)!.body).toBe(JSON.stringify(dead.payload));
    await until(async () => (await t.get(`/webhooks/${id}`, tokens.owner)).body.deliveries.dead === 0, 'no dead letter left');
    expect(await metric('rujukan_webhook_dead_letters')).toBe(0);
    expect(await metric('rujukan_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
    expect((await t.post(`/webhooks/${id}/redeliver`, tokens.owner, { deliveryId: '01900000-0000-7000-8000-000000000404' })).status).toBe(404);
  });

  it('shows the operator each subscription at the command line, and sends dead letters again from there', async () => {
    const failing = await receiver(500);
    const { id } = await subscribe(t, tokens.owner, { url: failing.url, scope: { level: 'institution', institutionId: OWNER }, eventKinds: ['referral.requested'] });
    await referredCase(t, tokens, 'P');
    await failing.until((one) => one.requests.length >= 1, 'a first attempt');
    t.clock.advanceHours(25);
    await until(async () => (await t.get(`/webhooks/${id}`, tokens.owner)).body.deliveries.dead === 1, 'the message dead-lettered');

    const status = await cli(t, 'webhooks', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^Outbox: at position \d+, \d+ events behind/);
    // console.table: a header line of column names, then a line per subscription.
    const cells = (line: string) => line.split('│').slice(1, -1).map((cell) => cell.trim().replace(/^'(.*)'$/, '$1'));
    const lines = status.stdout.split('\n');
    const header = cells(lines.find((line) => line.includes('subscription'))!);
    const row = Object.fromEntries(cells(lines.find((line) => line.includes(id))!).map((cell, index) => [header[index], cell]));
    expect(row).toMatchObject({ scope: `institution ${OWNER}`, target: new URL(failing.url).origin, status: 'active', pending: '0', delivered: '0', dead: '1' });

    failing.answer = 204;
    const redeliver = await cli(t, 'webhooks', 'redeliver', id);
    expect(redeliver).toMatchObject({ code: 0, stdout: expect.stringContaining('Queued again: 1 message(s)') });
    await failing.until((one) => one.accepted.length >= 1, 'the dead letter delivered');
    expect((await cli(t, 'webhooks', 'redeliver', 'no-such-subscription')).code).toBe(1);
  });

  it('warns "due in N hours" for referrals still unanswered, once per referral and threshold', async () => {
    const target = await receiver();
    await subscribe(t, tokens.puskesos, { url: target.url, scope: { level: 'institution', institutionId: PUSKESOS }, eventKinds: ['referral.due_soon'] });
    const waiting = await referredCase(t, tokens, 'L');
    const answered = await referredCase(t, tokens, 'M');
    await step(t, tokens.puskesos, `/cases/${answered.caseId}/referrals/${answered.referralId}/accept`);
    await settled(answered.caseId);
    expect(await dispatcher().warnDueSoon()).toBe(0);

    // High urgency: due in 72 hours. 49 hours on, 23 are left: the 24-hour warning, once.
    t.clock.advanceHours(49);
    const emergency = await referredCase(t, tokens, 'O', 'emergency');
    await settled(emergency.caseId);
    await settled(waiting.caseId);
    expect(await dispatcher().warnDueSoon()).toBe(1);
    expect(await dispatcher().warnDueSoon()).toBe(0);
    await target.until((one) => one.accepted.length >= 1, 'the 24-hour warning');
    expect(payload(target.accepted[0]!)).toMatchObject({ type: 'referral.due_soon', data: { referralId: waiting.referralId, dueInHours: 24, to: { id: PUSKESOS } } });

    // 20 hours more: 3 left on the first, 4 on the emergency (due in 24, so it never had a 24-hour warning).
    t.clock.advanceHours(20);
    expect(await dispatcher().warnDueSoon()).toBe(2);
    expect(await dispatcher().warnDueSoon()).toBe(0);
    await target.until((one) => one.accepted.length >= 3, 'the 4-hour warnings');
    expect(target.accepted.map((request) => [payload(request).data['referralId'], payload(request).data['dueInHours']]).sort()).toEqual([
      [emergency.referralId, 4], [waiting.referralId, 24], [waiting.referralId, 4],
    ].sort());
  });
});

describe('a target the operator no longer allows', () => {
  it('is refused at delivery time, not only when subscribing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-webhooks-'));
    const target = await receiver();
    try {
      const allowing = await TestApp.start({ dataDir, environment: { WEBHOOK_ALLOW_LOOPBACK: 'true' } });
      const admin = await allowing.token({ role: 'admin' });
      const { id } = await subscribe(allowing, admin, { url: target.url, scope: { level: 'city' }, eventKinds: ['referral.requested'] });
      await allowing.stop();

      const strict = await TestApp.start({ dataDir });
      try {
        const tokens = await tokensOf(strict);
        await referredCase(strict, tokens, 'N');
        await until(async () => ((await strict.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items as any[]).some((item) => item.attempts.length > 0), 'an attempt recorded');
        const [delivery] = (await strict.get(`/webhooks/${id}/deliveries`, tokens.admin)).body.items;
        expect(delivery.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^Refused to connect: .*WEBHOOK_ALLOW_LOOPBACK/) });
        expect(target.requests).toEqual([]);
      } finally {
        await strict.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

it('put no personal data in any payload any receiver of this spec got', () => {
  const bodies = receivers.flatMap((one) => one.requests.map((request) => request.body));
  expect(bodies.length).toBeGreaterThan(40);
  expect(PERSONAL.length).toBeGreaterThan(20);
  const leaks = bodies.flatMap((body) => PERSONAL.filter((value) => body.includes(value)).map((value) => `${value} in ${body}`));
  expect(leaks).toEqual([]);
});

const CLI = resolve(__dirname, '..', 'dist', 'cli', 'main.js');
const EXAMPLE_RECEIVER = resolve(__dirname, '..', 'examples', 'webhook-receiver.mjs');

/** The built command line on the app's DATA_DIR (its views, while the app runs). */
function cli(t: TestApp, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env['PATH'] ?? '', DATA_DIR: t.config.dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent' };
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }));
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
