/**
 * The HTTP contract at its edges, driven like a client: bad input and bad credentials get a
 * clear 4xx RFC 9457 problem naming what is wrong, and leave the event log exactly as it was; retries with
 * an Idempotency-Key append once; If-Match guards against lost updates; the OpenAPI document covers every
 * route the app serves.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';
import { expectProblem } from './support/problems.js';
import { Scenario, type CaseRequest } from './support/scenario.js';
import { SAMPLE_NIK, SECRET, TestApp, type Response } from './support/test-app.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';

const KELURAHAN = '33.71.01.1008';

let t: TestApp;
let s: Scenario;
let owner: string;
let puskesos: string;
let admin: string;
let analyst: string;
let auditor: string;

beforeAll(async () => {
  t = await TestApp.start();
  s = new Scenario(t);
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  admin = await t.token({ role: 'admin' });
  analyst = await t.token({ role: 'analyst' });
  auditor = await t.token({ role: 'auditor' });
});
afterAll(() => t.stop());

// ---------------------------------------------------------------------------------------------------------
// What every error response must look like

function expectUnauthorized(response: Response, detail?: RegExp): void {
  expectProblem(response, 401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  if (detail) expect(response.body.detail).toMatch(detail);
}

async function everyEvent(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of t.store.readAll()) events.push(event);
  return events;
}

/** Runs `act` and checks that no stream anywhere gained (or lost) an event. */
async function appendsNothing(act: () => Promise<void>): Promise<void> {
  const before = await everyEvent();
  await act();
  expect(await everyEvent()).toEqual(before);
}

// ---------------------------------------------------------------------------------------------------------
// Requests

let nextId = 0;
const freshId = (what: string) => `${what}-contract-${++nextId}`;

const validCase = (overrides: Record<string, unknown> = {}, subject: Record<string, unknown> = {}) => ({
  networkId: NETWORK,
  subject: { name: 'Siti Aminah', regionCode: KELURAHAN, ...subject },
  categories: ['PPKS-08'],
  urgency: 'high',
  description: 'Lives alone, no income since her husband died',
  ...overrides,
});

/** What validCase() asks for, as the scenario driver opens it. */
const CONTRACT_SUBJECT = { name: 'Siti Aminah', regionCode: KELURAHAN };
const CONTRACT_CASE: Partial<CaseRequest> = { subject: CONTRACT_SUBJECT, categories: ['PPKS-08'], urgency: 'high' };

