/**
 * Runs the permission matrix (test/permission-matrix.ts) against the app: every route it serves, as every
 * caller, on every kind of object in the matrix. Bodies are valid, so "ok" means the request went through;
 * a caller allowed to change something gets an object of its own, so no write disturbs another cell.
 */
import type { Response as InjectResponse } from 'light-my-request';
import { CALLERS, MATRIX, type Caller, type Outcome, type Row } from './permission-matrix.js';
import { DINSOS, NETWORK, OWNER, POSYANDU, PUSKESOS, RSUD } from './support/demo.js';
import { TestApp } from './support/test-app.js';

const KELURAHAN = '33.71.01.1008';
const NETWORK_2 = 'wksbm-matrix-kedua';
const INSTITUTION_2 = 'rw-matrix-kedua';
const UNKNOWN = '01900000-0000-7000-8000-000000000404';
const REASON = { reason: 'Permission matrix' };

/** What a request names in its path and body. */
interface Objects {
  readonly caseId: string;
  readonly referralId: string;
  readonly consentId: string;
  readonly institutionId: string;
  readonly networkId: string;
  /** The institution a membership route adds or removes. */
  readonly memberId: string;
  readonly subjectId: string;
  readonly userId: string;
  readonly webhookId: string;
  /** The scope of an institution to register. */
  readonly scope: 'network' | 'city';
}
const NOTHING: Objects = {
  caseId: UNKNOWN, referralId: UNKNOWN, consentId: UNKNOWN, institutionId: UNKNOWN, networkId: UNKNOWN, memberId: UNKNOWN, subjectId: UNKNOWN, userId: UNKNOWN, webhookId: UNKNOWN, scope: 'network',
};

/** Where a case must be for a route to go through; each stage adds steps to the one before it. */
const STAGES = {
  referred: [],
  accepted: ['accept'],
  in_progress: ['accept', 'start'],
  on_hold: ['accept', 'start', 'hold'],
  completed: ['accept', 'complete'],
  ended: ['accept', 'complete', 'acknowledge'],
  closed: ['accept', 'complete', 'acknowledge', 'close'],
} as const;
type Stage = keyof typeof STAGES;

/** How to call a route validly: the case's stage (`referred` by default), a query, a body (`{}` on a POST by default). */
interface Call {
  readonly stage?: Stage;
  readonly query?: (objects: Objects) => string;
  readonly body?: (caller: Caller, objects: Objects) => unknown;
}
const CALLS: Readonly<Record<string, Call>> = {
  'POST /institutions': { body: (_caller, { scope }) => ({ name: `Matrix ${scope}`, kind: scope === 'city' ? 'rsud' : 'lks', regionCode: KELURAHAN, scope, categoriesServed: ['PPKS-08'] }) },
  'POST /institutions/{id}/rename': { body: () => ({ name: 'Renamed by the matrix' }) },
  'POST /institutions/{id}/services': { body: () => ({ categoriesServed: ['PPKS-08', 'PPKS-24'] }) },
  'POST /institutions/{id}/suspend': { body: () => REASON },
  'POST /networks': { body: () => ({ name: 'WKSBM Matrix', regionCode: KELURAHAN }) },
  'POST /networks/{id}/members': { body: (_caller, objects) => ({ institutionId: objects.memberId }) },
  'POST /networks/{id}/coordinators': { body: () => ({ userId: 'matrix-coordinator' }) },
  'POST /cases': {
    body: (caller) => ({
      networkId: NETWORK, ...(caller.startsWith('coordinator') ? { ownerInstitutionId: OWNER } : {}),
      subject: { name: 'Siti Aminah', regionCode: KELURAHAN }, categories: ['PPKS-08'], urgency: 'high', description: 'Lives alone',
    }),
  },
  'POST /cases/{id}/consents': { body: () => ({ scope: 'referral', recipients: 'network', givenBy: 'subject' }) },
  'POST /cases/{id}/notes': { body: () => ({ text: 'Visited', visibility: 'participants' }) },
  'POST /cases/{id}/needs': { body: () => ({ categories: ['PPKS-08'], urgency: 'normal' }) },
  'POST /cases/{id}/referrals': { body: () => ({ toInstitutionId: POSYANDU, ...REASON }) },
  'POST /cases/{id}/referrals/{rid}/decline': { body: () => ({ reasonCode: 'no_capacity', ...REASON }) },
  'POST /cases/{id}/referrals/{rid}/start': { stage: 'accepted' },
  'POST /cases/{id}/referrals/{rid}/hold': { stage: 'in_progress', body: () => REASON },
  'POST /cases/{id}/referrals/{rid}/resume': { stage: 'on_hold' },
  'POST /cases/{id}/referrals/{rid}/complete': { stage: 'accepted', body: () => ({ outcome: 'resolved', summary: 'Done' }) },
  'POST /cases/{id}/referrals/{rid}/fail': { stage: 'accepted', body: () => REASON },
  'POST /cases/{id}/referrals/{rid}/cancel': { body: () => REASON },
  'POST /cases/{id}/referrals/{rid}/acknowledge': { stage: 'completed' },
  'POST /cases/{id}/escalate': { body: () => ({ toInstitutionId: RSUD, ...REASON }) },
  'POST /cases/{id}/close': { stage: 'ended', body: () => ({ outcome: 'resolved', summary: 'Done' }) },
  'POST /cases/{id}/reopen': { stage: 'closed', body: () => REASON },
  'GET /audit/cases/{id}/state': { query: () => '?revision=0' },
  'POST /subjects/{subjectId}/erasure': { body: () => ({ reason: 'Request 2026/17' }) },
  'POST /auth/sign-in': { body: () => ({ code: 'not-a-code' }) },
  'POST /users/invitations': { body: () => ({ role: 'auditor' }) },
  'POST /users/{id}/revoke': { body: () => REASON },
  'POST /webhooks': { body: (caller) => ({ url: 'http://127.0.0.1:9/matrix', eventKinds: ['referral.requested'], scope: WEBHOOK_SCOPES[caller] }) },
};

