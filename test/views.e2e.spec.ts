/**
 * The read side as its users meet it: inboxes and outboxes that follow a caseworker's
 * commands, case lists scoped to what each role may see, keyset pages that stay stable while cases keep
 * arriving, read-your-writes through X-Min-Position, the network directory, and readiness of the views.
 */
import { Scenario, type CaseRequest } from './support/scenario.js';
import { TestApp, type Response } from './support/test-app.js';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';

const NETWORK_MEMBERS = [
  'karang-taruna-jurangombo-utara', 'pkk-jurangombo-utara', 'posyandu-melati', 'puskesos-jurangombo-utara', 'rw-03-jurangombo-utara',
];
/** Never touched by any case in this file: its caseworker must list nothing. */
const KARANG_TARUNA = 'karang-taruna-jurangombo-utara';
const DINSOS = 'dinsos-kota-magelang';
const JURANGOMBO_UTARA = '33.71.01.1008';
const MAGERSARI = '33.71.01.1007';

/** A second WKSBM with one member, for "none of another network". */
const KRAMAT = 'wksbm-kramat-utara';
const KRAMAT_RW = 'rw-01-kramat-utara';
/** A WKSBM of this file's own, whose members' inboxes hold only what a test put there. */
const MAGERSARI_NETWORK = 'wksbm-magersari';
const MAGERSARI_RW = 'rw-05-magersari';

const HOUR = 3_600_000;
const SLA_HOURS = { emergency: 24, high: 72, normal: 168, low: 336 } as const;
type Urgency = keyof typeof SLA_HOURS;

let t: TestApp;
let s: Scenario;
let admin: string;
let analyst: string;
let auditor: string;
let dinsos: string;
let coordinator: string;
let kramatCoordinator: string;
let magersariCoordinator: string;
let owner: string;
let puskesos: string;
let posyandu: string;
let karangTaruna: string;
let kramatRw: string;
let magersariRw: string;

const caseworker = (institutionId: string) => t.token({ role: 'caseworker', institutionId });

beforeAll(async () => {
  // A short bounded wait for X-Min-Position keeps the 503 case quick.
  t = await TestApp.start({ environment: { VIEW_WAIT_MS: '500' } });
  s = new Scenario(t);
  admin = await t.token({ role: 'admin' });
  analyst = await t.token({ role: 'analyst' });
  auditor = await t.token({ role: 'auditor' });
  dinsos = await t.token({ role: 'dinsos' });
  coordinator = await t.token({ role: 'coordinator', networkId: NETWORK });
  kramatCoordinator = await t.token({ role: 'coordinator', networkId: KRAMAT });
  magersariCoordinator = await t.token({ role: 'coordinator', networkId: MAGERSARI_NETWORK });
  owner = await caseworker(OWNER);
  puskesos = await caseworker(PUSKESOS);
  posyandu = await caseworker(POSYANDU);
  karangTaruna = await caseworker(KARANG_TARUNA);
  kramatRw = await caseworker(KRAMAT_RW);
  magersariRw = await caseworker(MAGERSARI_RW);

  await registerNetwork(KRAMAT, 'WKSBM Kramat Utara', '33.71.02.1008');
  await registerInstitution(KRAMAT_RW, { kind: 'rw', regionCode: '33.71.02.1008', networkId: KRAMAT });
  await registerNetwork(MAGERSARI_NETWORK, 'WKSBM Magersari', MAGERSARI);
  await registerInstitution(MAGERSARI_RW, { kind: 'rw', regionCode: MAGERSARI, networkId: MAGERSARI_NETWORK });
});
afterAll(() => t.stop());

// ---------------------------------------------------------------------------------------------------------
// Commands, as a client issues them

async function registerNetwork(id: string, name: string, regionCode: string): Promise<void> {
  expect((await t.post('/networks', admin, { id, name, regionCode })).status).toBe(201);
}

async function registerInstitution(
  id: string,
  { kind, regionCode = MAGERSARI, networkId = MAGERSARI_NETWORK, categoriesServed = [] }: { kind: string; regionCode?: string; networkId?: string | null; categoriesServed?: string[] },
): Promise<void> {
  const registered = await t.post('/institutions', admin, { id, name: `Test ${id}`, kind, regionCode, scope: 'network', categoriesServed });
  expect(registered.status).toBe(201);
  if (networkId !== null) expect((await t.post(`/networks/${networkId}/members`, admin, { institutionId: id })).status).toBe(201);
}

let institutionCount = 0;
/** A fresh member of the Magersari network with its caseworker: an inbox nobody else writes to. */
async function freshTarget(kind = 'puskesos'): Promise<{ id: string; token: string }> {
  const id = `${kind}-magersari-${++institutionCount}`;
  await registerInstitution(id, { kind });
  return { id, token: await caseworker(id) };
}

