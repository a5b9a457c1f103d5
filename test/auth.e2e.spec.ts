/**
 * Authentication over HTTP with both kinds of token configured: an OIDC provider's (its JWKS served from a
 * local node:http server) and HS256 ones. Every refusal is a 401 problem with a Bearer challenge; the
 * provider's key rotation is picked up without a restart; a provider that cannot be reached answers 503
 * with Retry-After, promptly, rather than hang or pass the outage off as a bad token.
 */
import { SignJWT } from 'jose';
import { mintToken } from '../src/auth/token.js';
import { OWNER } from './support/demo.js';
import { AUDIENCE, ISSUER, JwksServer, closedPortUrl } from './support/jwks-server.js';
import { Scenario } from './support/scenario.js';
import { SECRET, TestApp, type Response } from './support/test-app.js';

const providerEnvironment = (url: string) => ({ AUTH_JWKS_URL: url, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
const caseworker = { sub: 'oidc-caseworker', role: 'caseworker', institutionId: OWNER };
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectProblem(response: Response, status: number, detail?: RegExp): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { status, type: expect.stringMatching(/^\/problems\//) } });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  if (detail) expect(response.body.detail).toMatch(detail);
}

const read = (t: TestApp, token: string) => t.get('/reference/categories', token);
/** `POST /cases` through the scenario driver, whatever it answers. */
const openCase = (t: TestApp, token: string) => new Scenario(t).requestCase(token, {
  subject: { name: 'Warga Uji', regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'normal', description: 'auth spec',
});

describe('with an OIDC provider and a secret', () => {
  let provider: JwksServer;
  let t: TestApp;
  // jose's key cache and cooldown follow Date.now(): the specs move it forward instead of waiting.
  let skewMs = 0;
  const advance = (seconds: number) => (skewMs += seconds * 1000);
  beforeAll(async () => {
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs);
    provider = await JwksServer.start();
    t = await TestApp.start({ environment: providerEnvironment(provider.url) });
  });
  afterAll(async () => {
    await t.stop();
    await provider.close();
    jest.restoreAllMocks();
  });

  it("accepts the provider's tokens, RS256 or ES256, and maps their claims to the actor", async () => {
    const rs256 = await provider.sign({ ...caseworker, sub: 'oidc-user-1' });
    expect((await read(t, rs256)).status).toBe(200);
    const opened = await openCase(t, rs256);
    expect(opened.status).toBe(201);
    const [event] = await t.stream(`case-${opened.body.id}`);
    expect(event!.metadata).toMatchObject({ actor: { userId: 'oidc-user-1', role: 'caseworker', institutionId: OWNER } });

    const es256 = await provider.rotate('ES256', true);
    advance(31);
    expect((await read(t, await provider.sign({ role: 'dinsos', sub: 'oidc-user-2' }, { key: es256 }))).status).toBe(200);
  });

  it('accepts HS256 tokens carrying the configured issuer and audience', async () => {
    const scoped = await mintToken({ sub: 'dev-dinsos', role: 'dinsos', expiresIn: '1h' }, SECRET, { issuer: ISSUER, audience: AUDIENCE });
    expect((await read(t, scoped)).status).toBe(200);
    const unscoped = await mintToken({ sub: 'dev-dinsos', role: 'dinsos', expiresIn: '1h' }, SECRET);
    expectUnauthorized(await read(t, unscoped), /no iss claim/);
  });

  it('answers every bad token with 401, a problem and a Bearer challenge, and stores nothing', async () => {
    const before = await t.store.headPosition();
    const other = await JwksServer.start(provider.current.alg);
    const impostor = { ...other.current, kid: provider.current.kid };
    await other.close();
    const { alg, kid, privateKey } = provider.current;
    const refused: Array<[string, RegExp]> = [
      [await provider.sign(caseworker, { expiresIn: -120 }), /expired/],
      [await provider.sign(caseworker, { notBeforeIn: 300 }), /not valid yet/],
      [await provider.sign(caseworker, { issuer: 'https://evil.example.org' }), /another issuer/],
      [await provider.sign(caseworker, { audience: 'another-api' }), /another audience/],
      [await other.sign(caseworker, { key: impostor }), /not valid/],
      [`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'x', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 })}.`, /not valid/],
      [`${base64url({ alg, kid })}.not-json.c2ln`, /not valid/],
      ['definitely-not-a-jwt', /not valid/],
      [await provider.sign({ sub: 'x' }), /role/],
      [await provider.sign({ role: 'caseworker', sub: 'x' }), /institutionId/],
      [await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg, kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').sign(privateKey), /no sub claim/],
    ];
    for (const [token, detail] of refused) {
      expectUnauthorized(await openCase(t, token), detail);
      expectUnauthorized(await read(t, token), detail);
    }
    expect(await t.store.headPosition()).toBe(before);
  });

  it("picks up the provider's new key on its first token once the 30 s cooldown has passed, and drops the retired one", async () => {
    const retired = await provider.sign({ role: 'dinsos', sub: 'before-rotation' });
    expect((await read(t, retired)).status).toBe(200);
    const fetches = provider.fetches;
    const fresh = await provider.rotate();
    const token = await provider.sign({ role: 'dinsos', sub: 'after-rotation' }, { key: fresh });

    // Unknown key ids within the cooldown are refused without asking the provider again: no fetch storms.
    expectUnauthorized(await read(t, token), /not valid/);
    expect(provider.fetches).toBe(fetches);

    advance(31);
    expect((await read(t, token)).status).toBe(200);
    expect(provider.fetches).toBe(fetches + 1);
    expectUnauthorized(await read(t, retired), /not valid/);
  });
});

describe('when the provider is in trouble', () => {
  it('answers 503 with Retry-After when nothing listens at AUTH_JWKS_URL', async () => {
    const t = await TestApp.start({ environment: { ...providerEnvironment(await closedPortUrl()), RATE_LIMIT_WRITES_PER_MINUTE: '60' } });
    try {
      const elsewhere = await JwksServer.start();
      const token = await elsewhere.sign(caseworker);
      await elsewhere.close();
      for (const response of [await read(t, token), await openCase(t, token)]) {
        expectProblem(response, 503, /identity provider/);
        expect(response.headers['retry-after']).toBe('5');
      }
    } finally {
      await t.stop();
    }
  });

  it.each(['fail', 'hang'] as const)('answers 503 when the provider %ss, a write within one fetch timeout (3 s)', async (behaviour) => {
    const provider = await JwksServer.start();
    provider.behaviour = behaviour;
    // The write limit verifies the token too: it must not make a write wait for the provider twice.
    const t = await TestApp.start({ environment: { ...providerEnvironment(provider.url), RATE_LIMIT_WRITES_PER_MINUTE: '60' } });
    try {
      const started = Date.now();
      expectProblem(await openCase(t, await provider.sign(caseworker)), 503, /identity provider/);
      expect(Date.now() - started).toBeLessThan(4_500);
      expect(provider.fetches).toBe(1);
    } finally {
      await t.stop();
      await provider.close();
    }
  });
});

function expectUnauthorized(response: Response, detail: RegExp): void {
  expectProblem(response, 401, detail);
  expect(response.headers['www-authenticate']).toBe('Bearer');
}
