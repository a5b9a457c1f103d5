/**
 * Hostile input, as an outside tester sends it: bodies no later step can handle (nested thousands deep,
 * unpaired surrogates, numbers beyond a double, `null` for an object, another charset), requests the router
 * or Node's HTTP parser refuse, and a fuzz over every route of the OpenAPI document. Every refusal is a 4xx
 * problem document naming what is wrong, and appends nothing; no request gets a 5xx.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { expectProblem } from './support/problems.js';
import { SAMPLE_NIK, TestApp, type Response } from './support/test-app.js';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';

const KELURAHAN = '33.71.01.1008';
/** Fuzzed requests: each picks a route, parameters, headers and a body. */
const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 700);
const FUZZ_SEED = process.env['FUZZ_SEED'] === undefined ? {} : { seed: Number(process.env['FUZZ_SEED']) };

let t: TestApp;
const tokens: Record<string, string> = {};
let caseId: string;
let referralId: string;
let consentId: string;
let subjectId: string;

async function send(method: string, url: string, options: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const response = await t.app.inject({ method: method as 'GET', url, headers, ...(options.body !== undefined ? { payload: options.body } : {}) });
  let body: unknown;
  try {
    body = response.body ? JSON.parse(response.body) : undefined;
  } catch {
    body = response.body;
  }
  return { status: response.statusCode, headers: response.headers, body };
}

const json = (method: string, url: string, token: string | undefined, body: string | Buffer, contentType = 'application/json') =>
  send(method, url, { ...(token ? { token } : {}), body, headers: { 'content-type': contentType } });

async function head(): Promise<bigint | null> {
  return t.store.headPosition();
}

/** Runs `act` and checks that the log did not grow. */
async function appendsNothing<T>(act: () => Promise<T>): Promise<T> {
  const before = await head();
  const result = await act();
  expect(await head()).toBe(before);
  return result;
}

const validCase = (overrides: Record<string, unknown> = {}) => ({
  networkId: NETWORK,
  subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: KELURAHAN },
  categories: ['PPKS-08'],
  urgency: 'high',
  description: 'Lives alone',
  ...overrides,
});