/** The case this file opens: a resident of `regionCode` with one need (PPKS-24) unless told otherwise. */
function wargaCase(
  networkId: string,
  { categories = ['PPKS-24'], regionCode = JURANGOMBO_UTARA, urgency = 'normal' }: { categories?: string[]; regionCode?: string; urgency?: Urgency } = {},
): Partial<CaseRequest> {
  return { networkId, subject: { name: 'Warga', regionCode }, categories, urgency, description: 'Needs help with daily living' };
}

/** A new Magersari case referred from the RW to `to`: its case and referral ids, and when it is due. */
async function referNew(to: string, urgency: Urgency): Promise<{ caseId: string; referralId: string; requestedAt: string; dueAt: string }> {
  const caseId = await s.openCase(wargaCase(MAGERSARI_NETWORK, { regionCode: MAGERSARI }), magersariRw);
  await s.consent(caseId, { token: magersariRw });
  const requestedAt = t.clock.now().toISOString();
  const referralId = await s.refer(caseId, to, { token: magersariRw, urgency });
  return { caseId, referralId, requestedAt, dueAt: new Date(Date.parse(requestedAt) + SLA_HOURS[urgency] * HOUR).toISOString() };
}

// ---------------------------------------------------------------------------------------------------------
// Reads

/** Every item of a list, following nextCursor page by page. */
async function everyItem(url: string, token: string, limit = 100): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const separator = url.includes('?') ? '&' : '?';
    const page = await t.get(`${url}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, token);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error(`${url} did not end within 100 pages`);
}

const ids = (items: readonly { id: string }[]) => items.map((item) => item.id);
const referralIds = (items: readonly { referralId: string }[]) => items.map((item) => item.referralId);

function expectProblem(response: Response, status: number, field?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(response.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), title: expect.any(String), detail: expect.any(String) });
  if (field !== undefined) expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
}

/** The institutions a case shows as having touched it: owner, participants, referral ends, escalations. */
function touchedBy(item: any): string[] {
  return [
    item.ownerInstitutionId, ...item.participants, ...item.escalatedTo,
    ...item.referrals.flatMap((referral: any) => [referral.fromInstitutionId, referral.toInstitutionId]),
  ];
}

// ---------------------------------------------------------------------------------------------------------

describe('inbox and outbox', () => {
  it('show a referral as soon as it is requested, in the documented item shape, and follow accept → start → complete', async () => {
    const target = await freshTarget();
    const { caseId, referralId, requestedAt, dueAt } = await referNew(target.id, 'high');
    expect(dueAt).toBe(new Date(Date.parse(requestedAt) + 72 * HOUR).toISOString());
    const item = {
      caseId, referralId, fromInstitutionId: MAGERSARI_RW, toInstitutionId: target.id, status: 'requested', urgency: 'high', requestedAt, dueAt,
      loopClosed: false, categories: ['PPKS-24'], overdue: false,
    };

    // t.get sends X-Min-Position: the referral's own position, so the views answer with it applied.
    const inbox = await t.get(`/institutions/${target.id}/inbox`, target.token);
    expect(inbox.status).toBe(200);
    expect(inbox.body).toEqual({ items: [item], nextCursor: null });
    const outbox = await t.get(`/institutions/${MAGERSARI_RW}/outbox`, magersariRw);
    expect(outbox.status).toBe(200);
    expect(outbox.body.items).toContainEqual(item);
    // Nothing in the sender's inbox, nothing in the target's outbox.
    expect((await t.get(`/institutions/${target.id}/outbox`, target.token)).body).toEqual({ items: [], nextCursor: null });
    expect(referralIds((await t.get(`/institutions/${MAGERSARI_RW}/inbox`, magersariRw)).body.items)).not.toContain(referralId);

    for (const [action, body, status] of [
      ['accept', {}, 'accepted'], ['start', {}, 'in_progress'], ['complete', { outcome: 'resolved', summary: 'Enrolled in PKH' }, 'completed'],
    ] as const) {
      await s.answer(caseId, referralId, action, target.token, body);
      expect((await t.get(`/institutions/${target.id}/inbox`, target.token)).body.items).toEqual([{ ...item, status }]);
      const sent = (await t.get(`/institutions/${MAGERSARI_RW}/outbox`, magersariRw)).body.items;
      expect(sent.filter((entry: any) => entry.referralId === referralId)).toEqual([{ ...item, status }]);
    }
  });

  it('show a decline to both sides', async () => {
    const target = await freshTarget();
    const { caseId, referralId } = await referNew(target.id, 'normal');
    await s.answer(caseId, referralId, 'decline', target.token, { reasonCode: 'no_capacity', reason: 'Full this month' });
    expect((await t.get(`/institutions/${target.id}/inbox`, target.token)).body.items).toEqual([
      expect.objectContaining({ referralId, status: 'declined', overdue: false }),
    ]);
    const sent = (await t.get(`/institutions/${MAGERSARI_RW}/outbox`, magersariRw)).body.items;
    expect(sent.find((entry: any) => entry.referralId === referralId)).toMatchObject({ status: 'declined' });
  });

  it('put active referrals first, the most overdue first, and filter by status and overdue', async () => {
    const target = await freshTarget();
    // A declined emergency: due earliest of all, but ended, so it is never overdue and comes last.
    const declined = await referNew(target.id, 'emergency');
    await s.answer(declined.caseId, declined.referralId, 'decline', target.token, { reasonCode: 'outside_area', reason: 'Not our area' });
    const normal = await referNew(target.id, 'normal'); // due at +168 h
    t.clock.advanceHours(10);
    const emergency = await referNew(target.id, 'emergency'); // due at +34 h
    const high = await referNew(target.id, 'high'); // due at +82 h
    await s.answer(high.caseId, high.referralId, 'accept', target.token);

    const inbox = (query = '') => t.get(`/institutions/${target.id}/inbox${query}`, target.token);
    const overdueOf = (items: any[]) => Object.fromEntries(items.map((item) => [item.referralId, item.overdue]));

    // +10 h: nothing is overdue yet; active ones by due time, the ended one last.
    let listed = (await inbox()).body.items;
    expect(referralIds(listed)).toEqual([emergency.referralId, high.referralId, normal.referralId, declined.referralId]);
    expect(listed.every((item: any) => item.overdue === false)).toBe(true);

    // +40 h: the emergency is overdue (the declined one, due earlier still, is not: it has ended).
    t.clock.advanceHours(30);
    listed = (await inbox()).body.items;
    expect(referralIds(listed)).toEqual([emergency.referralId, high.referralId, normal.referralId, declined.referralId]);
    expect(overdueOf(listed)).toEqual({ [emergency.referralId]: true, [high.referralId]: false, [normal.referralId]: false, [declined.referralId]: false });

    // +100 h: emergency (66 h late) before high (18 h late; accepted but not done, so still active) before the one
    // still in time, then the ended one.
    t.clock.advanceHours(60);
    listed = (await inbox()).body.items;
    expect(referralIds(listed)).toEqual([emergency.referralId, high.referralId, normal.referralId, declined.referralId]);
    expect(overdueOf(listed)).toEqual({ [emergency.referralId]: true, [high.referralId]: true, [normal.referralId]: false, [declined.referralId]: false });

    expect(referralIds((await inbox('?overdue=true')).body.items)).toEqual([emergency.referralId, high.referralId]);
    expect(referralIds((await inbox('?overdue=false')).body.items)).toEqual([normal.referralId, declined.referralId]);
    expect(referralIds((await inbox('?status=requested')).body.items)).toEqual([emergency.referralId, normal.referralId]);
    expect(referralIds((await inbox('?status=accepted')).body.items)).toEqual([high.referralId]);
    expect(referralIds((await inbox('?status=declined')).body.items)).toEqual([declined.referralId]);
    expect(referralIds((await inbox('?status=requested&overdue=true')).body.items)).toEqual([emergency.referralId]);
    expect((await inbox('?status=completed')).body.items).toEqual([]);

    // The sender's outbox computes overdue against the same clock.
    const sent = (await t.get(`/institutions/${MAGERSARI_RW}/outbox?overdue=true`, magersariRw)).body.items;
    expect(referralIds(sent)).toEqual(expect.arrayContaining([emergency.referralId, high.referralId]));
    expect(referralIds(sent)).not.toContain(normal.referralId);
    expect(referralIds(sent)).not.toContain(declined.referralId);
    expect(sent.every((item: any) => item.overdue === true)).toBe(true);

    expectProblem(await inbox('?overdue=yes'), 422, 'query.overdue');
    expectProblem(await inbox('?status=lost'), 422, 'query.status');
  });

  it('page through an inbox with limit and cursor, each referral exactly once, in the order of the whole list', async () => {
    const target = await freshTarget();
    const urgencies: Urgency[] = ['low', 'normal', 'normal', 'emergency', 'high', 'normal', 'emergency'];
    const sent: { caseId: string; referralId: string }[] = [];
    for (const urgency of urgencies) sent.push(await referNew(target.id, urgency));
    // Two ended ones, so pages cross from active to ended referrals; equal due times tie on the id.
    await s.answer(sent[1]!.caseId, sent[1]!.referralId, 'decline', target.token, { reasonCode: 'duplicate', reason: 'Already helped' });
    await s.answer(sent[3]!.caseId, sent[3]!.referralId, 'decline', target.token, { reasonCode: 'duplicate', reason: 'Already helped' });
    t.clock.advanceHours(30);

    const whole = await t.get(`/institutions/${target.id}/inbox?limit=100`, target.token);
    expect(whole.body.nextCursor).toBeNull();
    expect(referralIds(whole.body.items).sort()).toEqual(referralIds(sent).sort());
    expect(whole.body.items.map((item: any) => item.status)).toEqual(['requested', 'requested', 'requested', 'requested', 'requested', 'declined', 'declined']);

    for (const limit of [1, 2, 3]) {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const page: Response = await t.get(`/institutions/${target.id}/inbox?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, target.token);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(limit);
        pages.push(referralIds(page.body.items));
        cursor = page.body.nextCursor;
      } while (cursor !== null && pages.length < 20);
      expect(pages.flat()).toEqual(referralIds(whole.body.items));
      expect(pages).toHaveLength(Math.ceil(sent.length / limit));
    }
    // Pages of a filtered list stay within the filter.
    expect(referralIds(await everyItem(`/institutions/${target.id}/inbox?status=requested`, target.token, 2)))
      .toEqual(referralIds(whole.body.items).slice(0, 5));
  });
});

