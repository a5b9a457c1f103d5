/**
 * The OpenAPI document as a contract, checked with tools nobody here wrote: Redocly's recommended ruleset lints
 * it, and every route is driven (the happy paths through the typed client of client/, the main errors as raw
 * requests) while openapi-backend's validator checks each response (status, media type, body and headers)
 * against the document. A route, status or field the server sends and the document does not say fails here.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import ajvFormats from 'ajv-formats';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { OpenAPIBackend, SetMatchType, type Document as BackendDocument, type Operation } from 'openapi-backend';
import { mintToken } from '../src/auth/token.js';
import { TestApp, SAMPLE_NIK, SECRET } from './support/test-app.js';
import { DINSOS, NETWORK, OWNER, POSYANDU, PUSKESMAS, PUSKESOS } from './support/demo.js';

type Json = Record<string, any>;

let t: TestApp;
let document: Json;
let contract: ContractCheck;

beforeAll(async () => {
  // Webhook targets on this host (nothing listens on port 9: their deliveries just fail).
  t = await TestApp.start({ environment: { WEBHOOK_ALLOW_LOOPBACK: 'true' } });
  document = (await t.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
  contract = await ContractCheck.of(document);
});
afterAll(() => t.stop());

/**
 * Checks responses against the document with openapi-backend, and counts which status each operation answered.
 * openapi-backend validates the bodies it finds under `application/json`; the problem details
 * (`application/problem+json`), the CSV, NDJSON and Prometheus answers are shown to it there too, once their own
 * media type is checked.
 */
class ContractCheck {
  readonly violations: string[] = [];
  readonly answered = new Map<string, Set<number>>();

  private constructor(private readonly backend: OpenAPIBackend, private readonly served: Json) {}

  static async of(served: Json): Promise<ContractCheck> {
    const asJson = structuredClone(served);
    const responses = [
      ...Object.values<Json>(asJson.components.responses),
      ...Object.values<Json>(asJson.paths).flatMap((item) => Object.values<Json>(item).flatMap((operation) => Object.values<Json>(operation.responses))),
    ];
    for (const response of responses) {
      const [first] = Object.values<Json>(response.content ?? {});
      if (first && !response.content['application/json']) response.content['application/json'] = first;
    }
    const backend = new OpenAPIBackend({
      definition: asJson as BackendDocument, strict: true, quick: false,
      // The formats the schemas use (date, date-time), checked rather than ignored.
      customizeAjv: (ajv) => ajvFormats.default(ajv),
    });
    await backend.init();
    return new ContractCheck(backend, served);
  }

  /** The response as the served document gives it (through its `$ref`). */
  private documented(operation: Operation, status: number): Json | undefined {
    const response = this.served.paths[operation.path][operation.method].responses[String(status)] as Json | undefined;
    return response?.$ref ? this.served.components.responses[response.$ref.split('/').pop()] : response;
  }

  /** The operation this request is documented as, or null. */
  operation(method: string, path: string): Operation | null {
    return this.backend.matchOperation({ method, path, headers: {} }) ?? null;
  }