beforeAll(async () => {
  t = await TestApp.start();
  tokens['owner'] = await t.token({ role: 'caseworker', institutionId: OWNER });
  tokens['puskesos'] = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  tokens['coordinator'] = await t.token({ role: 'coordinator', networkId: NETWORK });
  for (const role of ['dinsos', 'auditor', 'analyst', 'admin'] as const) tokens[role] = await t.token({ role });
  const opened = await t.post('/cases', tokens['owner'], validCase());
  expect(opened.status).toBe(201);
  caseId = opened.body.id;
  subjectId = (await t.get(`/cases/${caseId}`, tokens['owner'])).body.subject.id;
  const consent = await t.post(`/cases/${caseId}/consents`, tokens['owner'], { scope: 'referral', recipients: 'network', givenBy: 'subject' });
  consentId = consent.body.consentId;
  const referral = await t.post(`/cases/${caseId}/referrals`, tokens['owner'], { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' });
  expect(referral.status).toBe(201);
  referralId = referral.body.referralId;
});
afterAll(() => t.stop());

describe('bodies no later step could handle are refused when they are read', () => {
  it('refuses bodies nested thousands of levels deep (arrays or objects) with 400', async () => {
    await appendsNothing(async () => {
      const arrays = `{"networkId":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
      const objects = `{"networkId":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
      for (const body of [arrays, objects, '['.repeat(20_000) + ']'.repeat(20_000)]) {
        expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], body), 400, ['body']);
      }
    });
  });

  it('names a string or key holding an unpaired surrogate, and a number beyond a double, with 422', async () => {
    await appendsNothing(async () => {
      const surrogate = JSON.stringify(validCase({ subject: { name: '\ud800', regionCode: KELURAHAN } }));
      expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], surrogate), 422, ['subject.name']);
      const lowAlone = JSON.stringify(validCase({ description: 'ok \udc00 then' }));
      expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], lowAlone), 422, ['description']);
      expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], '{"\\ud800": 1}'), 422, ['\\ud800']);
      expectProblem(await json('POST', `/api/v1/cases/${caseId}/notes`, tokens['owner'], '{"text": "x", "visibility": 1e999}'), 422, ['visibility']);
      expectProblem(await json('POST', `/api/v1/cases/${caseId}/needs`, tokens['owner'], '{"categories": [1, -1e400]}'), 422, ['categories.1']);
    });
    // A surrogate pair (an emoji) is valid Unicode and accepted.
    expect((await t.post(`/cases/${caseId}/notes`, tokens['owner']!, { text: 'Semangat 💪', visibility: 'participants' })).status).toBe(201);
  });

  it('refuses bytes that are not UTF-8 with 400', async () => {
    await appendsNothing(async () => {
      const latin1 = Buffer.from(JSON.stringify(validCase({ description: 'Café' })), 'latin1');
      expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], latin1), 400, ['body']);
    });
  });

  it('refuses a charset other than UTF-8 with 415, and takes utf-8 however it is written', async () => {
    const body = JSON.stringify(validCase());
    await appendsNothing(async () => {
      for (const contentType of ['application/json; charset=utf-16', 'application/json;charset=ISO-8859-1', 'application/json; charset="latin1"']) {
        expectProblem(await json('POST', '/api/v1/cases', tokens['owner'], body, contentType), 415, ['Content-Type']);
      }
    });
    for (const contentType of ['application/json; charset=UTF-8', 'application/json; charset="utf-8"', 'application/json;charset=utf8']) {
      expect((await json('POST', '/api/v1/cases', tokens['owner'], body, contentType)).status).toBe(201);
    }
  });

  it('takes JSON null as a body that is not an object (422), also on commands that take no body', async () => {
    const steps = ['accept', 'start', 'resume', 'acknowledge'].map((step) => `/api/v1/cases/${caseId}/referrals/${referralId}/${step}`);
    await appendsNothing(async () => {
      for (const url of [...steps, `/api/v1/cases/${caseId}/consents/${consentId}/withdraw`, `/api/v1/institutions/${POSYANDU}/reactivate`]) {
        expectProblem(await json('POST', url, tokens['puskesos'], 'null'), 422, ['body']);
      }
      for (const body of ['null', '"x"', '[]', '{"institutionId": "other"}']) {
        expectProblem(await json('DELETE', `/api/v1/networks/${NETWORK}/members/${POSYANDU}`, tokens['coordinator'], body), 422, ['body']);
      }
    });
    // With no body, or `{}`, they still work.
    expect((await send('POST', `/api/v1/cases/${caseId}/referrals/${referralId}/accept`, { token: tokens['puskesos']! })).status).toBe(200);
    expect((await json('POST', `/api/v1/cases/${caseId}/referrals/${referralId}/start`, tokens['puskesos'], '{}')).status).toBe(200);
  });
});