/** POST /cases with an id we choose, so that we can look for its stream afterwards. */
async function refusedCase(
  status: number, fields: readonly string[] | undefined, body: (id: string) => unknown, options: { token?: string; headers?: Record<string, string> } = {},
): Promise<void> {
  const id = freshId('case');
  await appendsNothing(async () => {
    expectProblem(await t.post('/cases', options.token ?? owner, body(id), options.headers), status, fields);
  });
  expect(await t.stream(`case-${id}`)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------

describe('request bodies that cannot be read', () => {
  const raw = (rawBody: string, headers: Record<string, string> = {}) => t.request('POST', '/cases', { token: owner, rawBody, headers });

  it('answers malformed JSON with 400 naming the body', async () => {
    await appendsNothing(async () => {
      expectProblem(await raw('{"networkId": "wksbm-jurangombo-utara", '), 400, ['body']);
      expectProblem(await raw("{'single': 'quotes'}"), 400, ['body']);
    });
  });

  it('answers a prototype-polluting body as malformed, not as a valid object', async () => {
    await appendsNothing(async () => {
      expectProblem(await raw(JSON.stringify(validCase()).replace(/^\{/, '{"__proto__": {"admin": true}, ')), 400, ['body']);
    });
  });

  it('refuses any media type but JSON with 415, even when the text is valid JSON', async () => {
    const id = freshId('case');
    const json = JSON.stringify(validCase({ id }));
    await appendsNothing(async () => {
      expectProblem(await raw(json, { 'content-type': 'text/plain' }), 415, ['Content-Type']);
      expectProblem(await raw('networkId=wksbm-jurangombo-utara&urgency=high', { 'content-type': 'application/x-www-form-urlencoded' }), 415, ['Content-Type']);
      expectProblem(await raw(json, { 'content-type': 'application/xml' }), 415, ['Content-Type']);
      // A body without any Content-Type is not assumed to be JSON either.
      const bare = await t.app.inject({ method: 'POST', url: '/api/v1/cases', headers: { authorization: `Bearer ${owner}` }, payload: json });
      expectProblem({ status: bare.statusCode, headers: bare.headers, body: JSON.parse(bare.body) }, 415, ['Content-Type']);
    });
    expect(await t.stream(`case-${id}`)).toEqual([]);
    // The same text declared as JSON (with a charset) is accepted.
    expect((await raw(json, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('refuses a body over 64 KiB with 413, and accepts one just under it', async () => {
    await refusedCase(413, ['body'], (id) => validCase({ id, description: 'x'.repeat(64 * 1024) }));
    // Just under the limit, the request is read and judged on its content instead.
    const id = freshId('case');
    const nearLimit = await t.post('/cases', owner, validCase({ id, description: 'x'.repeat(60 * 1024) }));
    expectProblem(nearLimit, 422, ['description']);
  });

  it('refuses an empty body where one is required', async () => {
    const caseId = await s.openCase(CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    // Declared as JSON but empty: not JSON.
    expectProblem(await t.request('POST', `/cases/${caseId}/notes`, { token: owner, rawBody: '', headers: { 'content-type': 'application/json' } }), 400, ['body']);
    // No body at all, or JSON null.
    expectProblem(await t.request('POST', `/cases/${caseId}/notes`, { token: owner }), 422, ['body']);
    expectProblem(await t.request('POST', `/cases/${caseId}/notes`, { token: owner, rawBody: 'null' }), 422, ['body']);
    // An empty object names each missing field.
    expectProblem(await t.post(`/cases/${caseId}/notes`, owner, {}), 422, ['text', 'visibility']);
    // JSON, but not an object.
    expectProblem(await t.request('POST', `/cases/${caseId}/notes`, { token: owner, rawBody: '["text"]' }), 422, ['body']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });

  it('lets bodiless commands (accept, start, …) be sent with no body at all', async () => {
    const { caseId, referralId } = await s.referredCase(PUSKESOS, CONTRACT_CASE);
    const accepted = await t.request('POST', `/cases/${caseId}/referrals/${referralId}/accept`, { token: puskesos });
    expect(accepted.status).toBe(200);
    expect((await t.request('POST', `/cases/${caseId}/referrals/${referralId}/start`, { token: puskesos })).status).toBe(200);
    expect((await t.stream(`case-${caseId}`)).map((event) => event.type).slice(-2)).toEqual(['ReferralAccepted', 'ReferralStarted']);
    // …but an empty object is the most they take.
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/referrals/${referralId}/hold`, puskesos, {}), 422, ['reason']);
    expectProblem(await t.post(`/cases/${caseId}/referrals/${referralId}/resume`, puskesos, { reason: 'not asked for' }), 422, ['reason']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });
});

describe('request bodies that break the schema', () => {
  it('names unknown fields, at the top level and nested', async () => {
    await refusedCase(422, ['foo'], (id) => ({ ...validCase({ id }), foo: 1 }));
    await refusedCase(422, ['subject.foo'], (id) => validCase({ id }, { foo: 'bar' }));
    // The actor comes from the token, never from the body.
    await refusedCase(422, ['actor'], (id) => ({ ...validCase({ id }), actor: { role: 'admin' } }));

    const { caseId, referralId } = await s.referredCase(PUSKESOS, CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x', emergencyOverride: { reason: 'y', foo: 1 } }), 422, ['emergencyOverride.foo']);
    expectProblem(await t.post(`/cases/${caseId}/referrals/${referralId}/accept`, puskesos, { note: 'extra' }), 422, ['note']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });

  it('names mistyped fields and values outside an enum', async () => {
    await refusedCase(422, ['subject.name'], (id) => validCase({ id }, { name: 42 }));
    await refusedCase(422, ['networkId'], (id) => validCase({ id, networkId: 12 }));
    await refusedCase(422, ['urgency'], (id) => validCase({ id, urgency: 'asap' }));
    await refusedCase(422, ['categories'], (id) => validCase({ id, categories: 'PPKS-08' }));
    await refusedCase(422, ['subject.birthDate'], (id) => validCase({ id }, { birthDate: '12/05/1980' }));
    // Several problems at once are all named.
    await refusedCase(422, ['subject.name', 'urgency'], (id) => validCase({ id, urgency: 1 }, { name: ['Siti'] }));

    const { caseId, referralId } = await s.referredCase(PUSKESOS, CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/referrals/${referralId}/decline`, puskesos, { reasonCode: 'too_busy', reason: 'x' }), 422, ['reasonCode']);
    expectProblem(await t.post(`/cases/${caseId}/notes`, owner, { text: 'x', visibility: 'everyone' }), 422, ['visibility']);
    expectProblem(await t.post(`/cases/${caseId}/close`, owner, { outcome: 'resolved', summary: '   ' }), 422, ['summary']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });

  it('checks institution and network bodies the same way', async () => {
    const id = freshId('institution');
    const institution = (overrides: Record<string, unknown>) => ({
      id, name: 'LKS Harapan', kind: 'lks', regionCode: KELURAHAN, scope: 'network', categoriesServed: ['PPKS-08'], ...overrides,
    });
    await appendsNothing(async () => {
      expectProblem(await t.post('/institutions', admin, institution({ kind: 'bank' })), 422, ['kind']);
      expectProblem(await t.post('/institutions', admin, institution({ capacity: '10' })), 422, ['capacity']);
      expectProblem(await t.post('/institutions', admin, institution({ capacity: -1 })), 422, ['capacity']);
      expectProblem(await t.post('/institutions', admin, institution({ regionCode: '33.71.09' })), 422, ['regionCode']);
      expectProblem(await t.post('/institutions', admin, institution({ categoriesServed: ['PPKS-08', 'PPKS-08'] })), 422, ['categoriesServed']);
      expectProblem(await t.post('/networks', admin, { id: freshId('network'), name: 'WKSBM X', regionCode: '34' }), 422, ['regionCode']);
      expectProblem(await t.post(`/networks/${NETWORK}/members`, admin, { institutionId: 'not an id' }), 422, ['institutionId']);
    });
    expect(await t.stream(`institution-${id}`)).toEqual([]);
  });
});

describe('NIK, region codes and categories', () => {
  it.each([
    ['15 digits', '337101520580001'],
    ['17 digits', '33710152058000011'],
    ['letters', '33710152058000AB'],
    ['spaces', '3371 0152 0580 0001'],
    ['month 13', '3371011213800001'],
    ['day 00', '3371010005800001'],
    ['day 32', '3371013205800001'],
    ["day 72 (a woman's day 32)", '3371017205800001'],
    ['serial 0000', '3371015205800000'],
    ['province 00', '0071015205800001'],
  ])('refuses a NIK with %s, naming subject.nik', async (_what, nik) => {
    await refusedCase(422, ['subject.nik'], (id) => validCase({ id }, { nik }));
  });

  it("accepts a man's NIK and a woman's (day + 40)", async () => {
    for (const nik of ['3371011205800001', SAMPLE_NIK]) {
      const caseId = await s.openCase({ ...CONTRACT_CASE, subject: { ...CONTRACT_SUBJECT, nik } });
      expect((await t.get(`/cases/${caseId}`, owner)).body.subject.nik).toBe(nik);
    }
  });

  it('refuses unknown region codes, and a kecamatan where a kelurahan is required', async () => {
    await refusedCase(422, ['subject.regionCode'], (id) => validCase({ id }, { regionCode: '33.71.01.9999' }));
    await refusedCase(422, ['subject.regionCode'], (id) => validCase({ id }, { regionCode: '33.71.01' }));
    await refusedCase(422, ['subject.regionCode'], (id) => validCase({ id }, { regionCode: '3371011008' }));
    const refused = await t.post('/cases', owner, validCase({}, { regionCode: '33.71.01' }));
    expect(refused.body.errors[0].message).toMatch(/kelurahan/);
  });

  it('refuses unknown categories by their index', async () => {
    await refusedCase(422, ['categories.0'], (id) => validCase({ id, categories: ['PPKS-99'] }));
    await refusedCase(422, ['categories.1'], (id) => validCase({ id, categories: ['PPKS-08', 'fakir miskin'] }));
    await refusedCase(422, ['categories'], (id) => validCase({ id, categories: [] }));
    const caseId = await s.openCase(CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/needs`, owner, { categories: ['PPKS-24', 'PPKS-27'], urgency: 'low' }), 422, ['categories.1']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });
});

describe('credentials', () => {
  const key = (secret: string) => new TextEncoder().encode(secret);
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, options: { secret?: string; exp?: number; sub?: string } = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(options.sub ?? 'user-1').setIssuedAt()
      .setExpirationTime(options.exp ?? now() + 3600).sign(key(options.secret ?? SECRET));
  const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  /** Tries to open a case (with a known id) under `authorization`; nothing may be stored. */
  async function refusedWith(authorization: string | undefined, detail?: RegExp): Promise<void> {
    const id = freshId('case');
    await appendsNothing(async () => {
      const response = await t.request('POST', '/cases', { body: validCase({ id }), headers: authorization === undefined ? {} : { authorization } });
      expectUnauthorized(response, detail);
    });
    expect(await t.stream(`case-${id}`)).toEqual([]);
  }

  it('answers a missing or malformed Authorization header with 401 and a Bearer challenge', async () => {
    await refusedWith(undefined, /bearer token/i);
    await refusedWith(`Basic ${Buffer.from('admin:admin').toString('base64')}`);
    await refusedWith('Bearer');
    await refusedWith(`Bearer ${owner} extra`);
    await refusedWith(owner);
    await refusedWith('Bearer not-a-jwt', /not valid/);
    // Reads need a token too.
    expectUnauthorized(await t.request('GET', '/reference/categories'));
  });

  it('refuses forged, expired and unsigned tokens', async () => {
    await refusedWith(`Bearer ${await sign({ role: 'caseworker', institutionId: OWNER }, { secret: 'another-secret-another-secret-another-secret' })}`, /not valid/);
    await refusedWith(`Bearer ${await sign({ role: 'caseworker', institutionId: OWNER }, { exp: now() - 3600 })}`, /expired/);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'user-1', role: 'admin', exp: now() + 3600 })}.`;
    await refusedWith(`Bearer ${unsigned}`, /not valid/);
    // A valid token with its payload swapped for a more powerful one.
    const [header, , signature] = owner.split('.');
    await refusedWith(`Bearer ${header}.${base64url({ sub: 'user-1', role: 'dinsos', exp: now() + 3600 })}.${signature}`, /not valid/);
  });

  it('refuses well-signed tokens whose claims are not ones we issue', async () => {
    await refusedWith(`Bearer ${await sign({ role: 'superuser' })}`, /role/);
    await refusedWith(`Bearer ${await sign({ role: 'caseworker' })}`, /institutionId/);
    await refusedWith(`Bearer ${await sign({ role: 'coordinator' })}`, /networkId/);
  });

  it('answers a valid token with the wrong role for the route with 403', async () => {
    await refusedCase(403, undefined, (id) => validCase({ id }), { token: analyst });
    await refusedCase(403, undefined, (id) => validCase({ id }), { token: admin });

    const institutionId = freshId('institution');
    await appendsNothing(async () => {
      const response = await t.post('/institutions', owner, { id: institutionId, name: 'LKS X', kind: 'lks', regionCode: KELURAHAN, scope: 'network', categoriesServed: [] });
      expectProblem(response, 403);
      expect(response.body.detail).toMatch(/caseworker/);
      expectProblem(await t.post('/networks', owner, { name: 'WKSBM X', regionCode: KELURAHAN }), 403);
    });
    expect(await t.stream(`institution-${institutionId}`)).toEqual([]);

    const caseId = await s.openCase(CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/notes`, auditor, { text: 'x', visibility: 'participants' }), 403);
    expectProblem(await t.get(`/cases/${caseId}`, analyst), 403);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('answers a retry with the first response and stores the events once', async () => {
    const body = validCase();
    const first = await t.post('/cases', owner, body, { 'idempotency-key': 'open-case-1' });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const caseId: string = first.body.id;
    const logAfterFirst = await everyEvent();

    const retry = await t.post('/cases', owner, body, { 'idempotency-key': 'open-case-1' });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.body).toEqual({ id: caseId, revision: '0', position: expect.stringMatching(/^\d+$/) });
    expect(retry.headers['etag']).toBe(first.headers['etag']);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await everyEvent()).toEqual(logAfterFirst);
    expect((await t.stream(`case-${caseId}`)).map((event) => event.type)).toEqual(['CaseOpened']);

    // The same for a command on an existing case: the note (and its id) is stored once.
    const note = { text: 'Visited on Monday', visibility: 'participants' };
    const added = await t.post(`/cases/${caseId}/notes`, owner, note, { 'idempotency-key': 'note-1' });
    const again = await t.post(`/cases/${caseId}/notes`, owner, note, { 'idempotency-key': 'note-1' });
    expect(added.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(added.body);
    expect(again.body.noteId).toEqual(expect.any(String));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await t.stream(`case-${caseId}`)).map((event) => event.type)).toEqual(['CaseOpened', 'CaseNoteAdded']);
  });

  it('refuses the same key with a different body, naming Idempotency-Key, and stores nothing', async () => {
    const first = await t.post('/cases', owner, validCase(), { 'idempotency-key': 'open-case-2' });
    expect(first.status).toBe(201);
    const caseId: string = first.body.id;
    expect((await t.post(`/cases/${caseId}/notes`, owner, { text: 'a', visibility: 'participants' }, { 'idempotency-key': 'note-2' })).status).toBe(201);
    const before = await t.stream(`case-${caseId}`);
    await appendsNothing(async () => {
      expectProblem(await t.post('/cases', owner, validCase({ urgency: 'low' }), { 'idempotency-key': 'open-case-2' }), 422, ['Idempotency-Key']);
      expectProblem(await t.post(`/cases/${caseId}/notes`, owner, { text: 'b', visibility: 'participants' }, { 'idempotency-key': 'note-2' }), 422, ['Idempotency-Key']);
    });
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
    expect((await t.get(`/cases/${caseId}`, owner)).body.urgency).toBe('high');
  });

  it("scopes keys to the user: another user's identical key is a new command", async () => {
    const body = validCase();
    const mine = await t.post('/cases', owner, body, { 'idempotency-key': 'shared-key' });
    const coordinator = await t.token({ role: 'coordinator', networkId: NETWORK, sub: 'coordinator-jurangombo-utara' });
    const theirs = await t.post('/cases', coordinator, { ...body, ownerInstitutionId: OWNER }, { 'idempotency-key': 'shared-key' });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('refuses an invalid Idempotency-Key header with 400', async () => {
    const caseId = await s.openCase(CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    for (const key of ['two words', 'x'.repeat(201), 'kunci-é']) {
      await refusedCase(400, ['Idempotency-Key'], (id) => validCase({ id }), { headers: { 'idempotency-key': key } });
      expectProblem(await t.post(`/cases/${caseId}/notes`, owner, { text: 'x', visibility: 'participants' }, { 'idempotency-key': key }), 400, ['Idempotency-Key']);
    }
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });
});

describe('If-Match', () => {
  const note = { text: 'Called the family', visibility: 'participants' };

  it('refuses a stale revision with 412 and stores nothing; the current one succeeds with a new ETag', async () => {
    const caseId = await s.openCase(CONTRACT_CASE);
    const read = await t.get(`/cases/${caseId}`, owner);
    expect(read.headers['etag']).toBe('"0"');

    await appendsNothing(async () => {
      expectProblem(await t.post(`/cases/${caseId}/notes`, owner, note, { 'if-match': '"5"' }), 412, ['If-Match']);
    });
    const current = await t.post(`/cases/${caseId}/notes`, owner, note, { 'if-match': read.headers['etag'] as string });
    expect(current.status).toBe(201);
    expect(current.headers['etag']).toBe('"1"');
    expect(current.body.revision).toBe('1');

    // A second writer still holding revision 0 loses, instead of overwriting blindly.
    const before = await t.stream(`case-${caseId}`);
    expectProblem(await t.post(`/cases/${caseId}/needs`, owner, { categories: ['PPKS-24'], urgency: 'low' }, { 'if-match': '"0"' }), 412, ['If-Match']);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
    expect((await t.get(`/cases/${caseId}`, owner)).body).toMatchObject({ categories: ['PPKS-08'], urgency: 'high', revision: '1' });
  });

  it('refuses a malformed If-Match with 400', async () => {
    const caseId = await s.openCase(CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    for (const ifMatch of ['0', '"abc"', '"-1"', '*', '"0", "1"']) {
      expectProblem(await t.post(`/cases/${caseId}/notes`, owner, note, { 'if-match': ifMatch }), 400, ['If-Match']);
    }
    expect(await t.stream(`case-${caseId}`)).toEqual(before);
  });
});

describe('unknown things', () => {
  it('answers unknown ids in URLs with 404 and creates no stream', async () => {
    const unknown = '01900000-0000-7000-8000-000000000000';
    await appendsNothing(async () => {
      expectProblem(await t.get(`/cases/${unknown}`, owner), 404);
      expectProblem(await t.post(`/cases/${unknown}/notes`, owner, { text: 'x', visibility: 'participants' }), 404);
      expectProblem(await t.post(`/cases/${unknown}/referrals/${unknown}/accept`, puskesos, {}), 404);
      expectProblem(await t.get(`/institutions/${unknown}`, owner), 404);
      expectProblem(await t.get(`/networks/${unknown}`, owner), 404);
      expectProblem(await t.post(`/networks/${unknown}/members`, admin, { institutionId: PUSKESOS }), 404);
      // Something that cannot be an id is simply not found, not a validation error.
      expectProblem(await t.get(`/cases/${encodeURIComponent('../etc/passwd')}`, owner), 404);
      expectProblem(await t.get(`/cases/${'a'.repeat(65)}`, owner), 404);
    });
    expect(await t.stream(`case-${unknown}`)).toEqual([]);
    expect(await t.stream(`network-${unknown}`)).toEqual([]);
  });

  it('answers an unknown referral, consent or member of an existing case or network with 404', async () => {
    const { caseId } = await s.referredCase(PUSKESOS, CONTRACT_CASE);
    const before = await t.stream(`case-${caseId}`);
    const referral = await t.post(`/cases/${caseId}/referrals/no-such-referral/accept`, puskesos, {});
    expectProblem(referral, 404);
    expect(referral.body.detail).toMatch(/no-such-referral/);
    expectProblem(await t.post(`/cases/${caseId}/referrals/no-such-referral/cancel`, owner, { reason: 'x' }), 404);
    expectProblem(await t.post(`/cases/${caseId}/consents/no-such-consent/withdraw`, owner, {}), 404);
    expect(await t.stream(`case-${caseId}`)).toEqual(before);

    const network = await t.stream(`network-${NETWORK}`);
    expectProblem(await t.request('DELETE', `/networks/${NETWORK}/members/no-such-member`, { token: admin }), 404);
    expect(await t.stream(`network-${NETWORK}`)).toEqual(network);
  });

  it('answers an unknown route with a 404 problem, inside and outside /api/v1', async () => {
    expectProblem(await t.get('/no-such-route', owner), 404);
    expectProblem(await t.request('GET', '/no-such-route'), 404);
    expectProblem(await t.request('DELETE', '/cases', { token: owner }), 404);
    const outside = await t.app.inject({ method: 'GET', url: '/no-such-route' });
    expectProblem({ status: outside.statusCode, headers: outside.headers, body: JSON.parse(outside.body) }, 404);
  });
});

describe('the OpenAPI document', () => {
  type Operation = {
    requestBody?: { required?: boolean; content?: Record<string, { schema?: { properties?: object; required?: string[]; additionalProperties?: unknown } }> };
    responses?: Record<string, { content?: Record<string, { schema?: object }>; headers?: Record<string, object> }>;
  };
  const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
  const REFERRAL_STEPS = ['accept', 'decline', 'start', 'hold', 'resume', 'complete', 'fail', 'cancel', 'acknowledge'];
  /** The routes of the public contract: each must be served and documented. */
  const CONTRACT_ROUTES = [
    'POST /institutions', 'GET /institutions/{id}',
    'POST /networks', 'GET /networks/{id}', 'POST /networks/{id}/members', 'DELETE /networks/{id}/members/{institutionId}',
    'POST /cases', 'GET /cases/{id}',
    'POST /cases/{id}/consents', 'POST /cases/{id}/consents/{consentId}/withdraw', 'POST /cases/{id}/notes', 'POST /cases/{id}/needs',
    'POST /cases/{id}/referrals', ...REFERRAL_STEPS.map((step) => `POST /cases/{id}/referrals/{rid}/${step}`),
    'POST /cases/{id}/escalate', 'POST /cases/{id}/close', 'POST /cases/{id}/reopen',
    'GET /reference/categories', 'GET /reference/regions',
    'GET /audit/cases/{id}/events', 'GET /audit/cases/{id}/state', 'GET /audit/verify', 'GET /audit/cases/{id}/export',
    'POST /subjects/{subjectId}/erasure', 'GET /subjects/{subjectId}/access-report',
  ].map((route) => route.replace(' /', ' /api/v1/'));
  /** Commands that take no body. */
  const BODILESS = ['POST /cases/{id}/consents/{consentId}/withdraw', ...['accept', 'start', 'resume', 'acknowledge'].map((step) => `POST /cases/{id}/referrals/{rid}/${step}`)]
    .map((route) => route.replace(' /', ' /api/v1/'));
  /** The sign-in routes a browser navigates to: they answer a redirect, never a body. */
  const REDIRECTS = ['GET /api/v1/auth/oidc/login', 'GET /api/v1/auth/oidc/callback'];

  let document: { openapi: string; paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> };
  let documented: Map<string, Operation>;

  /** The document with every `$ref` (to its named schemas, responses, parameters) replaced by what it names. */
  function dereferenced(node: unknown, root: unknown = node): unknown {
    if (Array.isArray(node)) return node.map((item) => dereferenced(item, root));
    if (node === null || typeof node !== 'object') return node;
    const { $ref } = node as { $ref?: string };
    if ($ref !== undefined) return dereferenced($ref.slice(2).split('/').reduce((at: any, key) => at[key], root), root);
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, dereferenced(value, root)]));
  }

  beforeAll(async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = dereferenced(JSON.parse(response.body)) as typeof document;
    documented = new Map(Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.flatMap((method) => (item[method] ? [[`${method.toUpperCase()} ${path}`, item[method]] as const] : []))));
  });

  /**
   * The routes Fastify serves, from its router's own listing (a tree: one segment per line, indented four
   * characters a level, methods in brackets), as "METHOD /path/{param}".
   */
  function servedRoutes(): string[] {
    const tree = t.app.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const segments: string[] = [];
    const routes: string[] = [];
    for (const line of tree.split('\n')) {
      const node = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!node) continue;
      const depth = node[1]!.length / 4;
      segments.length = depth;
      segments.push(node[2]!);
      const path = segments.join('').replace(/:(\w+)/g, '{$1}');
      for (const method of (node[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) routes.push(`${method} ${path}`);
    }
    return routes;
  }

  it('documents every route the app serves under /api/v1, and only those', () => {
    expect(document.openapi).toMatch(/^3\./);
    const served = servedRoutes().filter((route) => route.includes(' /api/v1/'));
    // The listing was read: it holds at least the routes of the public contract.
    expect(served).toEqual(expect.arrayContaining(CONTRACT_ROUTES));
    expect([...documented.keys()].sort()).toEqual([...new Set(served)].sort());
  });

  it('documents a request body for every POST and none for GET or DELETE', () => {
    for (const [route, operation] of documented) {
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      if (!route.startsWith('POST ')) {
        expect({ route, requestBody: operation.requestBody }).toEqual({ route, requestBody: undefined });
        continue;
      }
      // Strict, like the validation: unknown fields are refused.
      expect({ route, schema }).toEqual({ route, schema: expect.objectContaining({ type: 'object', additionalProperties: false }) });
      const bodiless = Object.keys(schema!.properties ?? {}).length === 0;
      expect({ route, required: operation.requestBody!.required }).toEqual({ route, required: !bodiless });
    }
    for (const route of BODILESS) expect({ route, required: documented.get(route)?.requestBody?.required }).toEqual({ route, required: false });
    const openCase = documented.get('POST /api/v1/cases')!.requestBody!.content!['application/json']!.schema!;
    expect(openCase.required).toEqual(expect.arrayContaining(['networkId', 'subject', 'categories', 'urgency', 'description']));
  });

  it('documents a 2xx response schema for every route (a redirect for the browser\'s sign-in routes), and problem details for its errors', () => {
    for (const [route, operation] of documented) {
      const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (REDIRECTS.includes(route)) {
        expect({ route, success: success.length, location: operation.responses?.['302']?.headers?.['Location'] !== undefined }).toEqual({ route, success: 0, location: true });
      } else {
        // JSON, except where a route produces another media type (the CSV export, Prometheus metrics, the NDJSON case export).
        const mediaType = route.endsWith('.csv') ? 'text/csv' : route.endsWith('/referral-events') ? 'text/event-stream' : route.endsWith('/metrics') ? 'text/plain' : route.endsWith('/audit/cases/{id}/export') ? 'application/x-ndjson' : 'application/json';
        expect({ route, schemas: success.map(([, response]) => response.content?.[mediaType]?.schema !== undefined) })
          .toEqual({ route, schemas: [true] });
      }
      const problems = Object.entries(operation.responses ?? {}).filter(([status]) => /^[45]\d\d$/.test(status));
      for (const [, response] of problems) expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
    }
    const command = documented.get('POST /api/v1/cases/{id}/referrals')!.responses!['201']!.content!['application/json']!.schema;
    expect(command).toMatchObject({ required: expect.arrayContaining(['id', 'revision', 'position']) });
  });
});

describe('a store failure', () => {
  let broken: TestApp;
  let token: string;

  beforeAll(async () => {
    broken = await TestApp.start();
    token = await broken.token({ role: 'caseworker', institutionId: OWNER });
    // Pull the tables from under the running app (the log, and the case view reads answer from), through second connections.
    const events = new Database(join(broken.config.dataDir, 'events.sqlite'));
    events.exec('ALTER TABLE events RENAME TO events_gone');
    events.close();
    const views = new Database(join(broken.config.dataDir, 'views.sqlite'));
    views.exec('ALTER TABLE c_cases RENAME TO c_cases_gone; CREATE TABLE c_cases (unreadable INTEGER)');
    views.close();
  });
  afterAll(() => broken.stop());

  it('is a 5xx problem that shows neither SQL nor a stack', async () => {
    const read = await broken.get(`/cases/01900000-0000-7000-8000-000000000000`, token);
    expect(read.status).toBeGreaterThanOrEqual(500);
    expectProblem(read, read.status);
    const write = await broken.post('/cases', token, validCase());
    expect(write.status).toBeGreaterThanOrEqual(500);
    expectProblem(write, write.status);
  });
});