  check(method: string, path: string, status: number, headers: Headers, text: string): void {
    const route = `${method} ${path} → ${status}`;
    const operation = this.operation(method, path);
    if (!operation) {
      this.violations.push(`${route}: no such operation in the document`);
      return;
    }
    this.answered.set(operation.operationId!, (this.answered.get(operation.operationId!) ?? new Set()).add(status));
    const documented = this.documented(operation, status);
    if (!documented) {
      this.violations.push(`${route}: status not documented (${Object.keys(operation.responses ?? {}).join(', ')})`);
      return;
    }
    const mediaType = (headers.get('content-type') ?? '').split(';')[0]!;
    const mediaTypes = Object.keys(documented.content ?? {});
    if (text !== '' && !mediaTypes.includes(mediaType)) this.violations.push(`${route}: ${mediaType} is not documented (${mediaTypes.join(', ')})`);
    // An event stream's schema is that of its `referral` events' data; any other answer is one body.
    const bodies = mediaType === 'text/event-stream'
      ? eventsOf(text).filter((event) => event.event === 'referral').map((event) => JSON.parse(event.data))
      : [/^application\/(problem\+)?json$/.test(mediaType) ? JSON.parse(text) : text];
    for (const body of bodies) {
      const validBody = this.backend.validateResponse(body, operation, status);
      if (validBody.errors) this.violations.push(`${route}: body ${JSON.stringify(validBody.errors)}`);
    }
    const headerValues = Object.fromEntries(headers);
    const validHeaders = this.backend.validateResponseHeaders(headerValues, operation, { statusCode: status, setMatchType: SetMatchType.Any });
    if (validHeaders.errors) this.violations.push(`${route}: headers ${JSON.stringify(validHeaders.errors)}`);
    for (const [name, header] of Object.entries<Json>(documented.headers ?? {})) {
      const required = (header.$ref ? this.served.components.headers[header.$ref.split('/').pop()] : header).required === true;
      if (required && headerValues[name.toLowerCase()] === undefined) this.violations.push(`${route}: no ${name} header`);
    }
  }
}

/** The events of a server-sent event stream. */
function eventsOf(text: string): { event: string; data: string }[] {
  return text.split('\n\n').filter((block) => block.trim() !== '').map((block) => {
    const field = (name: string) => block.split('\n').filter((line) => line.startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trim()).join('\n');
    return { event: field('event') || 'message', data: field('data') };
  });
}

/** The typed client for a caller, every response checked against the document. */
function api(token?: string) {
  const client = t.client(token);
  client.use({
    async onResponse({ request, response }) {
      contract.check(request.method, new URL(request.url).pathname, response.status, response.headers, await response.clone().text());
    },
  });
  return client;
}