describe('requests refused before any route runs are problem documents too', () => {
  it('a path segment longer than the router takes: 414 naming the path', async () => {
    await appendsNothing(async () => {
      expectProblem(await send('GET', `/api/v1/cases/${'x'.repeat(101)}`, { token: tokens['owner']! }), 414, ['path']);
      expectProblem(await json('POST', `/api/v1/cases/${'x'.repeat(5_000)}/notes`, tokens['owner'], '{}'), 414, ['path']);
    });
  });

  it('bad percent-encoding in the path: 400 naming the path', async () => {
    await appendsNothing(async () => {
      expectProblem(await send('GET', '/api/v1/cases/%E0%A4%A', { token: tokens['owner']! }), 400, ['path']);
      expectProblem(await json('POST', `/api/v1/cases/${caseId}/referrals/%ZZ/accept`, tokens['puskesos'], '{}'), 400, ['path']);
    });
  });

  describe('over a socket', () => {
    let port: number;
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.getHttpServer().address() as { port: number }).port;
    });

    /** Writes `raw` on a fresh connection and reads the whole answer. */
    const rawExchange = (raw: string) => new Promise<{ status: number; contentType: string | undefined; body: any }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(raw));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString();
        const [head = '', body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]), contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1], body: JSON.parse(body) });
      });
    });

    it('a request that is not HTTP: 400; headers beyond 16 KiB: 431', async () => {
      await appendsNothing(async () => {
        const garbage = await rawExchange('HELLO THERE\r\n\r\n');
        expect(garbage).toMatchObject({ status: 400, contentType: 'application/problem+json', body: { status: 400, type: '/problems/bad-request' } });
        const big = await rawExchange(`GET /api/v1/cases HTTP/1.1\r\nhost: x\r\nx-filler: ${'a'.repeat(20_000)}\r\n\r\n`);
        expect(big).toMatchObject({ status: 431, contentType: 'application/problem+json', body: { status: 431, errors: [{ field: 'headers' }] } });
      });
    });

    it('a real client gets the same problem for a bad URL', async () => {
      const answer = await new Promise<{ status: number; body: any }>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/cases/%E0%A4%A', headers: { authorization: `Bearer ${tokens['owner']}` } }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
        });
        request.on('error', reject);
        request.end();
      });
      expect(answer).toMatchObject({ status: 400, body: { status: 400, errors: [{ field: 'path' }] } });
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Fuzz over every documented route

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; oneOf?: Schema[] };
interface Route {
  readonly method: string;
  readonly path: string;
  readonly bodyFields: readonly string[];
  readonly queryFields: readonly string[];
  readonly enums: readonly unknown[];
}

/** Every enum value anywhere in a schema: values a validator accepts, so the fuzz gets past the first field. */
function enumsOf(schema: Schema | undefined): unknown[] {
  if (!schema) return [];
  return [
    ...(schema.enum ?? []),
    ...Object.values(schema.properties ?? {}).flatMap(enumsOf),
    ...enumsOf(schema.items),
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].flatMap(enumsOf),
  ];
}

async function documentedRoutes(): Promise<Route[]> {
  const document = (await send('GET', '/docs/openapi.json')).body as {
    paths: Record<string, Record<string, {
      requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: { in: string; name: string; schema?: Schema }[];
      responses?: Record<string, { content?: Record<string, unknown> }>;
    }>>;
  };
  // An event stream that is let in never ends, so an in-process request to it would wait forever; its refusals
  // (token, role, scope) are driven by the permission matrix and test/case-notes-and-events.e2e.spec.ts.
  const endless = (operation: { responses?: Record<string, { content?: Record<string, unknown> }> }) =>
    Object.values(operation.responses ?? {}).some((response) => response.content?.['text/event-stream'] !== undefined);
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).filter(([method, operation]) => ['get', 'post', 'delete'].includes(method) && !endless(operation)).map(([method, operation]) => {
    const body = operation.requestBody?.content?.['application/json']?.schema;
    const query = (operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
    return {
      method: method.toUpperCase(),
      path,
      bodyFields: Object.keys(body?.properties ?? {}),
      queryFields: query.map((parameter) => parameter.name),
      enums: [...enumsOf(body), ...query.flatMap((parameter) => enumsOf(parameter.schema))],
    };
  }));
}

/** Stands for `1e999` in a generated body: JSON.stringify cannot write it. */
const HUGE = '\u0000huge\u0000';
const HOSTILE_STRINGS = ['\ud800', 'a\udfffb', '', ' ', 'x'.repeat(3_000), '\u0000', '../../etc/passwd', '<script>', '"; DROP TABLE events; --', '💪', '$where', '{"$gt": ""}'];

