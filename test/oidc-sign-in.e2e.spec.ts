/**
 * Signing in to the console with the organisation's identity provider: a real OpenID Connect provider
 * (oidc-provider, in this process on a loopback port) and a browser that keeps cookies and follows redirects
 * by hand, through the provider's login and consent and back to the console. The grant comes from the
 * provider's claims and is recorded in the person's stream; the session cookie is the one invitation sign-in
 * sets. Every failure goes back to the sign-in page with a short reason, and nothing secret reaches a log.
 */
import { CookieJar } from 'tough-cookie';
import { mintToken } from '../src/auth/token.js';
import { derivedId } from '../src/core/ids.js';
import { DINSOS, NETWORK, OWNER } from './support/demo.js';
import { TestIdentityProvider } from './support/oidc-provider.js';
import { SECRET, TestApp, type Response } from './support/test-app.js';

/** Where people reach the console; the browser reaches the app at this origin through its request pipeline (no socket). */
const PUBLIC_URL = 'http://localhost:4010';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
const LOGIN = `${PUBLIC_URL}/api/v1/auth/oidc/login`;
const CONFIDENTIAL = { client_id: 'rujukan-console', client_secret: 'console-secret-console-secret', redirect_uris: [CALLBACK] };
const PUBLIC = { client_id: 'rujukan-console-public', token_endpoint_auth_method: 'none' as const, redirect_uris: [CALLBACK] };

interface Hop {
  readonly url: string;
  readonly status: number;
  readonly location: string | null;
  readonly setCookies: readonly string[];
}

/** Where a visit ended: a console page the browser was sent to (not fetched here), or a page that answered. */
interface Landing {
  readonly at: string;
  readonly body: string;
  readonly hops: readonly Hop[];
}

/** A browser: one cookie jar, redirects followed one by one; the app is reached through Fastify's inject, the provider over HTTP. */
class Browser {
  readonly jar = new CookieJar();

  constructor(private readonly t: TestApp) {}