/** A request the typed client would not send (malformed, oversized, another media type), its response checked too. */
async function raw(app: TestApp, method: string, path: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set('authorization', `Bearer ${options.token}`);
  if (options.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const response = await app.fetch(new Request(`http://rujukan.test${path}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) }));
  contract.check(method, path, response.status, response.headers, await response.clone().text());
  return response;
}

describe('the OpenAPI document', () => {
  it('is browsable at /docs, also when asked for as /docs/, every asset of the page loading', async () => {
    for (const [asked, location] of [['/docs/', '/docs'], ['/docs/?deepLinking=true', '/docs?deepLinking=true']]) {
      const redirect = await t.app.inject({ url: asked });
      expect({ asked, status: redirect.statusCode, location: redirect.headers['location'] }).toEqual({ asked, status: 301, location });
    }
    const page = await t.app.inject({ url: '/docs' });
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => new URL(match[1]!, 'http://rujukan.test/docs').pathname);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) expect({ asset, status: (await t.app.inject({ url: asset })).statusCode }).toEqual({ asset, status: 200 });
  });

  it("passes Redocly's recommended ruleset without an error or a warning", async () => {
    const problems = await lintFromString({
      source: JSON.stringify(document), absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }),
    });
    // The two routes a browser navigates through to the identity provider answer with redirects, never a 2xx.
    const redirects = ['/api/v1/auth/oidc/login', '/api/v1/auth/oidc/callback'].map((path) => `#/paths/${path.replace(/\//g, '~1')}/get/responses`);
    const found = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`);
    expect(found.filter((line) => !redirects.some((pointer) => line === `warn operation-2xx-response: Operation must have at least one \`2XX\` response. at ${pointer}`))).toEqual([]);
  });

  it('names the schema of every request body and every response', () => {
    const anonymous: string[] = [];
    for (const [path, item] of Object.entries<Json>(document.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) {
        const bodies = Object.entries<Json>(operation.requestBody?.content ?? {}).map(([type, media]) => [`request ${type}`, media.schema] as const);
        const answers = Object.entries<Json>(operation.responses).flatMap(([status, response]) =>
          Object.entries<Json>(response.$ref ? {} : response.content ?? {}).map(([type, media]) => [`${status} ${type}`, media.schema] as const));
        for (const [what, schema] of [...bodies, ...answers]) {
          if (!/^#\/components\/schemas\/\w+$/.test(schema?.$ref ?? '')) anonymous.push(`${method.toUpperCase()} ${path}: ${what}`);
        }
      }
    }
    expect(anonymous).toEqual([]);
    expect(Object.keys(document.components.responses).every((name) => document.components.responses[name].content['application/problem+json'].schema.$ref === '#/components/schemas/ProblemDetails')).toBe(true);
    expect(document.components.schemas.ProblemDetails.properties.type.enum).toEqual(expect.arrayContaining(['/problems/not-found', '/problems/conflict', '/problems/validation-failed']));
  });

  it('says what every operation does and who may call it; only health, metrics and signing in need no token', () => {
    const operations: Json[] = Object.entries<Json>(document.paths).flatMap(([path, item]) => Object.entries<Json>(item).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, ...operation })));
    expect(operations.filter((operation) => !operation.summary || !/\*\*Who may call:\*\*/.test(operation.description ?? '')).map((operation) => operation.route)).toEqual([]);
    expect(operations.filter((operation) => operation.security?.length === 0).map((operation) => operation.route).sort())
      .toEqual([
        'GET /api/v1/auth/methods', 'GET /api/v1/auth/oidc/callback', 'GET /api/v1/auth/oidc/login',
        'GET /api/v1/health/live', 'GET /api/v1/health/ready', 'GET /api/v1/metrics', 'POST /api/v1/auth/sign-in',
      ]);
    // Everything else takes a bearer token, or the console's session cookie.
    expect(operations.filter((operation) => operation.security?.length !== 0).every((operation) => JSON.stringify(operation.security) === '[{"bearer":[]},{"session":[]}]')).toBe(true);
    // The headers the API lives by, on the routes that honour them.
    const referral = document.paths['/api/v1/cases/{id}/referrals'].post;
    expect(referral.parameters.map((parameter: Json) => parameter.$ref?.split('/').pop())).toEqual(expect.arrayContaining(['IdempotencyKey', 'IfMatch']));
    expect(Object.keys(referral.responses['201'].headers)).toEqual(expect.arrayContaining(['ETag', 'Idempotent-Replayed', 'X-Request-Id']));
    expect(Object.keys(referral.responses)).toEqual(expect.arrayContaining(['409', '412', '415', '422', '429', '500', '503']));
    const read = document.paths['/api/v1/cases/{id}'].get;
    expect(read.parameters.map((parameter: Json) => parameter.$ref?.split('/').pop())).toContain('MinPosition');
    expect(Object.keys(read.responses)).toEqual(expect.arrayContaining(['400', '404', '414', '500', '503']));
    expect(Object.keys(document.components.responses.TooManyRequests.headers)).toContain('Retry-After');
  });
});

