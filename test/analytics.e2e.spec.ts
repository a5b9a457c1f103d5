/**
 * Analysts' figures for a scripted scenario whose answers are worked out by hand below, with
 * ANALYTICS_MIN_CELL=2 so that single cases are suppressed. No response may carry personal data.
 */
import { CommandBus } from '@nestjs/cqrs';
import { ChangeCase } from '../src/cases/commands/case.commands.js';
import { SYSTEM_ACTOR } from '../src/core/actor.js';
import { newId } from '../src/core/ids.js';
import { TestApp } from './support/test-app.js';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';

const NAMES = ['Siti Aminah', 'Budi Santoso', 'Sri Wahyuni', 'Agus Salim', 'Dewi Lestari'];
const NIK = '3371014505800002';

let t: TestApp;
let owner: string;
let analyst: string;

beforeAll(async () => {
  t = await TestApp.start({ environment: { ANALYTICS_MIN_CELL: '2' } });
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  const puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  const posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
  analyst = await t.token({ role: 'analyst' });

  const open = async (name: string, regionCode: string, categories: string[], urgency = 'normal') => {
    const opened = await t.post('/cases', owner, {
      networkId: NETWORK, subject: { name, nik: name === NAMES[0] ? NIK : undefined, regionCode, address: 'Jl. Rahasia 1' }, categories, urgency, description: `${name} needs help`,
    });
    expect(opened.status).toBe(201);
    await t.post(`/cases/${opened.body.id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
    return opened.body.id as string;
  };
  const refer = async (caseId: string, to: string) => (await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: to, reason: 'Kunjungan rumah' })).body.referralId as string;
  const step = async (token: string, caseId: string, referralId: string, action: string, body: object = {}) =>
    expect((await t.post(`/cases/${caseId}/referrals/${referralId}/${action}`, token, body)).status).toBe(200);

  // Five cases: A, B, C in PPKS-24 (C also PPKS-08), D in PPKS-08, E in PPKS-01 in another kelurahan.
  const a = await open(NAMES[0]!, '33.71.01.1008', ['PPKS-24']);
  const b = await open(NAMES[1]!, '33.71.01.1008', ['PPKS-24']);
  const c = await open(NAMES[2]!, '33.71.01.1008', ['PPKS-24', 'PPKS-08']);
  const d = await open(NAMES[3]!, '33.71.01.1008', ['PPKS-08']);
  const e = await open(NAMES[4]!, '33.71.01.1009', ['PPKS-01'], 'high');
  expect((await t.post(`/cases/${d}/close`, owner, { outcome: 'resolved', summary: 'Helped by neighbours' })).status).toBe(200);

  // All referrals requested at T0: rw→puskesos ×3 (A, B, C), rw→posyandu ×2 (C, E).
  const ra = await refer(a, PUSKESOS);
  const rb = await refer(b, PUSKESOS);
  const rc1 = await refer(c, POSYANDU);
  const rc2 = await refer(c, PUSKESOS);
  const rE = await refer(e, POSYANDU);

  t.clock.advanceHours(1); // T1: posyandu declines C
  await step(posyandu, c, rc1, 'decline', { reasonCode: 'no_capacity', reason: 'Penuh' });
  t.clock.advanceHours(1); // T2: A accepted
  await step(puskesos, a, ra, 'accept');
  t.clock.advanceHours(2); // T4: B accepted
  await step(puskesos, b, rb, 'accept');
  t.clock.advanceHours(2); // T6: C accepted
  await step(puskesos, c, rc2, 'accept');
  t.clock.advanceHours(4); // T10: A completed
  await step(puskesos, a, ra, 'complete', { outcome: 'resolved', summary: 'Bantuan PKH cair' });
  t.clock.advanceHours(10); // T20: B completed
  await step(puskesos, b, rb, 'complete', { outcome: 'partially_resolved', summary: 'Sebagian' });
  for (const [caseId, referralId] of [[a, ra], [b, rb], [c, rc1]] as const) await step(owner, caseId, referralId, 'acknowledge');
  t.clock.advanceHours(60); // T80: E's high-urgency referral (due at T72) expires
  const commandId = newId();
  const expired = await t.app.get(CommandBus).execute(new ChangeCase({ type: 'ExpireReferral', caseId: e, referralId: rE }, {
    commandId, requestHash: commandId, actor: SYSTEM_ACTOR, occurredAt: t.clock.now().toISOString(), correlationId: commandId, causationId: commandId, expectedRevision: null,
  }));
  // Later GETs wait for the views to reach the expiry too.
  await t.get(`/cases/${e}`, owner, { 'x-min-position': expired.position!.toString() });
});
afterAll(() => t.stop());

const noPersonalData = (body: unknown) => {
  const text = JSON.stringify(body);
  for (const name of NAMES) expect(text).not.toContain(name);
  for (const word of [NIK, 'Rahasia', 'needs help', 'PKH', 'Penuh', 'Kunjungan']) expect(text).not.toContain(word);
};

describe('analytics', () => {
  it('summarises cases and referrals, suppressing cells of one', async () => {
    const summary = await t.get('/analytics/summary', analyst);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual({
      suppressedBelow: 2,
      cases: { opened: 5, closed: null, open: 4 },
      referrals: {
        total: 5,
        byStatus: { accepted: null, completed: 2, declined: null, expired: null },
        // Ended: A, B (completed), C→posyandu (declined), E (expired); acknowledged: A, B, C→posyandu.
        loopClosureRate: 0.75,
        slaBreaches: null,
      },
      referralsByMonth: [{ month: '2026-11', referrals: 5, slaBreaches: null, loopClosureRate: 0.75 }],
      byCategory: [{ category: 'PPKS-01', cases: null }, { category: 'PPKS-08', cases: 2 }, { category: 'PPKS-24', cases: 3 }],
      byRegion: [{ regionCode: '33.71.01.1008', cases: 4 }, { regionCode: '33.71.01.1009', cases: null }],
      byNetwork: [{ networkId: NETWORK, cases: 5 }],
      byMonth: [{ month: '2026-11', cases: 5 }],
      declineReasons: [{ reasonCode: 'no_capacity', referrals: null }],
    });
    noPersonalData(summary.body);
  });

  it('filters by category, region (a kecamatan includes its kelurahan), network and time', async () => {
    expect((await t.get('/analytics/summary?category=PPKS-24', analyst)).body.cases).toEqual({ opened: 3, closed: 0, open: 3 });
    expect((await t.get('/analytics/summary?regionCode=33.71.01', analyst)).body.cases.opened).toBe(5);
    expect((await t.get('/analytics/summary?regionCode=33.71.01.1009', analyst)).body.cases.opened).toBeNull();
    expect((await t.get('/analytics/summary?networkId=wksbm-elsewhere', analyst)).body.cases.opened).toBe(0);
    expect((await t.get('/analytics/summary?to=2026-11-01', analyst)).body.cases.opened).toBe(0);
    expect((await t.get('/analytics/summary?from=2026-11-01&to=2026-12-01', analyst)).body.cases.opened).toBe(5);
  });

  it('shows referral flows between institution kinds', async () => {
    const flows = await t.get('/analytics/referral-flows', analyst);
    expect(flows.body.suppressedBelow).toBe(2);
    expect(flows.body.items).toEqual([
      { fromKind: 'rw', toKind: 'posyandu', referrals: 2, accepted: 0, declined: null, completed: 0 },
      { fromKind: 'rw', toKind: 'puskesos', referrals: 3, accepted: 3, declined: 0, completed: 2 },
    ]);
  });

  it('gives time-to-accept and time-to-complete percentiles in hours', async () => {
    const durations = await t.get('/analytics/durations', analyst);
    // Accepted after 2, 4 and 6 hours; completed after 10 and 20 hours (nearest-rank percentiles).
    expect(durations.body).toMatchObject({
      suppressedBelow: 2,
      timeToAccept: { count: 3, p50Hours: 4, p90Hours: 6 },
      timeToComplete: { count: 2, p50Hours: 10, p90Hours: 20 },
    });
  });

  it('gives them by the target\'s kind and the month of the request, suppressed alike', async () => {
    const durations = await t.get('/analytics/durations', analyst);
    expect(durations.body.byKindAndMonth).toEqual([
      // Posyandu: C declined (no accept), E expired; nothing to measure.
      { toKind: 'posyandu', month: '2026-11', timeToAccept: { count: 0, p50Hours: null, p90Hours: null }, timeToComplete: { count: 0, p50Hours: null, p90Hours: null } },
      { toKind: 'puskesos', month: '2026-11', timeToAccept: { count: 3, p50Hours: 4, p90Hours: 6 }, timeToComplete: { count: 2, p50Hours: 10, p90Hours: 20 } },
    ]);
    // PPKS-08: only C's referrals, to the Posyandu (declined) and the Puskesos (accepted once: suppressed, never 0).
    const narrow = await t.get('/analytics/durations?category=PPKS-08', analyst);
    expect(narrow.body.byKindAndMonth).toEqual([
      { toKind: 'posyandu', month: '2026-11', timeToAccept: { count: 0, p50Hours: null, p90Hours: null }, timeToComplete: { count: 0, p50Hours: null, p90Hours: null } },
      { toKind: 'puskesos', month: '2026-11', timeToAccept: { count: null, p50Hours: null, p90Hours: null }, timeToComplete: { count: 0, p50Hours: null, p90Hours: null } },
    ]);
    noPersonalData(durations.body);
  });

  it('exports the cells as CSV, suppressed alike', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/analytics/export.csv', headers: { authorization: `Bearer ${analyst}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const lines = response.body.trim().split('\n');
    expect(lines[0]).toBe('month,regionCode,networkId,category,status,cases');
    expect(lines).toContain(`2026-11,33.71.01.1008,${NETWORK},PPKS-24,open,3`);
    expect(lines).toContain(`2026-11,33.71.01.1008,${NETWORK},PPKS-08,closed,`);
    noPersonalData(response.body);
  });

  it('is for analysts and dinsos only', async () => {
    expect((await t.get('/analytics/summary', owner)).status).toBe(403);
    expect((await t.get('/analytics/summary', await t.token({ role: 'dinsos' }))).status).toBe(200);
    expect((await t.get('/analytics/summary?from=yesterday', analyst)).body.errors[0].field).toBe('query.from');
  });

  // Last: it adds December's referrals to the scenario.
  it('gives referrals, SLA breaches and the loop-closure rate by the month of the request', async () => {
    t.clock.advanceHours(24 * 30); // early December
    const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: NAMES[0], regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'December' });
    const caseId = opened.body.id as string;
    await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
    const referrals = [];
    for (const [to, institutionId] of [['puskesos', PUSKESOS], ['posyandu', POSYANDU]] as const) {
      const referralId = (await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: institutionId, reason: 'Kunjungan rumah' })).body.referralId as string;
      referrals.push({ to, institutionId, referralId });
    }
    t.clock.advanceHours(170); // past the normal urgency's 168 hours: both answers breach the SLA
    for (const { institutionId, referralId } of referrals) {
      const target = await t.token({ role: 'caseworker', institutionId });
      expect((await t.post(`/cases/${caseId}/referrals/${referralId}/decline`, target, { reasonCode: 'no_capacity', reason: 'Penuh' })).status).toBe(200);
    }
    const summary = await t.get('/analytics/summary', analyst);
    expect(summary.body.referralsByMonth).toEqual([
      { month: '2026-11', referrals: 5, slaBreaches: null, loopClosureRate: 0.75 },
      // Two ended, neither acknowledged yet.
      { month: '2026-12', referrals: 2, slaBreaches: 2, loopClosureRate: 0 },
    ]);
    expect(summary.body.referrals).toMatchObject({ total: 7, slaBreaches: 3 });
    expect((await t.get('/analytics/summary?from=2026-12-01', analyst)).body.referralsByMonth).toEqual([{ month: '2026-12', referrals: 2, slaBreaches: 2, loopClosureRate: 0 }]);
    noPersonalData(summary.body);
  });
});