function fuzzRequest(routes: readonly Route[]) {
  const ids = () => [caseId, referralId, consentId, subjectId, OWNER, PUSKESOS, POSYANDU, NETWORK];
  return fc.constantFrom(...routes).chain((route) => {
    const leaf = fc.oneof(
      fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(HUGE),
      fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom(...ids(), KELURAHAN, SAMPLE_NIK, '2026-11-02T08:00:00.000Z', 'PPKS-08'),
      ...(route.enums.length > 0 ? [fc.constantFrom(...route.enums)] : []),
    );
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 })),
    }));
    const fields = route.bodyFields.length > 0 ? route.bodyFields : ['reason'];
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: fields.length + 1 }).map((object) => serialize(object)),
      value.map(serialize),
      fc.constantFrom(`{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, `${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`, 'null', '', '{', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}'),
      fc.constant(undefined),
    );
    const parameter = fc.oneof(
      fc.constantFrom(...ids()), fc.constantFrom('unknown-id-1', 'x'.repeat(101), '%E0%A4%A', '%ED%A0%80', '%00', '..', '%2F', '-'),
      fc.string({ minLength: 1 }).map(encodeURIComponent),
    );
    const query = fc.dictionary(fc.constantFrom(...route.queryFields, 'limit', 'cursor', 'x'), fc.oneof(fc.string(), fc.constantFrom('-1', '0', '101', 'abc', '1e999', '%ZZ')), { maxKeys: 3 });
    return fc.record({
      route: fc.constant(route),
      parameters: fc.array(parameter, { minLength: 4, maxLength: 4 }),
      query,
      body,
      contentType: fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-16', 'text/plain', undefined),
      token: fc.constantFrom(...Object.keys(tokens), 'none', 'garbage'),
      headers: fc.record({
        'idempotency-key': fc.oneof(fc.string(), fc.constantFrom('fuzz-key')),
        'if-match': fc.constantFrom('"0"', '"1"', 'garbage', 'W/"3"'),
        'x-min-position': fc.constantFrom('0', '1', '-1', 'x', '99999999999999999999'),
      }, { requiredKeys: [] }),
    });
  });
}

function serialize(value: unknown): string {
  return JSON.stringify(value, (_key, item) => item).replaceAll(JSON.stringify(HUGE), '1e999');
}

describe('a fuzz over every documented route', () => {
  it('never answers 5xx, answers every refusal as a problem document, and never appends for a refused request', async () => {
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const statuses = new Map<number, number>();
    await fc.assert(fc.asyncProperty(fuzzRequest(routes), async (request) => {
      let index = 0;
      const path = request.route.path.replace(/\{\w+\}/g, () => request.parameters[index++]!);
      const search = new URLSearchParams(request.query).toString();
      const headers: Record<string, string> = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
      if (request.contentType !== undefined && request.body !== undefined) headers['content-type'] = request.contentType;
      // A wait for the views would only slow the fuzz: the position it names is reached or refused at once.
      if (headers['x-min-position'] !== undefined && !/^\d{1,2}$/.test(headers['x-min-position'])) delete headers['x-min-position'];
      const token = request.token === 'none' ? undefined : request.token === 'garbage' ? 'not.a.token' : tokens[request.token];
      const before = await head();
      const response = await send(request.route.method, `${path}${search ? `?${search}` : ''}`, {
        ...(token ? { token } : {}), ...(request.body !== undefined ? { body: request.body } : {}), headers,
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const described = `${request.route.method} ${path} → ${response.status} ${JSON.stringify(response.body)?.slice(0, 300)}`;
      expect({ described, serverError: response.status >= 500 }).toEqual({ described, serverError: false });
      if (response.status >= 400) {
        expectProblem(response, response.status);
        expect({ described, head: await head() }).toEqual({ described, head: before });
      }
    }), { numRuns: FUZZ_RUNS, ...FUZZ_SEED });
    // The fuzz reached past the front door: some requests were refused for their content, some accepted.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 415, 422]));
  }, 120_000);
});