describe('every route, driven', () => {
  it('answers with the statuses, media types, bodies and headers the document gives, on every route', async () => {
    const admin = await t.token({ role: 'admin' });
    const dinsos = await t.token({ role: 'dinsos', institutionId: DINSOS });
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    const posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
    const puskesmas = await t.token({ role: 'caseworker', institutionId: PUSKESMAS });
    const coordinator = await t.token({ role: 'coordinator', networkId: NETWORK });
    const auditor = await t.token({ role: 'auditor' });
    const analyst = await t.token({ role: 'analyst' });

    // Reference data, health, metrics.
    await api(owner).GET('/api/v1/reference/categories');
    await api(owner).GET('/api/v1/reference/regions');
    await api().GET('/api/v1/health/live');
    await api().GET('/api/v1/health/ready');
    await api().GET('/api/v1/metrics', { parseAs: 'text' });

    // The directory.
    const registered = await api(admin).POST('/api/v1/institutions', {
      body: { name: 'Posyandu Mawar', kind: 'posyandu', regionCode: '33.71.01.1008', scope: 'network', categoriesServed: ['PPKS-01'], capacity: 25 },
    });
    const institution = registered.data!.id;
    const at = (id: string) => ({ params: { path: { id } } });
    await api(admin).POST('/api/v1/institutions/{id}/rename', { ...at(institution), body: { name: 'Posyandu Mawar Indah' } });
    await api(admin).POST('/api/v1/institutions/{id}/services', { ...at(institution), body: { categoriesServed: ['PPKS-01', 'PPKS-05'], capacity: 30 } });
    await api(admin).POST('/api/v1/institutions/{id}/suspend', { ...at(institution), body: { reason: 'Annual review' } });
    await api(admin).POST('/api/v1/institutions/{id}/reactivate', at(institution));
    const network = (await api(dinsos).POST('/api/v1/networks', { body: { name: 'WKSBM Jurangombo Selatan', regionCode: '33.71.01.1009' } })).data!.id;
    await api(admin).POST('/api/v1/networks/{id}/members', { ...at(network), body: { institutionId: institution } });
    await api(admin).DELETE('/api/v1/networks/{id}/members/{institutionId}', { params: { path: { id: network, institutionId: institution } } });
    await api(dinsos).POST('/api/v1/networks/{id}/coordinators', { ...at(network), body: { userId: 'coordinator-jurangombo-selatan' } });
    await api(owner).GET('/api/v1/institutions', { params: { query: { kind: 'posyandu', limit: 5 } } });
    await api(owner).GET('/api/v1/institutions/{id}', at(institution));
    await api(owner).GET('/api/v1/networks');
    await api(owner).GET('/api/v1/networks/{id}', at(NETWORK));

    // The console's people: an invitation, signing in with its link, the session, signing out, revoking.
    const invited = await api(admin).POST('/api/v1/users/invitations', { body: { role: 'caseworker', institutionId: PUSKESOS, displayName: 'Bu Ratna', expiresInHours: 24 } });
    const code = invited.data!.link!.split('#code=')[1]!;
    const signedIn = await api().POST('/api/v1/auth/sign-in', { body: { code } });
    const session = { cookie: signedIn.response.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': signedIn.data!.csrfToken! };
    await api().GET('/api/v1/auth/session', { headers: session });
    await api(owner).GET('/api/v1/auth/session');
    await api().POST('/api/v1/auth/sign-out', { headers: session });
    await api().POST('/api/v1/auth/sign-in', { body: { code } });
    await api(admin).GET('/api/v1/users', { params: { query: { role: 'caseworker' } } });
    // Signing in at an identity provider: none is configured here, so both steps send the browser back to the sign-in page.
    await api().GET('/api/v1/auth/methods');
    await raw(t, 'GET', '/api/v1/auth/oidc/login?returnTo=/inbox');
    await raw(t, 'GET', '/api/v1/auth/oidc/callback?state=x&code=y');
    await api(admin).POST('/api/v1/users/{id}/revoke', { params: { path: { id: invited.data!.id } }, body: { reason: 'Moved to another kelurahan' } });

    // A webhook subscription of the Puskesos, told of the referrals below.
    const subscribed = await api(puskesos).POST('/api/v1/webhooks', {
      body: { url: 'http://127.0.0.1:9/rujukan', eventKinds: ['referral.requested', 'referral.due_soon'], scope: { level: 'institution', institutionId: PUSKESOS } },
    });

    // A case through the closed loop, and every other referral step.
    const openCase = {
      networkId: NETWORK, subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008' },
      categories: ['PPKS-08'], urgency: 'high' as const, description: 'Lives alone, no income',
    };
    const opened = await api(owner).POST('/api/v1/cases', { body: openCase, headers: { 'idempotency-key': 'contract-open' } });
    const caseId = opened.data!.id;
    const onCase = at(caseId);
    const consent = await api(owner).POST('/api/v1/cases/{id}/consents', { ...onCase, body: { scope: 'referral', recipients: 'network', givenBy: 'subject' } });
    await api(owner).POST('/api/v1/cases/{id}/consents', { ...onCase, body: { scope: 'referral', recipients: [PUSKESMAS], givenBy: 'guardian' } });
    await api(owner).POST('/api/v1/cases/{id}/notes', { ...onCase, body: { text: 'Neighbour brings food twice a week', visibility: 'participants' } });
    await api(owner).GET('/api/v1/cases/{id}/notes', onCase);
    await api(owner).POST('/api/v1/cases/{id}/needs', { ...onCase, body: { categories: ['PPKS-08', 'PPKS-24'], urgency: 'high' } });
    const refer = async (to: string) => (await api(owner).POST('/api/v1/cases/{id}/referrals', { ...onCase, body: { toInstitutionId: to, reason: 'Needs a home visit' } })).data!.referralId!;
    const step = (rid: string) => ({ params: { path: { id: caseId, rid } } });

    // The Puskesos's live feed, open while the referral reaches it: it ends with the caller's token, a few seconds on.
    const briefToken = await mintToken({ sub: 'user-caseworker-feed', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '4s' }, SECRET);
    const feed = api(briefToken).GET('/api/v1/institutions/{id}/referral-events', { ...at(PUSKESOS), parseAs: 'text' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const completed = await refer(PUSKESOS);
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/accept', step(completed));
    expect(eventsOf((await feed).data!).map((event) => event.event)).toEqual(expect.arrayContaining(['ready', 'referral', 'session-ended']));
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/start', step(completed));
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/hold', { ...step(completed), body: { reason: 'Waiting for the KK' } });
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/resume', step(completed));
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/complete', { ...step(completed), body: { outcome: 'resolved', summary: 'Enrolled in PKH' } });
    await api(owner).POST('/api/v1/cases/{id}/referrals/{rid}/acknowledge', step(completed));
    const declined = await refer(POSYANDU);
    await api(posyandu).POST('/api/v1/cases/{id}/referrals/{rid}/decline', { ...step(declined), body: { reasonCode: 'not_eligible', reason: 'Only serves toddlers' } });
    const failed = await refer(PUSKESMAS);
    await api(puskesmas).POST('/api/v1/cases/{id}/referrals/{rid}/accept', step(failed));
    await api(puskesmas).POST('/api/v1/cases/{id}/referrals/{rid}/fail', { ...step(failed), body: { reason: 'Subject unreachable' } });
    const cancelled = await refer(PUSKESOS);
    await api(owner).POST('/api/v1/cases/{id}/referrals/{rid}/cancel', { ...step(cancelled), body: { reason: 'Family moved the appointment' } });
    await api(owner).POST('/api/v1/cases/{id}/consents/{consentId}/withdraw', { params: { path: { id: caseId, consentId: consent.data!.consentId! } } });
    await api(coordinator).POST('/api/v1/cases/{id}/escalate', { ...onCase, body: { toInstitutionId: DINSOS, reason: 'Needs a shelter' } });
    for (const rid of [declined, failed, cancelled]) await api(owner).POST('/api/v1/cases/{id}/referrals/{rid}/acknowledge', step(rid));
    await api(owner).POST('/api/v1/cases/{id}/close', { ...onCase, body: { outcome: 'resolved', summary: 'Receiving support' } });
    await api(owner).POST('/api/v1/cases/{id}/reopen', { ...onCase, body: { reason: 'Came back' } });

    // Reads of the case and the boxes.
    await api(owner).GET('/api/v1/cases', { params: { query: { status: 'open', networkId: NETWORK } } });
    const view = await api(owner).GET('/api/v1/cases/{id}', onCase);
    await api(puskesos).GET('/api/v1/cases/{id}/timeline', onCase);
    const reasons = await api(owner).GET('/api/v1/cases/{id}/reasons', onCase);
    expect(reasons.data!.items.map((item) => item.text)).toEqual(expect.arrayContaining(['Enrolled in PKH', 'Only serves toddlers', 'Needs a shelter', 'Receiving support', 'Came back']));
    await api(puskesos).GET('/api/v1/institutions/{id}/inbox', at(PUSKESOS));
    await api(owner).GET('/api/v1/institutions/{id}/outbox', { ...at(OWNER), params: { path: { id: OWNER }, query: { overdue: 'false' } } });

    // Audit, the subject's rights, analytics.
    await api(auditor).GET('/api/v1/audit/cases', { params: { query: { status: 'open', limit: 5 } } });
    await api(auditor).GET('/api/v1/audit/cases/{id}/events', { ...onCase, params: { path: { id: caseId }, query: { limit: 3 } } });
    await api(auditor).GET('/api/v1/audit/cases/{id}/state', { params: { path: { id: caseId }, query: { revision: '3' } } });
    await api(auditor).GET('/api/v1/audit/cases/{id}/export', { ...onCase, parseAs: 'text' });
    await api(auditor).GET('/api/v1/audit/verify', { params: { query: { stream: `case-${caseId}` } } });
    await api(dinsos).GET('/api/v1/audit/cases/{id}/access-log', onCase);
    const subjectId = view.data!.subject.id;
    await api(dinsos).POST('/api/v1/subjects/{subjectId}/erasure', { params: { path: { subjectId } }, body: { reason: 'Request PDP-2026-014' } });
    await api(dinsos).GET('/api/v1/subjects/{subjectId}/access-report', { params: { path: { subjectId } } });
    await api(owner).GET('/api/v1/cases/{id}', onCase);
    await api(analyst).GET('/api/v1/analytics/summary', { params: { query: { from: '2026-01-01', networkId: NETWORK } } });
    await api(analyst).GET('/api/v1/analytics/referral-flows');
    await api(analyst).GET('/api/v1/analytics/durations');
    await api(dinsos).GET('/api/v1/analytics/export.csv', { parseAs: 'text' });

    // Webhooks: the subscription made before the case below, its life, its delivery log (news of the case), a redelivery.
    const hook = at(subscribed.data!.id);
    await api(puskesos).GET('/api/v1/webhooks', { params: { query: { limit: 5 } } });
    await api(auditor).GET('/api/v1/webhooks/{id}', hook);
    await api(puskesos).POST('/api/v1/webhooks/{id}/pause', hook);
    await api(puskesos).POST('/api/v1/webhooks/{id}/resume', hook);
    await api(puskesos).POST('/api/v1/webhooks/{id}/rotate-secret', hook);
    await api(puskesos).GET('/api/v1/webhooks/{id}/deliveries', { ...hook, params: { path: { id: subscribed.data!.id }, query: { limit: 5 } } });
    await api(puskesos).POST('/api/v1/webhooks/{id}/redeliver', { ...hook, body: {} });
    await api(puskesos).DELETE('/api/v1/webhooks/{id}', hook);

    // The main errors.
    await api().GET('/api/v1/cases');
    await api('not-a-token').POST('/api/v1/cases/{id}/notes', { ...onCase, body: { text: 'x', visibility: 'participants' } });
    await api(analyst).GET('/api/v1/cases/{id}', onCase);
    await api(posyandu).POST('/api/v1/cases/{id}/notes', { ...onCase, body: { text: 'peeking', visibility: 'participants' } });
    await api(owner).GET('/api/v1/cases/{id}', at('01900000-0000-7000-8000-000000000000'));
    await api(auditor).GET('/api/v1/audit/verify', { params: { query: { stream: 'case-nothing-here' } } });
    await api(puskesos).POST('/api/v1/cases/{id}/referrals/{rid}/accept', step(completed));
    await api(owner).POST('/api/v1/cases/{id}/referrals', { ...onCase, body: { toInstitutionId: 'karang-taruna-jurangombo-utara', reason: 'x' } });
    await api(owner).POST('/api/v1/cases/{id}/notes', { ...onCase, body: { text: 'late', visibility: 'participants' }, headers: { 'if-match': '"1"' } });
    await api(owner).POST('/api/v1/cases', { body: { networkId: NETWORK } as never });
    await api(owner).GET('/api/v1/cases', { params: { query: { limit: 0 } } });
    await api(owner).POST('/api/v1/cases', { body: { networkId: NETWORK } as never, headers: { 'idempotency-key': 'contract-open' } });
    const replayed = await api(owner).POST('/api/v1/cases', { body: openCase, headers: { 'idempotency-key': 'contract-open' } });
    expect(replayed.response.headers.get('idempotent-replayed')).toBe('true');
    await api(owner).GET('/api/v1/cases/{id}', { ...onCase, headers: { 'x-min-position': 'soon' } });
    await raw(t, 'POST', `/api/v1/cases/${caseId}/notes`, { token: owner, body: '{"text": "unfinished' });
    await raw(t, 'POST', `/api/v1/cases/${caseId}/notes`, { token: owner, body: '{}', headers: { 'idempotency-key': 'no spaces allowed' } });
    await raw(t, 'POST', `/api/v1/cases/${caseId}/notes`, { token: owner, body: 'text=hello', headers: { 'content-type': 'text/plain' } });
    await raw(t, 'POST', `/api/v1/cases/${caseId}/notes`, { token: owner, body: JSON.stringify({ text: 'x'.repeat(70_000), visibility: 'participants' }) });
    // What the router refuses before any route runs: a path segment too long for it, and bad percent-encoding.
    const tooLong = await raw(t, 'GET', `/api/v1/cases/${'x'.repeat(101)}`, { token: owner });
    const badlyEncoded = await raw(t, 'GET', '/api/v1/cases/%E0%A4%A', { token: owner });
    expect([tooLong.status, badlyEncoded.status]).toEqual([414, 400]);
    for (const refused of [tooLong, badlyEncoded]) expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);

    // Too many writes, views behind, a store gone: from an app that limits writes, does not wait for views, and loses its tables.
    const strict = await TestApp.start({ environment: { RATE_LIMIT_WRITES_PER_MINUTE: '1', VIEW_WAIT_MS: '0' } });
    try {
      const writer = await strict.token({ role: 'caseworker', institutionId: OWNER });
      const note = { text: 'x', visibility: 'participants' };
      await raw(strict, 'POST', '/api/v1/cases/nothing/notes', { token: writer, body: JSON.stringify(note) });
      await raw(strict, 'POST', '/api/v1/cases/nothing/notes', { token: writer, body: JSON.stringify(note) });
      await raw(strict, 'GET', '/api/v1/cases', { token: writer, headers: { 'x-min-position': '99999999' } });
      const views = new Database(join(strict.config.dataDir, 'views.sqlite'));
      views.exec('ALTER TABLE c_cases RENAME TO c_cases_gone; CREATE TABLE c_cases (unreadable INTEGER)');
      views.close();
      await raw(strict, 'GET', '/api/v1/cases', { token: writer });
    } finally {
      await strict.stop();
    }

    expect(contract.violations).toEqual([]);
    // Every operation was driven to a success, and every problem the API documents was met somewhere.
    const operations = Object.values<Json>(document.paths).flatMap((item) => Object.values<Json>(item).map((operation) => operation.operationId as string));
    expect(operations.filter((id) => ![...contract.answered.get(id) ?? []].some((status) => status < 400))).toEqual([]);
    const statuses = new Set([...contract.answered.values()].flatMap((answered) => [...answered]));
    expect([400, 401, 403, 404, 409, 412, 413, 414, 415, 422, 429, 500, 503].filter((status) => !statuses.has(status))).toEqual([]);
  }, 60_000);
});
