/**
 * Signing in to the console: an admin's invitation (or the CLI's) gives a single-use link; the code in it
 * becomes an HttpOnly, SameSite=Strict session cookie; writes with the cookie need the session's CSRF
 * token; sign-out, expiry and revocation end the session at once; every step is an event in the user's
 * stream, and no code is ever stored.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NETWORK, OWNER } from './support/demo.js';
import { SAMPLE_NIK, SECRET, TestApp, type Response } from './support/test-app.js';

const CLI = resolve(__dirname, '..', 'dist', 'cli', 'main.js');

const codeOf = (link: string): string => new URL(link).hash.replace(/^#code=/, '');

function sessionCookie(response: Response): string {
  const header = ([] as unknown[]).concat(response.headers['set-cookie']).find((line) => String(line).startsWith('rujukan_session='));
  if (!header) throw new Error(`No session cookie in ${JSON.stringify(response.headers['set-cookie'])}`);
  return String(header);
}

const cookieValue = (setCookie: string): string => setCookie.split(';')[0]!;

const newCase = {
  networkId: NETWORK, subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'high', description: 'Lives alone',
};

describe('console sign-in', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await TestApp.start();
    admin = await t.token({ role: 'admin', sub: 'admin-ani' });
  });
  afterAll(() => t.stop());

  async function invite(body: Record<string, unknown>): Promise<{ userId: string; code: string }> {
    const response = await t.post('/users/invitations', admin, body);
    expect(response.status).toBe(201);
    expect(response.body.link).toMatch(/^http:\/\/localhost:\d+\/sign-in#code=/);
    return { userId: response.body.id, code: codeOf(response.body.link) };
  }

  async function signIn(code: string): Promise<Response> {
    return t.request('POST', '/auth/sign-in', { body: { code } });
  }

  it('signs a caseworker in once, with a session cookie the script cannot read', async () => {
    const { userId, code } = await invite({ role: 'caseworker', institutionId: OWNER, displayName: 'Bu Wati' });
    const response = await signIn(code);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ userId, role: 'caseworker', institutionId: OWNER, displayName: 'Bu Wati', method: 'invitation' });
    expect(typeof response.body.csrfToken).toBe('string');
    const setCookie = sessionCookie(response);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);

    const again = await signIn(code);
    expect(again.status).toBe(401);
    expect(again.body.detail).toMatch(/already used/);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('takes the cookie for reads, and for writes only with the CSRF token; nothing is appended without it', async () => {
    const { code } = await invite({ role: 'caseworker', institutionId: OWNER });
    const response = await signIn(code);
    const cookie = cookieValue(sessionCookie(response));
    const session = await t.request('GET', '/auth/session', { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(session.body.csrfToken).toBe(response.body.csrfToken);
    expect((await t.request('GET', `/institutions/${OWNER}/inbox`, { headers: { cookie } })).status).toBe(200);

    const before = (await t.request('GET', '/cases', { headers: { cookie } })).body.items.length;
    const refused = await t.request('POST', '/cases', { headers: { cookie }, body: newCase });
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'X-CSRF-Token' })]);
    const wrongToken = await t.request('POST', '/cases', { headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, body: newCase });
    expect(wrongToken.status).toBe(403);
    expect((await t.request('GET', '/cases', { headers: { cookie } })).body.items.length).toBe(before);

    const opened = await t.request('POST', '/cases', { headers: { cookie, 'x-csrf-token': response.body.csrfToken }, body: newCase });
    expect(opened.status).toBe(201);
    const caseStream = await t.stream(`case-${opened.body.id}`);
    expect(caseStream[0]!.metadata['actor']).toMatchObject({ role: 'caseworker', institutionId: OWNER });
  });

  it('ends the session at sign-out, and the cookie no longer works', async () => {
    const { userId, code } = await invite({ role: 'auditor' });
    const response = await signIn(code);
    const cookie = cookieValue(sessionCookie(response));
    const signOut = await t.request('POST', '/auth/sign-out', { headers: { cookie, 'x-csrf-token': response.body.csrfToken } });
    expect(signOut.status).toBe(200);
    expect(signOut.body).toEqual({ signedOut: true });
    expect(sessionCookie(signOut)).toMatch(/rujukan_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await t.request('GET', '/auth/session', { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/session has ended/);
    expect((await t.stream(`user-${userId}`)).map((event) => event.type)).toEqual(['UserInvited', 'SignInCodeIssued', 'SignedIn', 'SignedOut']);
  });

  it('refuses an expired link and ends sessions when they expire', async () => {
    const { code } = await invite({ role: 'analyst', expiresInHours: 1 });
    const { code: second } = await invite({ role: 'analyst' });
    const cookie = cookieValue(sessionCookie(await signIn(second)));
    t.clock.advanceHours(2);
    const expired = await signIn(code);
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/expired/);
    expect((await t.request('GET', '/auth/session', { headers: { cookie } })).status).toBe(200);
    t.clock.advanceHours(12);
    const ended = await t.request('GET', '/auth/session', { headers: { cookie } });
    expect(ended.status).toBe(401);
    expect(ended.body.detail).toMatch(/expired/);
  });

  it('lets an admin revoke a person: their session stops at once, their unused links too, and auditors see who had access', async () => {
    const { userId, code } = await invite({ role: 'caseworker', institutionId: OWNER, displayName: 'Pak Joko' });
    const { code: unused } = await invite({ userId, role: 'caseworker', institutionId: OWNER, displayName: 'Pak Joko' });
    const cookie = cookieValue(sessionCookie(await signIn(code)));
    expect((await t.post(`/users/${userId}/revoke`, admin, { reason: 'moved to another kelurahan' })).status).toBe(200);
    const after = await t.request('GET', '/auth/session', { headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
    expect((await signIn(unused)).status).toBe(401);

    const auditor = await t.token({ role: 'auditor' });
    const users = await t.get('/users?role=caseworker&status=revoked', auditor);
    expect(users.status).toBe(200);
    expect(users.body.items).toContainEqual(expect.objectContaining({
      userId, displayName: 'Pak Joko', status: 'revoked', invitedBy: 'admin-ani', revokedBy: 'admin-ani', activeSessions: 0,
    }));
    const stream = await t.stream(`user-${userId}`);
    expect(stream.map((event) => event.type)).toEqual(['UserInvited', 'SignInCodeIssued', 'SignInCodeIssued', 'SignedIn', 'UserAccessRevoked']);
    // Codes exist only in the links: the stream holds their hashes.
    const stored = JSON.stringify(stream.map(({ data, metadata }) => ({ data, metadata })));
    expect(stored).not.toContain(code.split('.')[1]);
    expect(stored).not.toContain(unused.split('.')[1]);
  });

  it('refuses invitations from anyone but an admin, and names what a grant lacks', async () => {
    const coordinator = await t.token({ role: 'coordinator', networkId: NETWORK });
    expect((await t.post('/users/invitations', coordinator, { role: 'caseworker', institutionId: OWNER })).status).toBe(403);
    const incomplete = await t.post('/users/invitations', admin, { role: 'caseworker' });
    expect(incomplete.status).toBe(422);
    expect(incomplete.body.errors).toEqual([expect.objectContaining({ field: 'institutionId' })]);
    const unknown = await t.post('/users/invitations', admin, { role: 'caseworker', institutionId: 'no-such-place' });
    expect(unknown.status).toBe(422);
  });

  it('offers invitation links only when no identity provider is configured for the console', async () => {
    expect((await t.request('GET', '/auth/methods')).body).toEqual({ invitation: true, oidc: false });
    const login = await t.request('GET', '/auth/oidc/login?returnTo=/cases');
    expect(login.status).toBe(302);
    expect(login.headers.location).toMatch(/^http:\/\/localhost:\d+\/sign-in\?error=not_configured$/);
  });

  it('answers the same for a made-up code as for a wrong one', async () => {
    for (const code of ['nonsense', `${OWNER}.${'A'.repeat(43)}`, `ghost-user.${'B'.repeat(43)}`]) {
      const response = await signIn(code);
      expect(response.status).toBe(401);
      expect(response.body.detail).toMatch(/not valid/);
    }
  });
});

describe('npx rujukan invite', () => {
  const dataDirs: string[] = [];
  afterAll(() => dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent', PUBLIC_URL: 'https://rujukan.magelangkota.go.id' };
    return new Promise((done) => {
      execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }));
    });
  }

  it('prints a link as its last line that signs the person in, recorded as issued by the operator', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npm run build; npm test does it)`);
    const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-invite-'));
    dataDirs.push(dataDir);
    expect((await cli(dataDir, 'seed')).code).toBe(0);
    const run = await cli(dataDir, 'invite', '--role', 'coordinator', '--network', NETWORK, '--name', 'Bu Sri', '--expires', '2h');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const link = lines[lines.length - 1]!;
    expect(link).toMatch(/^https:\/\/rujukan\.magelangkota\.go\.id\/sign-in#code=/);

    const t = await TestApp.start({ dataDir });
    try {
      const response = await t.request('POST', '/auth/sign-in', { body: { code: codeOf(link) } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ role: 'coordinator', networkId: NETWORK, displayName: 'Bu Sri' });
      const [invited] = await t.stream(`user-${response.body.userId}`);
      expect(invited!.data).toMatchObject({ invitedBy: expect.stringMatching(/^cli:/), role: 'coordinator' });
    } finally {
      await t.stop();
    }

    const refused = await cli(dataDir, 'invite', '--role', 'caseworker');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/belongs to an institution/);
  });
});