  async send(url: string, form?: Record<string, string>): Promise<Hop & { body: string }> {
    const cookie = await this.jar.getCookieString(url);
    const method = form ? 'POST' : 'GET';
    const payload = form ? new URLSearchParams(form).toString() : undefined;
    const headers: Record<string, string> = { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
    let hop: Hop & { body: string };
    if (url.startsWith(`${PUBLIC_URL}/`)) {
      const { pathname, search } = new URL(url);
      const response = await this.t.app.inject({ method, url: `${pathname}${search}`, headers, ...(payload !== undefined ? { payload } : {}) });
      const setCookies = ([] as unknown[]).concat(response.headers['set-cookie'] ?? []).map(String);
      hop = { url, status: response.statusCode, location: response.headers.location === undefined ? null : String(response.headers.location), setCookies, body: response.body };
    } else {
      const response = await fetch(url, { method, headers, redirect: 'manual', ...(payload !== undefined ? { body: payload } : {}) });
      hop = { url, status: response.status, location: response.headers.get('location'), setCookies: response.headers.getSetCookie(), body: await response.text() };
    }
    for (const line of hop.setCookies) await this.jar.setCookie(line, url);
    return hop;
  }

  /** Goes to `url` and follows redirects until a page answers or the browser is sent to the console (PUBLIC_URL outside /api), or to `stopBefore`. */
  async visit(url: string, options: { form?: Record<string, string>; stopBefore?: string } = {}): Promise<Landing> {
    const hops: Hop[] = [];
    let next = url;
    let form = options.form;
    for (;;) {
      const { body, ...hop } = await this.send(next, form);
      hops.push(hop);
      if (hop.status < 300 || hop.status >= 400 || hop.location === null) return { at: next, body, hops };
      next = new URL(hop.location, next).href;
      form = undefined;
      const consolePage = next.startsWith(`${PUBLIC_URL}/`) && !new URL(next).pathname.startsWith('/api/');
      if (consolePage || (options.stopBefore !== undefined && next.startsWith(options.stopBefore))) return { at: next, body: '', hops };
    }
  }

  /**
   * The session cookie as a request header, for the API calls the console's script makes. Its expiry is on the
   * app's test clock, not this machine's: the app alone judges it.
   */
  async sessionCookie(): Promise<string> {
    const cookies = await this.jar.getCookies(`${PUBLIC_URL}/api/v1/auth/session`, { expire: false });
    return cookies.filter((cookie) => cookie.key === 'rujukan_session' && cookie.value !== '').map((cookie) => cookie.cookieString()).join('; ');
  }
}

/**
 * Signs `account` in from the console's "office account" button: through the provider's login page (unless the
 * provider remembers the browser) and consent page (unless given before), back to the console.
 */
async function signIn(browser: Browser, account: string, options: { returnTo?: string; consent?: 'give' | 'refuse'; stopBefore?: string } = {}): Promise<Landing> {
  const query = options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`;
  const stop = options.stopBefore === undefined ? {} : { stopBefore: options.stopBefore };
  let landing = await browser.visit(`${LOGIN}${query}`, stop);
  const hops = [...landing.hops];
  while (!landing.at.startsWith(PUBLIC_URL) && /\/interaction\//.test(landing.at)) {
    const { prompt } = JSON.parse(landing.body) as { prompt: string };
    const form: Record<string, string> = prompt === 'login' ? { login: account } : {};
    const action = prompt === 'login' ? 'login' : options.consent === 'refuse' ? 'abort' : 'confirm';
    landing = await browser.visit(`${landing.at}/${action}`, { form, ...stop });
    hops.push(...landing.hops);
  }
  return { ...landing, hops };
}

const session = async (t: TestApp, browser: Browser): Promise<Response> => t.request('GET', '/auth/session', { headers: { cookie: await browser.sessionCookie() } });

async function eventTypes(t: TestApp, userId: string): Promise<string[]> {
  return (await t.stream(`user-${userId}`)).map((event) => event.type);
}

describe('sign-in at the identity provider (confidential client, claims in the ID token)', () => {
  let provider: TestIdentityProvider;
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    provider = await TestIdentityProvider.start({ clients: [CONFIDENTIAL], claimsInIdToken: true });
    t = await TestApp.start({
      environment: {
        PUBLIC_URL, AUTH_ISSUER: provider.issuer, AUTH_OIDC_CLIENT_ID: CONFIDENTIAL.client_id, AUTH_OIDC_CLIENT_SECRET: CONFIDENTIAL.client_secret,
        AUTH_OIDC_SCOPES: 'openid profile rujukan', LOG_LEVEL: 'info',
      },
      logStream: { write: (line) => logLines.push(line) },
    });
  });
  afterAll(async () => {
    await t.stop();
    await provider.stop();
  });

  it('offers the office account on the sign-in page', async () => {
    const methods = await t.request('GET', '/auth/methods');
    expect(methods.status).toBe(200);
    expect(methods.body).toEqual({ invitation: true, oidc: true });
  });

  it('signs a caseworker in with PKCE, state and nonce, returns to the page asked for, and records the grant from the claims', async () => {
    provider.accounts.set('wati', { role: 'caseworker', institutionId: OWNER, name: 'Bu Wati' });
    const browser = new Browser(t);
    const landing = await signIn(browser, 'wati', { returnTo: '/cases?status=open#top' });
    expect(landing.at).toBe(`${PUBLIC_URL}/cases?status=open#top`);

    const [login] = landing.hops;
    const authorization = new URL(login!.location!);
    expect(authorization.origin + authorization.pathname).toBe(`${provider.issuer}/auth`);
    expect(Object.fromEntries(authorization.searchParams)).toMatchObject({
      client_id: 'rujukan-console', response_type: 'code', redirect_uri: CALLBACK, scope: 'openid profile rujukan', code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), state: expect.any(String), nonce: expect.any(String),
    });
    const loginCookie = login!.setCookies.find((line) => line.startsWith('rujukan_oidc='))!;
    expect(loginCookie).toMatch(/HttpOnly/);
    expect(loginCookie).toMatch(/SameSite=Lax/);
    expect(loginCookie).toMatch(/Path=\/api\/v1\/auth\/oidc\/callback/);
    // Sealed: neither the state nor the nonce can be read from it.
    expect(loginCookie).not.toContain(authorization.searchParams.get('state'));
    expect(loginCookie).not.toContain(authorization.searchParams.get('nonce'));

