/**
 * Which tokens the verifier accepts, with the secret (HS256): the claims it checks, the clock skew it allows,
 * and the algorithms it refuses before looking at a key. Tokens of an OIDC provider: test/auth.e2e.spec.ts.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { closedPortUrl } from '../../test/support/jwks-server.js';
import type { AuthConfig } from '../config/config.js';
import { KeySetUnavailableError } from './jwks.js';
import { InvalidTokenError, TokenVerifier, mintToken } from './token.js';

const SECRET = 'token-spec-secret-token-spec-secret-0123';
const SECRET_ONLY: AuthConfig = { jwtSecret: SECRET, jwksUrl: null, issuer: null, audience: null };
const SCOPED: AuthConfig = { ...SECRET_ONLY, issuer: 'https://rujukan.example.org', audience: 'rujukan-api' };

const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Signing {
  readonly claims?: Record<string, unknown>;
  readonly exp?: number | null;
  readonly nbf?: number;
  readonly sub?: string | null;
  readonly iss?: string;
  readonly aud?: string;
  readonly secret?: string;
}

function sign({ claims = { role: 'dinsos' }, exp = now() + 3600, nbf, sub = 'user-1', iss, aud, secret = SECRET }: Signing = {}): Promise<string> {
  const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (exp !== null) token.setExpirationTime(exp);
  if (sub !== null) token.setSubject(sub);
  if (nbf !== undefined) token.setNotBefore(nbf);
  if (iss !== undefined) token.setIssuer(iss);
  if (aud !== undefined) token.setAudience(aud);
  return token.sign(new TextEncoder().encode(secret));
}

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(InvalidTokenError);
  return (error as Error).message;
}

describe('HS256 tokens', () => {
  const verifier = new TokenVerifier(SECRET_ONLY);

  it('maps the claims of a valid token to the actor', async () => {
    await expect(verifier.verify(await sign({ claims: { role: 'caseworker', institutionId: 'rw-03' } })))
      .resolves.toEqual({ userId: 'user-1', role: 'caseworker', institutionId: 'rw-03' });
    await expect(verifier.verify(await sign({ claims: { role: 'coordinator', networkId: 'wksbm-1' }, sub: 'coord-1' })))
      .resolves.toEqual({ userId: 'coord-1', role: 'coordinator', networkId: 'wksbm-1' });
  });

  it('allows 30 s of clock skew on exp and nbf, and no more', async () => {
    await expect(verifier.verify(await sign({ exp: now() - 20 }))).resolves.toMatchObject({ role: 'dinsos' });
    expect(await refusal(verifier, await sign({ exp: now() - 60 }))).toMatch(/expired/);
    await expect(verifier.verify(await sign({ nbf: now() + 20 }))).resolves.toMatchObject({ role: 'dinsos' });
    expect(await refusal(verifier, await sign({ nbf: now() + 120 }))).toMatch(/not valid yet/);
  });

  it('refuses tokens signed with another secret, unsigned, or not JWTs at all', async () => {
    expect(await refusal(verifier, await sign({ secret: 'another-secret-another-secret-another-1' }))).toMatch(/not valid/);
    expect(await refusal(verifier, `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'x', role: 'admin', exp: now() + 60 })}.`)).toMatch(/not valid/);
    for (const malformed of ['not-a-jwt', 'a.b.c', `${base64url({ alg: 'HS256' })}.!!.x`, '']) expect(await refusal(verifier, malformed)).toMatch(/not valid/);
  });

  it('refuses an asymmetric token when no key set is configured, and an HS256 one when only a key set is', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'RS256' }).setSubject('x').setExpirationTime('1h').sign(privateKey);
    expect(await refusal(verifier, rs256)).toMatch(/not valid/);
    // Nothing listens there: an HS256 token must be refused without asking the provider.
    const keySetOnly = new TokenVerifier({ jwtSecret: null, jwksUrl: await closedPortUrl(), issuer: 'i', audience: 'a' });
    expect(await refusal(keySetOnly, await sign({ iss: 'i', aud: 'a' }))).toMatch(/not valid/);
  });

  it('requires sub, exp and the claims of the role', async () => {
    expect(await refusal(verifier, await sign({ sub: null }))).toMatch(/no sub claim/);
    expect(await refusal(verifier, await sign({ exp: null }))).toMatch(/no exp claim/);
    expect(await refusal(verifier, await sign({ claims: {} }))).toMatch(/role/);
    expect(await refusal(verifier, await sign({ claims: { role: 'superuser' } }))).toMatch(/role/);
    expect(await refusal(verifier, await sign({ claims: { role: 'caseworker' } }))).toMatch(/institutionId/);
    expect(await refusal(verifier, await sign({ claims: { role: 'coordinator' } }))).toMatch(/networkId/);
  });
});

describe('issuer and audience', () => {
  const scoped = new TokenVerifier(SCOPED);

  it('are ignored when not configured', async () => {
    await expect(new TokenVerifier(SECRET_ONLY).verify(await sign({ iss: 'anyone', aud: 'anything' }))).resolves.toMatchObject({ role: 'dinsos' });
  });

  it('must match when configured', async () => {
    await expect(scoped.verify(await sign({ iss: SCOPED.issuer!, aud: SCOPED.audience! }))).resolves.toMatchObject({ role: 'dinsos' });
    expect(await refusal(scoped, await sign({ aud: SCOPED.audience! }))).toMatch(/no iss claim/);
    expect(await refusal(scoped, await sign({ iss: 'https://elsewhere.example.org', aud: SCOPED.audience! }))).toMatch(/another issuer/);
    expect(await refusal(scoped, await sign({ iss: SCOPED.issuer! }))).toMatch(/no aud claim/);
    expect(await refusal(scoped, await sign({ iss: SCOPED.issuer!, aud: 'another-api' }))).toMatch(/another audience/);
  });

  it('are minted into development tokens when configured (the CLI)', async () => {
    const token = await mintToken({ sub: 'dev-dinsos', role: 'dinsos', expiresIn: '1h' }, SECRET, SCOPED);
    await expect(scoped.verify(token)).resolves.toEqual({ userId: 'dev-dinsos', role: 'dinsos' });
    expect(await refusal(scoped, await mintToken({ sub: 'dev-dinsos', role: 'dinsos', expiresIn: '1h' }, SECRET))).toMatch(/no iss claim/);
  });
});

it('reports a key set it cannot fetch as unavailable, not as a bad token', async () => {
  const { privateKey } = await generateKeyPair('ES256');
  const token = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setSubject('x').setExpirationTime('1h').sign(privateKey);
  const verifier = new TokenVerifier({ jwtSecret: null, jwksUrl: await closedPortUrl(), issuer: 'i', audience: 'a' });
  await expect(verifier.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
});