describe('who may read an inbox', () => {
  let target: { id: string; token: string };
  let referralId: string;

  beforeAll(async () => {
    target = await freshTarget();
    ({ referralId } = await referNew(target.id, 'normal'));
  });

  it('the institution\'s own caseworker', async () => {
    const inbox = await t.get(`/institutions/${target.id}/inbox`, target.token);
    expect(inbox.status).toBe(200);
    expect(referralIds(inbox.body.items)).toEqual([referralId]);
  });

  it('the coordinator of a network the institution belongs to', async () => {
    const inbox = await t.get(`/institutions/${target.id}/inbox`, magersariCoordinator);
    expect(inbox.status).toBe(200);
    expect(referralIds(inbox.body.items)).toEqual([referralId]);
    expect(referralIds((await t.get(`/institutions/${MAGERSARI_RW}/outbox`, magersariCoordinator)).body.items)).toContain(referralId);
  });

  it('not another institution\'s caseworker, not another network\'s coordinator', async () => {
    expectProblem(await t.get(`/institutions/${target.id}/inbox`, puskesos), 403);
    expectProblem(await t.get(`/institutions/${target.id}/outbox`, puskesos), 403);
    // Not even the caseworker who sent it: the sender reads its outbox, not the target's inbox.
    expectProblem(await t.get(`/institutions/${target.id}/inbox`, magersariRw), 403);
    expectProblem(await t.get(`/institutions/${target.id}/inbox`, coordinator), 403);
    expectProblem(await t.get(`/institutions/${MAGERSARI_RW}/outbox`, coordinator), 403);
    expectProblem(await t.get(`/institutions/${PUSKESOS}/inbox`, magersariCoordinator), 403);
    // The demo network's coordinator reads its members' inboxes.
    expect((await t.get(`/institutions/${PUSKESOS}/inbox`, coordinator)).status).toBe(200);
  });

  it('not an analyst, auditor or admin, even one whose token names the institution', async () => {
    for (const role of ['analyst', 'auditor', 'admin'] as const) {
      expectProblem(await t.get(`/institutions/${target.id}/inbox`, await t.token({ role })), 403);
      expectProblem(await t.get(`/institutions/${target.id}/inbox`, await t.token({ role, institutionId: target.id })), 403);
      expectProblem(await t.get(`/institutions/${target.id}/outbox`, await t.token({ role, institutionId: target.id })), 403);
    }
  });

  it('an unknown institution is 404, and an unsigned request 401', async () => {
    expectProblem(await t.get('/institutions/no-such-institution/inbox', coordinator), 404);
    expectProblem(await t.request('GET', `/institutions/${target.id}/inbox`), 401);
  });
});

