import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'rujukan-config-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function failure(environment: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig({ DATA_DIR: dataDir, ...environment });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('starts on the embedded stores with defaults, generating secrets once under DATA_DIR', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first).toMatchObject({ port: 3000, eventStore: { kind: 'sqlite', file: join(dataDir, 'events.sqlite') }, analyticsMinCell: 5 });
    expect(first.auth.jwtSecret).toHaveLength(43);
    expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
    expect(readFileSync(join(dataDir, 'master-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ EVENT_STORE: 'postgres' }, 'EVENT_STORE'],
    [{ READ_STORE: 'mongodb' }, 'MONGODB_URL'],
    [{ EVENT_STORE: 'eventstoredb' }, 'EVENTSTORE_URL'],
    [{ EVENTSTORE_URL: 'http://localhost:2113' }, 'EVENTSTORE_URL'],
    [{ AUTH_JWT_SECRET: 'short' }, 'AUTH_JWT_SECRET'],
    [{ MASTER_KEY: 'not-hex' }, 'MASTER_KEY'],
    [{ ANALYTICS_MIN_CELL: '0' }, 'ANALYTICS_MIN_CELL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SLA_HOURS_HIGH: '-1' }, 'SLA_HOURS_HIGH'],
    [{ EVENT_STORE: 'eventstoredb', EVENTSTORE_URL: 'esdb://localhost:2113?tls=false' }, 'AUTH_JWT_SECRET'],
    [{ AUTH_JWKS_URL: 'https://login.example.org/certs', AUTH_AUDIENCE: 'rujukan-api' }, 'AUTH_ISSUER'],
    [{ AUTH_JWKS_URL: 'https://login.example.org/certs', AUTH_ISSUER: 'https://login.example.org' }, 'AUTH_AUDIENCE'],
    [{ AUTH_JWKS_URL: 'http://login.example.org/certs', AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' }, 'AUTH_JWKS_URL'],
    [{ AUTH_JWKS_URL: 'not a url' }, 'AUTH_JWKS_URL'],
    [{ AUTH_OIDC_CLIENT_ID: 'rujukan-console' }, 'AUTH_ISSUER'],
    [{ AUTH_OIDC_CLIENT_ID: 'rujukan-console', AUTH_ISSUER: 'http://login.example.org' }, 'AUTH_ISSUER'],
    [{ AUTH_OIDC_CLIENT_ID: 'rujukan-console', AUTH_ISSUER: 'rujukan' }, 'AUTH_ISSUER'],
    [{ AUTH_OIDC_CLIENT_SECRET: 'secret', AUTH_ISSUER: 'https://login.example.org' }, 'AUTH_OIDC_CLIENT_ID'],
    [{ AUTH_OIDC_SCOPES: 'openid', AUTH_ISSUER: 'https://login.example.org' }, 'AUTH_OIDC_CLIENT_ID'],
    [{ AUTH_OIDC_CLIENT_ID: 'rujukan-console', AUTH_ISSUER: 'https://login.example.org', AUTH_OIDC_SCOPES: 'profile email' }, 'AUTH_OIDC_SCOPES'],
    [{ RATE_LIMIT_WRITES_PER_MINUTE: '-1' }, 'RATE_LIMIT_WRITES_PER_MINUTE'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ RUN_PROJECTIONS: 'no' }, 'RUN_PROJECTIONS'],
    [{ SHUTDOWN_TIMEOUT_SECONDS: '0' }, 'SHUTDOWN_TIMEOUT_SECONDS'],
    [{ CORS_ORIGINS: 'https://app.example.org/path' }, 'CORS_ORIGINS'],
    [{ WEBHOOK_ALLOW_LOOPBACK: 'yes' }, 'WEBHOOK_ALLOW_LOOPBACK'],
    [{ WEBHOOK_SLA_WARNING_HOURS: '24,soon' }, 'WEBHOOK_SLA_WARNING_HOURS'],
    [{ WEBHOOK_TIMEOUT_SECONDS: '0' }, 'WEBHOOK_TIMEOUT_SECONDS'],
    [{ WEBHOOK_RETRY_HOURS: '0' }, 'WEBHOOK_RETRY_HOURS'],
  ])('refuses %j, naming %s', (environment, variable) => {
    const error = failure(environment);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('takes the authentication, write limit and CORS settings', () => {
    const config = loadConfig({
      DATA_DIR: dataDir, AUTH_JWKS_URL: 'http://localhost:8080/certs', AUTH_ISSUER: 'http://localhost:8080/realms/r', AUTH_AUDIENCE: 'rujukan-api',
      RATE_LIMIT_WRITES_PER_MINUTE: '0', CORS_ORIGINS: 'https://app.example.org, http://localhost:5173',
    });
    // With a provider and no secret, none is generated: every token comes from the provider.
    expect(config.auth).toEqual({ jwtSecret: null, jwksUrl: 'http://localhost:8080/certs', issuer: 'http://localhost:8080/realms/r', audience: 'rujukan-api' });
    expect(config).toMatchObject({ rateLimitWritesPerMinute: 0, corsOrigins: ['https://app.example.org', 'http://localhost:5173'] });
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({ rateLimitWritesPerMinute: 120, corsOrigins: [] });
  });

  it('takes the console\'s OIDC client, public or confidential, with openid and profile as the default scopes', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).oidcSignIn).toBeNull();
    const provider = { DATA_DIR: dataDir, AUTH_ISSUER: 'https://login.example.org/realms/kota', AUTH_OIDC_CLIENT_ID: 'rujukan-console' };
    expect(loadConfig(provider).oidcSignIn).toEqual({ issuer: 'https://login.example.org/realms/kota', clientId: 'rujukan-console', clientSecret: null, scopes: ['openid', 'profile'] });
    expect(loadConfig({ ...provider, AUTH_OIDC_CLIENT_SECRET: 's3cret', AUTH_OIDC_SCOPES: ' openid  profile rujukan ' }).oidcSignIn)
      .toMatchObject({ clientSecret: 's3cret', scopes: ['openid', 'profile', 'rujukan'] });
    expect(loadConfig({ ...provider, AUTH_ISSUER: 'http://localhost:8080/realms/kota' }).oidcSignIn?.issuer).toBe('http://localhost:8080/realms/kota');
  });

  it('runs the projections and bounds shutdown to 10 s unless told otherwise', () => {
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({ runProjections: true, shutdownTimeoutSeconds: 10 });
    expect(loadConfig({ DATA_DIR: dataDir, RUN_PROJECTIONS: 'false', SHUTDOWN_TIMEOUT_SECONDS: '25' })).toMatchObject({ runProjections: false, shutdownTimeoutSeconds: 25 });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: '', PORT: '' }).port).toBe(3000);
  });

  it('takes the SLA hours per urgency from the environment', () => {
    expect(loadConfig({ DATA_DIR: dataDir, SLA_HOURS_EMERGENCY: '4' }).slaHours).toEqual({ emergency: 4, high: 72, normal: 168, low: 336 });
  });

  it('takes the webhook settings: retry window, timeout, allowed ranges, SLA warnings largest first', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).webhooks).toEqual({
      retryHours: 24, timeoutMs: 10_000, allowLoopback: false, allowPrivate: false, slaWarningHours: [24, 4], leaseMs: 15_000,
    });
    expect(loadConfig({
      DATA_DIR: dataDir, WEBHOOK_RETRY_HOURS: '6', WEBHOOK_TIMEOUT_SECONDS: '3', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_SLA_WARNING_HOURS: '2, 12,2', WEBHOOK_LEASE_SECONDS: '5',
    }).webhooks).toEqual({ retryHours: 6, timeoutMs: 3_000, allowLoopback: true, allowPrivate: true, slaWarningHours: [12, 2], leaseMs: 5_000 });
  });
});