/** The scope each caller may subscribe to (the roles that may not, any scope). */
const WEBHOOK_SCOPES: Readonly<Record<Caller, unknown>> = {
  caseworker: { level: 'institution', institutionId: OWNER },
  'caseworker:target': { level: 'institution', institutionId: PUSKESOS },
  'caseworker:other': { level: 'institution', institutionId: POSYANDU },
  'caseworker:net2': { level: 'institution', institutionId: INSTITUTION_2 },
  coordinator: { level: 'network', networkId: NETWORK },
  'coordinator:net2': { level: 'network', networkId: NETWORK_2 },
  dinsos: { level: 'city' },
  auditor: { level: 'city' },
  analyst: { level: 'city' },
  admin: { level: 'city' },
  none: { level: 'city' },
};

let t: TestApp;
const tokens = new Map<Caller, string>();
/** The log position every fixture write so far has reached: what a read asks the views to have applied. */
let written = 0n;

async function fixture(url: string, token: Caller, body: unknown = {}): Promise<Record<string, string>> {
  const response = await t.post(url, tokens.get(token)!, body);
  if (response.status >= 300) throw new Error(`Fixture ${url}: ${response.status} ${response.body?.detail}`);
  if (BigInt(response.body.position) > written) written = BigInt(response.body.position);
  return response.body;
}

async function caseAt(stage: Stage, escalated: boolean): Promise<Pick<Objects, 'caseId' | 'referralId' | 'consentId'>> {
  const { id: caseId } = await fixture('/cases', 'caseworker', CALLS['POST /cases']!.body!('caseworker', NOTHING));
  const { consentId } = await fixture(`/cases/${caseId}/consents`, 'caseworker', CALLS['POST /cases/{id}/consents']!.body!('caseworker', NOTHING));
  if (escalated) await fixture(`/cases/${caseId}/escalate`, 'caseworker', { toInstitutionId: DINSOS, ...REASON });
  const { referralId } = await fixture(`/cases/${caseId}/referrals`, 'caseworker', { toInstitutionId: PUSKESOS, ...REASON });
  for (const step of STAGES[stage]) {
    if (step === 'close') await fixture(`/cases/${caseId}/close`, 'caseworker', CALLS['POST /cases/{id}/close']!.body!('caseworker', NOTHING));
    else await fixture(`/cases/${caseId}/referrals/${referralId}/${step}`, step === 'acknowledge' ? 'caseworker' : 'caseworker:target',
      CALLS[`POST /cases/{id}/referrals/{rid}/${step}`]?.body?.('caseworker:target', NOTHING) ?? {});
  }
  return { caseId: caseId!, referralId: referralId!, consentId: consentId! };
}