describe('GET /cases lists only what the roles allow', () => {
  /** Owned by the RW, never referred. */
  let ownedOnly: string;
  /** Referred to the Puskesos, still waiting for an answer. */
  let requested: string;
  /** Referred to the Posyandu, which accepted (a participant); about toddlers. */
  let accepted: string;
  /** Escalated to Dinsos. */
  let escalated: string;
  /** Closed, in Magersari. */
  let closed: string;
  /** In the Kramat Utara network. */
  let kramat: string;

  beforeAll(async () => {
    ownedOnly = await s.openCase(wargaCase(NETWORK, { categories: ['PPKS-08'] }), owner);
    requested = await s.openCase(wargaCase(NETWORK), owner);
    await s.consent(requested, { token: owner });
    await s.refer(requested, PUSKESOS, { token: owner });
    accepted = await s.openCase(wargaCase(NETWORK, { categories: ['PPKS-01'] }), owner);
    await s.consent(accepted, { token: owner });
    const toPosyandu = await s.refer(accepted, POSYANDU, { token: owner });
    await s.answer(accepted, toPosyandu, 'accept', posyandu);
    escalated = await s.openCase(wargaCase(NETWORK), owner);
    expect((await t.post(`/cases/${escalated}/escalate`, coordinator, { toInstitutionId: DINSOS, reason: 'Needs a shelter' })).status).toBe(200);
    closed = await s.openCase(wargaCase(NETWORK, { regionCode: MAGERSARI }), owner);
    expect((await t.post(`/cases/${closed}/close`, owner, { outcome: 'not_resolved', summary: 'Moved away' })).status).toBe(200);
    kramat = await s.openCase(wargaCase(KRAMAT, { regionCode: '33.71.02.1008' }), kramatRw);
  });

  it('a caseworker: cases their institution owns, is asked to take (before accepting) or takes part in; never others', async () => {
    const ownerSees = ids(await everyItem('/cases', owner));
    expect(ownerSees).toEqual(expect.arrayContaining([ownedOnly, requested, accepted, escalated, closed]));
    expect(ownerSees).not.toContain(kramat);

    const puskesosItems = await everyItem('/cases', puskesos);
    expect(ids(puskesosItems)).toContain(requested);
    for (const other of [ownedOnly, accepted, escalated, closed, kramat]) expect(ids(puskesosItems)).not.toContain(other);
    expect(puskesosItems.find((item) => item.id === requested)).toMatchObject({ participants: [OWNER], referrals: [{ toInstitutionId: PUSKESOS, status: 'requested' }] });

    const posyanduItems = await everyItem('/cases', posyandu);
    expect(ids(posyanduItems)).toContain(accepted);
    for (const other of [ownedOnly, requested, escalated, closed, kramat]) expect(ids(posyanduItems)).not.toContain(other);

    expect(ids(await everyItem('/cases', kramatRw))).toEqual([kramat]);
    expect(await everyItem('/cases', karangTaruna)).toEqual([]);

    for (const [institutionId, items] of [[PUSKESOS, puskesosItems], [POSYANDU, posyanduItems]] as const) {
      for (const item of items) expect(touchedBy(item)).toContain(institutionId);
    }
  });

  it('a coordinator: every case of their network, none of another', async () => {
    const items = await everyItem('/cases', coordinator);
    expect(ids(items)).toEqual(expect.arrayContaining([ownedOnly, requested, accepted, escalated, closed]));
    expect(ids(items)).not.toContain(kramat);
    expect(items.every((item) => item.networkId === NETWORK)).toBe(true);

    expect(ids(await everyItem('/cases', kramatCoordinator))).toEqual([kramat]);
    expect(await everyItem(`/cases?networkId=${NETWORK}`, kramatCoordinator)).toEqual([]);
  });

  it('dinsos: escalated cases only', async () => {
    const items = await everyItem('/cases', dinsos);
    expect(ids(items)).toContain(escalated);
    for (const other of [ownedOnly, requested, accepted, closed, kramat]) expect(ids(items)).not.toContain(other);
    expect(items.every((item) => item.escalatedTo.length > 0)).toBe(true);
    expect(ids(await everyItem(`/cases?networkId=${NETWORK}`, dinsos))).toContain(escalated);
    expect(ids(await everyItem(`/cases?networkId=${KRAMAT}`, dinsos))).not.toContain(escalated);
  });

  it('escalated=true|false: escalated cases, or the others', async () => {
    const escalatedOnly = await everyItem('/cases?escalated=true', coordinator);
    expect(ids(escalatedOnly)).toContain(escalated);
    expect(escalatedOnly.every((item) => item.escalatedTo.length > 0)).toBe(true);
    const others = await everyItem('/cases?escalated=false', coordinator);
    expect(ids(others)).toEqual(expect.arrayContaining([ownedOnly, requested, accepted, closed]));
    expect(ids(others)).not.toContain(escalated);
    expect(ids(await everyItem('/cases?escalated=false', dinsos))).toEqual([]);
    expect((await t.get('/cases?escalated=yes', coordinator)).body.errors[0].field).toBe('query.escalated');
  });

  it('analyst, auditor and admin: 403', async () => {
    for (const token of [analyst, auditor, admin]) expectProblem(await t.get('/cases', token), 403);
    expectProblem(await t.get('/cases', await t.token({ role: 'admin', institutionId: OWNER })), 403);
  });

  it('filters by status, category, institutionId, regionCode and networkId', async () => {
    const list = async (query: string) => {
      const items = await everyItem(`/cases?${query}`, coordinator);
      return { items, ids: ids(items) };
    };

    const closedOnes = await list('status=closed');
    expect(closedOnes.ids).toContain(closed);
    expect(closedOnes.items.every((item) => item.status === 'closed')).toBe(true);
    const openOnes = await list('status=open');
    expect(openOnes.ids).toEqual(expect.arrayContaining([ownedOnly, requested, accepted, escalated]));
    expect(openOnes.ids).not.toContain(closed);
    expect(openOnes.items.every((item) => item.status === 'open')).toBe(true);

    const toddlers = await list('category=PPKS-01');
    expect(toddlers.ids).toContain(accepted);
    expect(toddlers.items.every((item) => item.categories.includes('PPKS-01'))).toBe(true);
    expect(toddlers.ids).not.toContain(ownedOnly);
    expect((await list('category=PPKS-08')).ids).toContain(ownedOnly);
    expect((await list('category=PPKS-08')).ids).not.toContain(accepted);

    const withPosyandu = await list(`institutionId=${POSYANDU}`);
    expect(withPosyandu.ids).toContain(accepted);
    for (const other of [ownedOnly, requested, escalated, closed]) expect(withPosyandu.ids).not.toContain(other);
    expect((await list(`institutionId=${PUSKESOS}`)).ids).toContain(requested);
    expect((await list(`institutionId=${DINSOS}`)).ids).toContain(escalated);

    const magersari = await list(`regionCode=${MAGERSARI}`);
    expect(magersari.ids).toContain(closed);
    expect(magersari.items.every((item) => item.subject.regionCode === MAGERSARI)).toBe(true);
    expect((await list(`regionCode=${JURANGOMBO_UTARA}`)).ids).not.toContain(closed);

    expect((await list(`networkId=${NETWORK}`)).ids).toEqual((await list('')).ids);
    expect((await list(`networkId=${KRAMAT}`)).ids).toEqual([]);
    // Filters combine, and a caseworker's filters stay inside what the caseworker may see.
    expect((await list(`status=open&category=PPKS-01&institutionId=${POSYANDU}`)).ids).toContain(accepted);
    expect((await list(`status=closed&institutionId=${POSYANDU}`)).ids).not.toContain(accepted);
    expect(ids(await everyItem(`/cases?institutionId=${OWNER}`, puskesos))).not.toContain(ownedOnly);

    expectProblem(await t.get('/cases?status=pending', coordinator), 422, 'query.status');
    expectProblem(await t.get('/cases?category=PPKS-99', coordinator), 422, 'query.category');
    expectProblem(await t.get('/cases?regionCode=99.99', coordinator), 422, 'query.regionCode');
    expectProblem(await t.get('/cases?colour=red', coordinator), 422, 'query.colour');
  });
});