    const callback = landing.hops.find((hop) => hop.url.startsWith(CALLBACK))!;
    expect(callback.status).toBe(302);
    const sessionCookie = callback.setCookies.find((line) => line.startsWith('rujukan_session='))!;
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/SameSite=Strict/);
    expect(callback.setCookies.find((line) => line.startsWith('rujukan_oidc='))).toMatch(/Expires=Thu, 01 Jan 1970/);

    const signedIn = await session(t, browser);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ userId: 'wati', role: 'caseworker', institutionId: OWNER, networkId: null, displayName: 'Bu Wati', method: 'oidc' });
    expect((await t.request('GET', `/institutions/${OWNER}/inbox`, { headers: { cookie: await browser.sessionCookie() } })).status).toBe(200);
    const stream = await t.stream('user-wati');
    expect(stream.map((event) => event.type)).toEqual(['ProviderAccessGranted', 'SignedIn']);
    expect(stream[0]!.data).toMatchObject({ role: 'caseworker', institutionId: OWNER, issuer: provider.issuer });
    expect(stream[1]!.data).toMatchObject({ method: 'oidc', sessionId: expect.any(String) });
  });

  it('changes the grant when the provider\'s claims change, and records nothing new when they do not', async () => {
    provider.accounts.set('sri', { role: 'caseworker', institutionId: OWNER, name: 'Bu Sri' });
    const browser = new Browser(t);
    await signIn(browser, 'sri');
    const first = await browser.sessionCookie();

    provider.accounts.set('sri', { role: 'coordinator', networkId: NETWORK, name: 'Bu Sri' });
    // The provider remembers this browser and its consent: straight back to the console.
    const again = await signIn(browser, 'sri');
    expect(again.at).toBe(`${PUBLIC_URL}/`);
    expect((await session(t, browser)).body).toMatchObject({ userId: 'sri', role: 'coordinator', networkId: NETWORK, institutionId: null, method: 'oidc' });
    // The first session now acts with the new grant too: every request reads the stream.
    expect((await t.request('GET', '/auth/session', { headers: { cookie: first } })).body).toMatchObject({ role: 'coordinator' });

    await signIn(browser, 'sri');
    expect(await eventTypes(t, 'sri')).toEqual(['ProviderAccessGranted', 'SignedIn', 'ProviderAccessGranted', 'SignedIn', 'SignedIn']);
  });

  it('refuses a person whose access was revoked, whatever the provider says', async () => {
    provider.accounts.set('joko', { role: 'caseworker', institutionId: OWNER });
    await signIn(new Browser(t), 'joko');
    const admin = await mintToken({ sub: 'admin-ani', role: 'admin', expiresIn: '1h' }, SECRET, { issuer: provider.issuer });
    expect((await t.post('/users/joko/revoke', admin, { reason: 'moved to another kelurahan' })).status).toBe(200);

    const browser = new Browser(t);
    const refused = await signIn(browser, 'joko');
    expect(refused.at).toBe(`${PUBLIC_URL}/sign-in?error=revoked`);
    expect(refused.hops.flatMap((hop) => hop.setCookies).some((line) => line.startsWith('rujukan_session='))).toBe(false);
    expect((await session(t, browser)).status).toBe(401);
    expect(await eventTypes(t, 'joko')).toEqual(['ProviderAccessGranted', 'SignedIn', 'UserAccessRevoked']);
  });

  it('refuses claims a role cannot work with, and records nothing', async () => {
    provider.accounts.set('no-institution', { role: 'caseworker' });
    provider.accounts.set('no-role', { name: 'Pak Budi' });
    provider.accounts.set('made-up-role', { role: 'superuser' });
    provider.accounts.set('bad-institution', { role: 'caseworker', institutionId: 'RW 03 / Jurangombo' });
    for (const account of ['no-institution', 'no-role', 'made-up-role', 'bad-institution']) {
      const refused = await signIn(new Browser(t), account);
      expect({ account, at: refused.at }).toEqual({ account, at: `${PUBLIC_URL}/sign-in?error=insufficient_claims` });
      expect(await eventTypes(t, account)).toEqual([]);
    }
  });

  it('sends someone who refuses consent back to the sign-in page', async () => {
    provider.accounts.set('ragu', { role: 'auditor' });
    const refused = await signIn(new Browser(t), 'ragu', { consent: 'refuse' });
    expect(refused.at).toBe(`${PUBLIC_URL}/sign-in?error=access_denied`);
    expect(await eventTypes(t, 'ragu')).toEqual([]);
  });

  it('refuses an answer meant for another browser, a forged state, a replay and a login left too long', async () => {
    provider.accounts.set('mallory', { role: 'admin' });
    provider.accounts.set('victim', { role: 'analyst' });
    // The attacker's own valid answer, not delivered to the app.
    const attacker = new Browser(t);
    const held = await signIn(attacker, 'mallory', { stopBefore: CALLBACK });
    expect(held.at.startsWith(`${CALLBACK}?code=`)).toBe(true);

    // ... planted in a victim's browser that has no sign-in under way, or its own.
    const victim = new Browser(t);
    expect((await victim.visit(held.at)).at).toBe(`${PUBLIC_URL}/sign-in?error=login_expired`);
    await victim.visit(LOGIN, { stopBefore: provider.issuer });
    expect((await victim.visit(held.at)).at).toBe(`${PUBLIC_URL}/sign-in?error=invalid_state`);

    // A state made up to match nothing, with the login cookie of a real login.
    await attacker.visit(LOGIN, { stopBefore: provider.issuer });
    const forged = new URL(held.at);
    forged.searchParams.set('state', 'forged-state');
    expect((await attacker.visit(forged.href)).at).toBe(`${PUBLIC_URL}/sign-in?error=invalid_state`);

    // Delivered once where it belongs, it signs in; a replay finds no login under way.
    const owner = await signIn(attacker, 'mallory', { stopBefore: CALLBACK });
    expect((await attacker.visit(owner.at)).at).toBe(`${PUBLIC_URL}/`);
    expect((await attacker.visit(owner.at)).at).toBe(`${PUBLIC_URL}/sign-in?error=login_expired`);
    expect(await eventTypes(t, 'mallory')).toEqual(['ProviderAccessGranted', 'SignedIn']);
    expect(await eventTypes(t, 'victim')).toEqual([]);

    // Ten minutes is all a login gets.
    const slow = new Browser(t);
    const answer = await signIn(slow, 'victim', { stopBefore: CALLBACK });
    t.clock.advanceHours(0.25);
    expect((await slow.visit(answer.at)).at).toBe(`${PUBLIC_URL}/sign-in?error=login_expired`);
    expect(await eventTypes(t, 'victim')).toEqual([]);
  });

  it('returns only to a page of the console', async () => {
    provider.accounts.set('ani', { role: 'analyst' });
    const browser = new Browser(t);
    for (const returnTo of ['https://evil.example/phish', '//evil.example/phish', '/\\evil.example', 'cases', 'javascript:alert(1)']) {
      expect({ returnTo, at: (await signIn(browser, 'ani', { returnTo })).at }).toEqual({ returnTo, at: `${PUBLIC_URL}/` });
    }
    expect((await signIn(browser, 'ani', { returnTo: '/analytics' })).at).toBe(`${PUBLIC_URL}/analytics`);
  });

  it('keeps codes, states, tokens, cookies and claims out of the log, and logs why a sign-in was refused', () => {
    const log = logLines.join('');
    expect(log).toMatch(/refused: revoked/);
    expect(log).toMatch(/refused: insufficient_claims/);
    for (const secret of ['code=', 'state=', 'rujukan_session', 'rujukan_oidc', 'Bu Wati', 'eyJ', CONFIDENTIAL.client_secret]) expect(log).not.toContain(secret);
  });
});