async function institution(options: { scope?: Objects['scope']; member?: boolean; suspended?: boolean } = {}): Promise<string> {
  const { id } = await fixture('/institutions', 'admin', CALLS['POST /institutions']!.body!('admin', { ...NOTHING, scope: options.scope ?? 'network' }));
  if (options.member) await fixture(`/networks/${NETWORK}/members`, 'admin', { institutionId: id });
  if (options.suspended) await fixture(`/institutions/${id}/suspend`, 'admin', REASON);
  return id!;
}

/** The objects of a row: made anew for each request allowed to change them, else shared by the row's requests. */
async function objectsOf({ route, on }: Row): Promise<Objects> {
  switch (on) {
    case '-':
    case 'unknown case':
    case 'unknown institution':
    case 'unknown network':
    case 'unknown subject':
    case 'unknown user':
    case 'unknown webhook':
      return NOTHING;
    case 'webhook':
    case 'city webhook': {
      const owner: Caller = on === 'webhook' ? 'caseworker' : 'dinsos';
      return { ...NOTHING, webhookId: (await fixture('/webhooks', owner, CALLS['POST /webhooks']!.body!(owner, NOTHING))).id! };
    }
    case 'user':
      return { ...NOTHING, userId: (await fixture('/users/invitations', 'admin', CALLS['POST /users/invitations']!.body!('admin', NOTHING))).id! };
    case 'case':
    case 'escalated case':
      return { ...NOTHING, ...(await caseAt(CALLS[route]?.stage ?? 'referred', on === 'escalated case')) };
    case 'unknown referral':
      return { ...NOTHING, ...(await caseAt('referred', false)), referralId: UNKNOWN };
    case 'institution':
    case 'city-wide provider': {
      const scope = on === 'institution' ? 'network' : 'city';
      if (route.startsWith('GET ')) return { ...NOTHING, institutionId: OWNER };
      if (route === 'POST /institutions') return { ...NOTHING, scope };
      return { ...NOTHING, institutionId: await institution({ scope, member: scope === 'network', suspended: route.endsWith('/reactivate') }) };
    }
    case 'subject': {
      const { caseId } = await caseAt('referred', false);
      return { ...NOTHING, subjectId: ((await t.stream(`case-${caseId}`))[0]!.data as { subjectId: string }).subjectId };
    }
    case 'network': {
      const memberId = route.endsWith('/members') ? await institution() : route.startsWith('DELETE ') ? await institution({ member: true }) : UNKNOWN;
      return { ...NOTHING, networkId: NETWORK, memberId };
    }
  }
}

function pathOf(route: string, objects: Objects): string {
  const template = route.split(' ')[1]!;
  const id = template.startsWith('/institutions/') ? objects.institutionId : template.startsWith('/networks/') ? objects.networkId
    : template.startsWith('/users/') ? objects.userId : template.startsWith('/webhooks/') ? objects.webhookId : objects.caseId;
  return template.replace('{id}', id).replace('{rid}', objects.referralId).replace('{consentId}', objects.consentId)
    .replace('{institutionId}', objects.memberId).replace('{subjectId}', objects.subjectId);
}

/** Routes that answer with a stream that stays open: asked over a socket, judged by the status line, then dropped. */
const STREAMS = new Set(['GET /institutions/{id}/referral-events']);
let baseUrl = '';

type Answer = Pick<InjectResponse, 'statusCode' | 'headers' | 'json'>;

async function sendStream(url: string, headers: Record<string, string>): Promise<Answer> {
  const aborted = new AbortController();
  const response = await fetch(`${baseUrl}${url}`, { headers, signal: aborted.signal });
  const body = response.ok ? null : await response.text();
  aborted.abort();
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), json: () => (body === null ? {} : JSON.parse(body)) };
}

