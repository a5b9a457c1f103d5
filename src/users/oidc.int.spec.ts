import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { consolePath, OidcSignIn, type OidcFailure } from './oidc.js';

const PUBLIC_URL = 'https://rujukan.magelangkota.go.id';

describe('the page to return to after sign-in', () => {
  it.each([
    ['/cases', '/cases'],
    ['/cases/0190?tab=timeline#notes', '/cases/0190?tab=timeline#notes'],
    ['/sign-in/../users', '/users'],
    [undefined, '/'],
    ['', '/'],
    ['cases', '/'],
    ['https://evil.example/phish', '/'],
    ['//evil.example/phish', '/'],
    ['/\\evil.example', '/'],
    ['/\\/evil.example', '/'],
    ['/\tevil', '/'],
    ['javascript:alert(1)', '/'],
    [`${PUBLIC_URL}/cases`, '/'],
  ])('takes %j as %j', (returnTo, path) => {
    expect(consolePath(returnTo, PUBLIC_URL)).toBe(path);
  });
});

describe('sign-in at the identity provider, before the provider answers', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'rujukan-oidc-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  async function reasonOf(attempt: Promise<unknown>): Promise<OidcFailure> {
    try {
      await attempt;
    } catch (error) {
      return (error as { reason: OidcFailure }).reason;
    }
    throw new Error('expected the sign-in to fail');
  }

  it('cannot start without AUTH_OIDC_CLIENT_ID', async () => {
    const oidc = new OidcSignIn(loadConfig({ DATA_DIR: dataDir }), systemClock);
    expect(oidc.enabled).toBe(false);
    expect(await reasonOf(oidc.start('/cases'))).toBe('not_configured');
  });

  it('says the provider is unavailable when nothing answers at its issuer', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const oidc = new OidcSignIn(loadConfig({ DATA_DIR: dataDir, AUTH_ISSUER: `http://127.0.0.1:${port}`, AUTH_OIDC_CLIENT_ID: 'rujukan-console' }), systemClock);
    expect(oidc.enabled).toBe(true);
    expect(await reasonOf(oidc.start('/cases'))).toBe('unavailable');
  });
});