describe('GET /cases pages', () => {
  it('stay stable while new cases arrive: every case that existed appears exactly once, in order', async () => {
    const magersariCases: string[] = [];
    for (let index = 0; index < 4; index++) magersariCases.push(await s.openCase(wargaCase(MAGERSARI_NETWORK, { regionCode: MAGERSARI }), magersariRw));
    t.clock.advanceHours(1);
    for (let index = 0; index < 4; index++) magersariCases.push(await s.openCase(wargaCase(MAGERSARI_NETWORK, { regionCode: MAGERSARI }), magersariRw));

    const before = await t.get('/cases?limit=100', magersariCoordinator);
    expect(before.body.nextCursor).toBeNull();
    const existing = ids(before.body.items);
    expect(existing).toEqual(expect.arrayContaining(magersariCases));
    expect(existing.length).toBeGreaterThanOrEqual(10);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Response = await t.get(`/cases?limit=3${cursor ? `&cursor=${cursor}` : ''}`, magersariCoordinator);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(page.body.items));
      cursor = page.body.nextCursor;
      // A colleague opens cases meanwhile: newer ones, and ones opened at the same instant as those listed.
      if (pages % 2 === 0) t.clock.advanceHours(1);
      await s.openCase(wargaCase(MAGERSARI_NETWORK, { regionCode: MAGERSARI }), magersariRw);
      pages++;
    } while (cursor !== null && pages < 50);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => existing.includes(id))).toEqual(existing);
    // Newest first.
    const openedAt = (await everyItem('/cases', magersariCoordinator)).map((item) => item.openedAt as string);
    expect([...openedAt].sort().reverse()).toEqual(openedAt);
  });

  it('refuse a cursor they did not hand out (422 naming query.cursor) and a limit outside 1..100', async () => {
    const first = await t.get('/cases?limit=1', coordinator);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await t.get(`/cases?limit=1&cursor=${first.body.nextCursor}`, coordinator)).status).toBe(200);

    const forged = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
    for (const cursor of ['not-a-cursor', '%7B%7D', forged(['2026-11-02T08:00:00.000Z']), forged({ openedAt: 1 }), forged([{ $gt: '' }, { $ne: null }])]) {
      expectProblem(await t.get(`/cases?cursor=${cursor}`, coordinator), 422, 'query.cursor');
    }
    expectProblem(await t.get('/cases?limit=101', coordinator), 422, 'query.limit');
    expectProblem(await t.get('/cases?limit=0', coordinator), 422, 'query.limit');
    expectProblem(await t.get('/cases?limit=-3', coordinator), 422, 'query.limit');
    expectProblem(await t.get('/cases?limit=2.5', coordinator), 422, 'query.limit');
    expect((await t.get('/cases?limit=100', coordinator)).status).toBe(200);
    expect((await t.get('/cases?limit=1', coordinator)).body.items).toHaveLength(1);
    expectProblem(await t.get(`/institutions/${PUSKESOS}/inbox?limit=101`, puskesos), 422, 'query.limit');
    expectProblem(await t.get(`/institutions/${PUSKESOS}/inbox?cursor=not-a-cursor`, puskesos), 422, 'query.cursor');
    expectProblem(await t.get('/institutions?limit=0', puskesos), 422, 'query.limit');
  });
});