function send(route: string, caller: Caller, objects: Objects): Promise<Answer> {
  const method = route.split(' ')[0] as 'GET' | 'POST' | 'DELETE';
  const call = CALLS[route] ?? {};
  const token = tokens.get(caller);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (method === 'GET') headers['x-min-position'] = written.toString();
  const body = method === 'POST' ? call.body?.(caller, objects) ?? {} : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const url = `/api/v1${pathOf(route, objects)}${call.query?.(objects) ?? ''}`;
  if (STREAMS.has(route)) return sendStream(url, headers);
  return t.app.inject({ method, url, headers, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
}

/** Why the answer is not the expected one, or null when it is. */
function mismatch(expected: Outcome, response: Answer): string | null {
  const ok = expected === 'ok' ? response.statusCode >= 200 && response.statusCode < 300 : response.statusCode === expected;
  if (!ok) return `expected ${expected}, got ${response.statusCode} ${response.statusCode >= 400 ? response.json().detail : ''}`;
  if (expected !== 'ok' && expected !== 302 && !String(response.headers['content-type']).startsWith('application/problem+json')) return `${expected} is not a problem document`;
  return null;
}

/** Runs `task` on every item, at most `limit` at a time. */
async function inPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

beforeAll(async () => {
  // Reads wait for the views to apply every write made so far, while other rows keep writing.
  // Webhook targets on this host (port 9: nothing listens there, so their deliveries just fail).
  t = await TestApp.start({ environment: { VIEW_WAIT_MS: '30000', WEBHOOK_ALLOW_LOOPBACK: 'true' } });
  const claims: Record<Caller, Parameters<TestApp['token']>[0] | null> = {
    caseworker: { role: 'caseworker', institutionId: OWNER },
    'caseworker:target': { role: 'caseworker', institutionId: PUSKESOS },
    'caseworker:other': { role: 'caseworker', institutionId: POSYANDU },
    'caseworker:net2': { role: 'caseworker', institutionId: INSTITUTION_2 },
    coordinator: { role: 'coordinator', networkId: NETWORK },
    'coordinator:net2': { role: 'coordinator', networkId: NETWORK_2 },
    dinsos: { role: 'dinsos', institutionId: DINSOS },
    auditor: { role: 'auditor', institutionId: OWNER, networkId: NETWORK },
    analyst: { role: 'analyst', institutionId: OWNER, networkId: NETWORK },
    admin: { role: 'admin', institutionId: OWNER, networkId: NETWORK },
    none: null,
  };
  for (const caller of CALLERS) if (claims[caller]) tokens.set(caller, await t.token(claims[caller]));
  baseUrl = await t.listen();
  await fixture('/networks', 'admin', { id: NETWORK_2, name: 'WKSBM Matrix Kedua', regionCode: '33.71.02.1008' });
  await fixture('/institutions', 'admin', { id: INSTITUTION_2, name: 'RW Matrix Kedua', kind: 'rw', regionCode: '33.71.02.1008', scope: 'network', categoriesServed: ['PPKS-08'] });
  await fixture(`/networks/${NETWORK_2}/members`, 'admin', { institutionId: INSTITUTION_2 });
});
afterAll(() => t.stop());

it('has a row for every route the app serves, and no row for a route it does not serve', async () => {
  const document = (await t.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  const served = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method)).map((method) => `${method.toUpperCase()} ${path.replace(/^\/api\/v1/, '')}`));
  const rows = new Set(MATRIX.map((row) => row.route));
  expect({ withoutRow: served.filter((route) => !rows.has(route)), notServed: [...rows].filter((route) => !served.includes(route)) })
    .toEqual({ withoutRow: [], notServed: [] });
});

it('answers every caller on every route as the matrix says', async () => {
  const failures: string[] = [];
  await inPool(MATRIX, 12, async (row) => {
    const changes = !row.route.startsWith('GET ');
    const shared = await objectsOf(row);
    await Promise.all(CALLERS.map(async (caller) => {
      const expected = row.expect[caller];
      const objects = changes && expected === 'ok' ? await objectsOf(row) : shared;
      const problem = mismatch(expected, await send(row.route, caller, objects));
      if (problem) failures.push(`${row.route} on ${row.on} as ${caller}: ${problem}`);
    }));
  });
  expect(failures.sort()).toEqual([]);
}, 60_000);