describe('sign-in at the identity provider (public client, claims from userinfo)', () => {
  let provider: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await TestIdentityProvider.start({ clients: [PUBLIC], claimsInIdToken: false });
    t = await TestApp.start({ environment: { PUBLIC_URL, AUTH_ISSUER: provider.issuer, AUTH_OIDC_CLIENT_ID: PUBLIC.client_id, AUTH_OIDC_SCOPES: 'openid profile rujukan' } });
  });
  afterAll(async () => {
    await t.stop();
    await provider.stop();
  });

  it('signs in with PKCE alone, reads the grant from userinfo, and derives the user id from a subject that is not an id', async () => {
    const subject = 'auth0|5f7c8ec7c33c6c004bbafe82';
    provider.accounts.set(subject, { role: 'dinsos', institutionId: DINSOS, name: '  Ibu Ani  ' });
    const browser = new Browser(t);
    expect((await signIn(browser, subject, { returnTo: '/escalations' })).at).toBe(`${PUBLIC_URL}/escalations`);
    const userId = derivedId('oidc-subject', provider.issuer, subject);
    expect((await session(t, browser)).body).toMatchObject({ userId, role: 'dinsos', institutionId: DINSOS, displayName: 'Ibu Ani', method: 'oidc' });
    expect(await eventTypes(t, userId)).toEqual(['ProviderAccessGranted', 'SignedIn']);
  });
});

describe('sign-in at an identity provider whose key set was spoofed', () => {
  let provider: TestIdentityProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await TestIdentityProvider.start({ clients: [CONFIDENTIAL], claimsInIdToken: true });
    provider.publishImpostorKey = true;
    t = await TestApp.start({
      environment: {
        PUBLIC_URL, AUTH_ISSUER: provider.issuer, AUTH_OIDC_CLIENT_ID: CONFIDENTIAL.client_id, AUTH_OIDC_CLIENT_SECRET: CONFIDENTIAL.client_secret,
        AUTH_OIDC_SCOPES: 'openid profile rujukan',
      },
    });
  });
  afterAll(async () => {
    await t.stop();
    await provider.stop();
  });

  it('refuses an ID token that the keys published at the provider\'s jwks_uri did not sign', async () => {
    provider.accounts.set('budi', { role: 'auditor' });
    expect((await signIn(new Browser(t), 'budi')).at).toBe(`${PUBLIC_URL}/sign-in?error=invalid_response`);
    expect(await eventTypes(t, 'budi')).toEqual([]);
  });
});
