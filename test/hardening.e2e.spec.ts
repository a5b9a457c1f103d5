/**
 * What protects the API before a route runs: security headers on every response (a CSP that still lets the
 * Swagger UI work on /docs), CORS closed unless origins are configured, a per-writer limit on writes that a
 * forged token cannot spend on someone else's behalf, and a request id on every response.
 */
import { SignJWT } from 'jose';
import { OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { mintToken } from '../src/auth/token.js';
import { Scenario } from './support/scenario.js';
import { SECRET, TestApp, type Response } from './support/test-app.js';

const APP_ORIGIN = 'https://app.rujukan.example.org';

/** `POST /cases` through the scenario driver, whatever it answers. */
const openCase = (t: TestApp, token: string) => new Scenario(t).requestCase(token, {
  subject: { name: 'Warga Uji', regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'normal', description: 'hardening spec',
});

describe('with the defaults', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.stop());

  it('sends security headers on API responses, errors included, with a CSP that allows nothing', async () => {
    for (const response of [await t.app.inject({ url: '/api/v1/health/live' }), await t.app.inject({ url: '/api/v1/cases' }), await t.app.inject({ url: '/nowhere' })]) {
      expect(response.headers).toMatchObject({
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
        'cross-origin-resource-policy': 'same-origin',
      });
    }
  });

  it('lets the Swagger UI on /docs load its own scripts, styles and images, and nothing from elsewhere', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' https: 'unsafe-inline'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // Every script the page loads is a same-origin file (no inline script that the CSP would block).
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)|<script [^>]*src="(https?:)?\/\//);
    expect((await t.app.inject({ url: '/docs/swagger-ui-init.js' })).headers['content-security-policy']).toBe(csp);
  });

  it('answers no browser origin: preflights and requests get no CORS headers', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS', url: '/api/v1/cases', headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const request = await t.app.inject({ url: '/api/v1/health/live', headers: { origin: APP_ORIGIN } });
    expect(request.statusCode).toBe(200);
    expect(request.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("returns the client's well-formed X-Request-Id, and a fresh one for anything else", async () => {
    expect((await t.app.inject({ url: '/api/v1/health/live', headers: { 'x-request-id': 'proxy-7f3a.01' } })).headers['x-request-id']).toBe('proxy-7f3a.01');
    const ids = new Set<unknown>();
    for (const incoming of [undefined, 'has spaces', '<script>', 'x'.repeat(200)]) {
      const response = await t.app.inject({ url: '/api/v1/cases', headers: incoming === undefined ? {} : { 'x-request-id': incoming } });
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(response.headers['x-request-id']);
    }
    expect(ids.size).toBe(4);
  });
});

describe('with CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start({ environment: { CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` } });
  });
  afterAll(() => t.stop());

  const preflight = (origin: string) => t.app.inject({
    method: 'OPTIONS', url: '/api/v1/cases', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
  });

  it('answers the listed origins, with the headers a client needs', async () => {
    const answer = await preflight(APP_ORIGIN);
    expect(answer.statusCode).toBe(204);
    expect(answer.headers).toMatchObject({ 'access-control-allow-origin': APP_ORIGIN, 'access-control-allow-methods': expect.stringContaining('POST') });
    expect(String(answer.headers['access-control-allow-headers'])).toMatch(/authorization.*content-type.*idempotency-key/);
    const request = await t.app.inject({ url: '/api/v1/health/live', headers: { origin: 'http://localhost:5173' } });
    expect(request.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(String(request.headers['access-control-expose-headers'])).toMatch(/etag.*retry-after.*x-request-id/);
  });

  it('answers no other origin', async () => {
    expect((await preflight('https://evil.example.org')).headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight('https://app.rujukan.example.org.evil.example.org')).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('with RATE_LIMIT_WRITES_PER_MINUTE=3', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start({ environment: { RATE_LIMIT_WRITES_PER_MINUTE: '3' } });
  });
  afterAll(() => t.stop());

  function expectTooMany(response: Response): void {
    expect(response.status).toBe(429);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 429, type: '/problems/too-many-requests', detail: expect.stringMatching(/retry in \d+ s/) });
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
  }

  it("limits each token's writes, not its reads, and not another user's writes", async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    for (let n = 0; n < 3; n++) expect((await openCase(t, owner)).status).toBe(201);
    const before = await t.store.headPosition();
    expectTooMany(await openCase(t, owner));
    // Another token of the same user shares the allowance: the key is the subject, not the token.
    const another = await mintToken({ sub: `user-caseworker-${OWNER}`, role: 'caseworker', institutionId: OWNER, expiresIn: '2h' }, SECRET);
    expect(another).not.toBe(owner);
    expectTooMany(await openCase(t, another));
    expect(await t.store.headPosition()).toBe(before);
    expect((await t.get('/reference/categories', owner)).status).toBe(200);
    expect((await openCase(t, await t.token({ role: 'caseworker', institutionId: PUSKESOS }))).status).toBe(201);
  });

  it("counts writes without a valid token by address, so a forged token cannot spend a user's allowance", async () => {
    const victim = { role: 'caseworker', institutionId: POSYANDU, sub: 'victim' } as const;
    const forged = await new SignJWT({ role: victim.role, institutionId: victim.institutionId }).setProtectedHeader({ alg: 'HS256' }).setSubject(victim.sub)
      .setExpirationTime('1h').sign(new TextEncoder().encode('not-the-secret-not-the-secret-not-the-secret'));
    for (let n = 0; n < 3; n++) expect((await openCase(t, forged)).status).toBe(401);
    expectTooMany(await openCase(t, forged));
    expectTooMany(await t.request('POST', '/cases', { body: {} }));
    expect((await openCase(t, await t.token(victim))).status).toBe(201);
  });
});
