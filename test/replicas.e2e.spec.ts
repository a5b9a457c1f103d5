/**
 * Two service processes on one DATA_DIR, as two replicas of the embedded stores (they share the log, the views,
 * the leases, the subject keys and the write limit's counters): each projection runs in one of them, the other
 * stands by and still serves read-your-writes; commands go through either; the write limit counts both
 * together; when the process running the projections is killed, the other takes them over at once, and the
 * views then hold exactly what a fresh offline rebuild of the log makes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { PROJECTIONS } from '../src/projections/projections.service.js';
import { SqliteReadStore } from '../src/read-store/sqlite/sqlite-read-store.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { requireBuild, Service, withServiceLog } from './support/service.js';
import { SECRET } from './support/test-app.js';
import { offlineViews, snapshotViews } from './support/views.js';

const WRITES_PER_MINUTE = 12;
const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-replicas-'));
const log: string[] = [];
const withLog = (step: () => Promise<void>) => withServiceLog(log, step);
let first: Service;
let second: Service;
let owner: string;
let puskesos: string;

async function call(service: Service, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const openCase = (service: Service, name: string) => call(service, 'POST', '/cases', owner, {
  networkId: NETWORK, subject: { name, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
});

const states = async (service: Service) => ((await call(service, 'GET', '/health/ready', owner)).body.projections as { state: string }[]).map((projection) => projection.state);

beforeAll(async () => {
  requireBuild();
  owner = await mintToken({ sub: 'replica-owner', role: 'caseworker', institutionId: OWNER, expiresIn: '1h' }, SECRET);
  puskesos = await mintToken({ sub: 'replica-puskesos', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '1h' }, SECRET);
  const environment = { RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE) };
  await withLog(async () => {
    first = await Service.start(dataDir, log, 'first', environment);
    second = await Service.start(dataDir, log, 'second', environment);
  });
}, 90_000);

afterAll(async () => {
  await Promise.all([first?.stop('SIGKILL'), second?.stop('SIGKILL')]);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two service processes on one DATA_DIR', () => {
  it('runs each projection in one process; the other stands by and serves read-your-writes from the shared checkpoint', () => withLog(async () => {
    expect(await states(first)).toEqual(PROJECTIONS.map(() => 'running'));
    expect(await states(second)).toEqual(PROJECTIONS.map(() => 'standby'));
    const opened = await openCase(second, 'Through the second');
    expect(opened.status).toBe(201);
    const read = await call(second, 'GET', `/cases/${opened.body.id}`, owner, undefined, { 'x-min-position': opened.body.position });
    expect(read).toMatchObject({ status: 200, body: { id: opened.body.id, subject: { name: 'Through the second' } } });
    const metrics = await (await fetch(`${second.base}/metrics`)).text();
    expect(metrics).toMatch(/rujukan_projection_active\{projection="case-summaries"\} 0/);
    expect(metrics).toMatch(/rujukan_projection_running\{projection="case-summaries"\} 1/);
  }), 60_000);

  it('counts the write limit across both: alternating between them, a user gets the limit once, not twice', () => withLog(async () => {
    // Clear of a minute boundary (the limit counts per clock minute).
    if (60_000 - (Date.now() % 60_000) < 10_000) await new Promise((done) => setTimeout(done, 60_000 - (Date.now() % 60_000) + 100));
    const statuses: number[] = [];
    for (let index = 0; index < WRITES_PER_MINUTE + 4; index++) {
      const service = index % 2 === 0 ? first : second;
      const response = await call(service, 'POST', '/cases', puskesos, {
        networkId: NETWORK, subject: { name: `Limited ${index}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
      });
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([...Array<number>(WRITES_PER_MINUTE).fill(201), 429, 429, 429, 429]);
  }), 60_000);

  it('when the process running the projections is killed, the other takes them over at once and loses nothing', () => withLog(async () => {
    const before = await openCase(first, 'Before the kill');
    expect(before.status).toBe(201);
    await first.stop('SIGKILL');
    const after = await openCase(second, 'After the kill');
    expect(after.status).toBe(201);
    const referral = await call(second, 'POST', `/cases/${after.body.id}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x', emergencyOverride: { reason: 'no time' } });
    expect(referral.status).toBe(201);
    // The holder's process is gone: the lease is taken over well within the read's wait, not after it expires.
    const read = await call(second, 'GET', `/cases/${after.body.id}`, owner, undefined, { 'x-min-position': referral.body.position });
    expect(read.status).toBe(200);
    expect(await states(second)).toEqual(PROJECTIONS.map(() => 'running'));

    const events = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    const views = new SqliteReadStore(join(dataDir, 'views.sqlite'));
    try {
      expect(await snapshotViews(views)).toEqual(await offlineViews(events, (await events.headPosition())!));
    } finally {
      await Promise.all([events.close(), views.close()]);
    }
  }), 60_000);
});