describe('X-Min-Position', () => {
  it('answers at once when the views have reached the position, showing the write', async () => {
    const caseId = await s.openCase(wargaCase(NETWORK), owner);
    const noted = await t.post(`/cases/${caseId}/needs`, owner, { categories: ['PPKS-02'], urgency: 'high' });
    expect(noted.status).toBe(200);
    const started = Date.now();
    const read = await t.get(`/cases/${caseId}`, owner, { 'x-min-position': noted.body.position });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: caseId, categories: ['PPKS-02'], urgency: 'high', revision: noted.body.revision });
    // Any position already applied answers the same way.
    expect((await t.get('/cases?limit=1', owner, { 'x-min-position': '1' })).status).toBe(200);
    expect((await t.get('/cases?limit=1', owner, { 'x-min-position': '0' })).status).toBe(200);
  });

  it('refuses a malformed header with 400 naming X-Min-Position', async () => {
    for (const value of ['abc', '-1', '1.5', '0x10', '12 13', '123456789012345678901']) {
      expectProblem(await t.get('/cases', owner, { 'x-min-position': value }), 400, 'X-Min-Position');
    }
  });

  it('answers 503 after the bounded wait when the views cannot reach the position', async () => {
    const started = Date.now();
    const response = await t.get('/cases', owner, { 'x-min-position': '999999999' });
    const waited = Date.now() - started;
    expectProblem(response, 503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(waited).toBeGreaterThanOrEqual(490);
    expect(waited).toBeLessThan(5_000);
  });
});

describe('the directory', () => {
  const list = async (query: string, token = posyandu) => {
    const items = await everyItem(`/institutions${query}`, token);
    return { items, ids: ids(items) };
  };

  it('filters the seeded institutions by networkId, kind, category and regionCode', async () => {
    const members = await list(`?networkId=${NETWORK}`);
    expect([...members.ids].sort()).toEqual(NETWORK_MEMBERS);
    expect(members.items.every((item) => item.networkIds.includes(NETWORK))).toBe(true);
    expect(members.items.find((item) => item.id === POSYANDU)).toEqual({
      id: POSYANDU, status: 'active', name: 'Posyandu Melati', kind: 'posyandu', regionCode: JURANGOMBO_UTARA, scope: 'network',
      categoriesServed: ['PPKS-01', 'PPKS-05'], capacity: 30, networkIds: [NETWORK], revision: expect.any(String),
    });
    // City-wide providers serve every network without being members of one.
    expect((await list(`?networkId=${NETWORK}&kind=puskesmas`)).ids).toEqual([]);

    expect((await list('?kind=posyandu')).ids).toEqual([POSYANDU]);
    expect((await list('?kind=puskesmas')).ids).toEqual(['puskesmas-magelang-selatan']);
    expect((await list('?kind=dinsos')).ids).toEqual([DINSOS]);
    expect((await list(`?kind=rw&networkId=${NETWORK}`)).ids).toEqual([OWNER]);

    // Sorted by name.
    expect((await list('?category=PPKS-09')).ids).toEqual(['puskesmas-magelang-selatan', 'puskesos-jurangombo-utara', 'rsud-tidar']);
    expect((await list(`?category=PPKS-08&networkId=${NETWORK}`)).ids).toEqual([PUSKESOS, OWNER]);
    expect((await list('?category=PPKS-17')).ids).toEqual(['karang-taruna-jurangombo-utara', 'rsud-tidar']);

    expect([...(await list(`?regionCode=${JURANGOMBO_UTARA}`)).ids].sort()).toEqual(NETWORK_MEMBERS);
    expect([...(await list('?regionCode=33.71')).ids].sort()).toEqual([DINSOS, 'dukcapil-kota-magelang', 'rsud-tidar']);

    expectProblem(await t.get('/institutions?kind=castle', posyandu), 422, 'query.kind');
    expectProblem(await t.get('/institutions?category=PPKS-99', posyandu), 422, 'query.category');
    // Any signed-in role reads the directory.
    for (const token of [analyst, auditor, admin, dinsos]) expect((await t.get(`/institutions?networkId=${NETWORK}`, token)).body.items).toHaveLength(5);
  });

  it('pages the directory by name without repeating an institution', async () => {
    const whole = await list('');
    const paged = ids(await everyItem('/institutions', posyandu, 2));
    expect(paged).toEqual(whole.ids);
    expect(new Set(paged).size).toBe(paged.length);
    const names = whole.items.map((item) => item.name as string);
    expect([...names].sort()).toEqual(names);
  });

  it('GET /networks/:id shows the members with their names; joining and leaving change every list', async () => {
    const network = await t.get(`/networks/${NETWORK}`, posyandu);
    expect(network.status).toBe(200);
    expect(network.body).toMatchObject({ id: NETWORK, name: 'WKSBM Jurangombo Utara', regionCode: JURANGOMBO_UTARA });
    expect([...network.body.memberIds].sort()).toEqual(NETWORK_MEMBERS);
    expect(network.body.members).toHaveLength(5);
    expect(network.body.members).toContainEqual({ id: POSYANDU, name: 'Posyandu Melati', kind: 'posyandu', regionCode: JURANGOMBO_UTARA });
    expect(network.body.members).toContainEqual({ id: PUSKESOS, name: 'Puskesos Jurangombo Utara', kind: 'puskesos', regionCode: JURANGOMBO_UTARA });

    const joining = 'pkk-kramat-utara';
    await registerInstitution(joining, { kind: 'pkk', regionCode: '33.71.02.1008', networkId: null });
    expect((await t.get(`/networks/${KRAMAT}`, posyandu)).body).toMatchObject({ memberIds: [KRAMAT_RW], members: [{ id: KRAMAT_RW, name: `Test ${KRAMAT_RW}` }] });

    expectProblem(await t.get(`/institutions/${joining}/inbox`, kramatCoordinator), 403);
    expect((await t.post(`/networks/${KRAMAT}/members`, kramatCoordinator, { institutionId: joining })).status).toBe(201);
    // A member's coordinator may read its inbox, from the moment it joins until it leaves.
    expect((await t.get(`/institutions/${joining}/inbox`, kramatCoordinator)).status).toBe(200);
    expect((await list(`?networkId=${KRAMAT}`)).ids.sort()).toEqual([joining, KRAMAT_RW]);
    expect((await t.get(`/institutions/${joining}`, posyandu)).body.networkIds).toEqual([KRAMAT]);
    const joined = (await t.get(`/networks/${KRAMAT}`, posyandu)).body;
    expect([...joined.memberIds].sort()).toEqual([joining, KRAMAT_RW]);
    expect(joined.members).toContainEqual({ id: joining, name: `Test ${joining}`, kind: 'pkk', regionCode: '33.71.02.1008' });

    const left = await t.request('DELETE', `/networks/${KRAMAT}/members/${joining}`, { token: kramatCoordinator });
    expect(left.status).toBe(200);
    expect((await list(`?networkId=${KRAMAT}`)).ids).toEqual([KRAMAT_RW]);
    expect((await t.get(`/institutions/${joining}`, posyandu)).body.networkIds).toEqual([]);
    expectProblem(await t.get(`/institutions/${joining}/inbox`, kramatCoordinator), 403);
    expect((await t.get(`/networks/${KRAMAT}`, posyandu)).body).toMatchObject({ memberIds: [KRAMAT_RW], members: [{ id: KRAMAT_RW }] });
    // The demo network is untouched.
    expect([...(await list(`?networkId=${NETWORK}`)).ids].sort()).toEqual(NETWORK_MEMBERS);

    const networks = ids(await everyItem('/networks', posyandu));
    expect(networks).toEqual(expect.arrayContaining([NETWORK, KRAMAT, MAGERSARI_NETWORK]));
    expectProblem(await t.get('/networks/no-such-network', posyandu), 404);
  });

  it('shows a suspended institution as suspended, and active again once reactivated', async () => {
    const id = 'lks-magersari-suspended';
    await registerInstitution(id, { kind: 'lks', categoriesServed: ['PPKS-26'] });
    expect((await t.get(`/institutions/${id}`, posyandu)).body).toMatchObject({ id, status: 'active', kind: 'lks', categoriesServed: ['PPKS-26'] });

    expect((await t.post(`/institutions/${id}/suspend`, admin, { reason: 'Licence expired' })).status).toBe(200);
    expect((await t.get(`/institutions/${id}`, posyandu)).body.status).toBe('suspended');
    expect((await list('?category=PPKS-26')).items).toEqual([expect.objectContaining({ id, status: 'suspended', networkIds: [MAGERSARI_NETWORK] })]);

    expect((await t.post(`/institutions/${id}/reactivate`, admin, {})).status).toBe(200);
    expect((await t.get(`/institutions/${id}`, posyandu)).body.status).toBe('active');
    expectProblem(await t.get('/institutions/no-such-institution', posyandu), 404);
  });
});

describe('GET /health/ready', () => {
  it('lists both projections caught up, nothing behind', async () => {
    // Make sure both views have something fresh to apply, then wait for them with X-Min-Position.
    await registerInstitution('psm-magersari-ready', { kind: 'psm' });
    await s.openCase(wargaCase(MAGERSARI_NETWORK, { regionCode: MAGERSARI }), magersariRw);
    expect((await t.get('/cases?limit=1', magersariRw)).status).toBe(200);

    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', eventStore: 'ok' });
    const byName = Object.fromEntries(ready.body.projections.map((projection: any) => [projection.name, projection]));
    for (const name of ['directory', 'case-summaries']) {
      expect(byName[name]).toMatchObject({ name, position: expect.stringMatching(/^\d+$/), caughtUp: true, eventsBehind: 0, secondsBehind: 0 });
    }
    for (const projection of ready.body.projections) expect(projection).toMatchObject({ caughtUp: true, eventsBehind: 0 });
  });
});
