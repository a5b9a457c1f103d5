/**
 * Console sign-in at the organisation's OpenID Connect provider (AUTH_ISSUER, found by discovery): the
 * authorization code flow with PKCE (S256), state and nonce; openid-client speaks the protocol and checks the
 * ID token (issuer, audience = our client id, nonce, expiry, and its signature against the provider's keys).
 * Nothing is kept on the server between the two legs: the verifier, state, nonce and the page to return to are
 * encrypted (AES-256-GCM, a key derived from MASTER_KEY) into a ten-minute HttpOnly cookie scoped to the
 * callback, SameSite=Lax so that it comes back with the provider's redirect.
 *
 * The person's grant comes from the same claims the API's bearer tokens carry (`role`, `institutionId`,
 * `networkId`), read from the ID token, or from the userinfo endpoint when the ID token has no `role`; `name`
 * becomes the display name. Their user id is `sub` when it is a valid id, else an id derived from issuer and `sub`.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';
import * as client from 'openid-client';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, type OidcSignInConfig } from '../config/config.js';
import { USER_ROLES } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { derivedId, isValidId } from '../core/ids.js';
import type { UserGrant } from './user.events.js';

export const LOGIN_COOKIE = 'rujukan_oidc';
/** Where the provider sends the browser back, under PUBLIC_URL: the redirect URI to register at the provider. */
export const CALLBACK_PATH = '/api/v1/auth/oidc/callback';
const LOGIN_MINUTES = 10;
/** How long the provider's metadata is trusted before it is discovered again (keys are refreshed on rotation by openid-client). */
const DISCOVERY_MAX_AGE_MS = 3_600_000;
/** Seconds any one request to the provider may take. */
const PROVIDER_TIMEOUT_SECONDS = 5;
const DISPLAY_NAME_MAX = 100;

/** Why a sign-in did not happen, as the console's sign-in page reads it from `?error=`. */
export type OidcFailure =
  | 'not_configured' // no AUTH_OIDC_CLIENT_ID
  | 'login_expired' // no sign-in under way in this browser, or it took more than ten minutes
  | 'invalid_state' // the answer is not the one to this browser's request (forged or replayed)
  | 'access_denied' // the person refused, or the provider would not let them in
  | 'provider_error' // the provider answered with another error (a misconfigured client, an expired code)
  | 'invalid_response' // the provider's answer did not pass the checks (issuer, audience, nonce, signature)
  | 'unavailable' // the provider could not be reached in time
  | 'insufficient_claims' // no known role, or not what the role needs (a caseworker without institutionId)
  | 'revoked' // the person's access to Rujukan was revoked
  | 'failed'; // anything else (logged)

export class OidcSignInError extends Error {
  constructor(readonly reason: OidcFailure, options?: { cause: unknown }) {
    super(`OIDC sign-in failed: ${reason}`, options);
    this.name = 'OidcSignInError';
  }
}

/** Who the provider says signed in, and the grant its claims give them. */
export interface ProviderIdentity {
  readonly userId: string;
  readonly issuer: string;
  readonly grant: UserGrant;
  readonly displayName: string | null;
}

const loginSchema = z.object({ verifier: z.string(), state: z.string(), nonce: z.string(), returnTo: z.string() });
type Login = z.infer<typeof loginSchema>;

const optionalId = z.string().refine(isValidId).nullish().transform((value) => value ?? null);
const grantClaimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(USER_ROLES),
  institutionId: optionalId,
  networkId: optionalId,
  name: z.string().nullish(),
});

/** openid-client's codes for a provider that did not answer in time, or not as a server does. */
const UNREACHABLE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON']);

/**
 * The provider could not be reached: fetch's "fetch failed" (refused, reset, DNS) is a TypeError without a
 * code, a timeout a TimeoutError. Told by name: they come from Node's own realm, where `instanceof` can miss.
 */
function unreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (typeof code === 'string' && UNREACHABLE_CODES.has(code)) || (name === 'TypeError' && code === undefined) || name === 'TimeoutError';
}

function failureOf(error: unknown): OidcFailure {
  if (error instanceof OidcSignInError) return error.reason;
  if (error instanceof client.AuthorizationResponseError) return error.error === 'access_denied' ? 'access_denied' : 'provider_error';
  if (error instanceof client.ResponseBodyError) return 'provider_error';
  if (unreachable(error) || (error instanceof client.ClientError && unreachable(error.cause))) return 'unavailable';
  if (error instanceof client.ClientError) return 'invalid_response';
  return 'failed';
}

/** A path within the console, or `/` for anything else: another origin, a protocol-relative URL, a backslash trick. */
export function consolePath(returnTo: string | undefined, publicUrl: string): string {
  if (!returnTo || !returnTo.startsWith('/') || returnTo.startsWith('//') || /[\\\u0000-\u001f]/.test(returnTo)) return '/';
  const { origin } = new URL(publicUrl);
  const url = new URL(returnTo, origin);
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : '/';
}

@Injectable()
export class OidcSignIn {
  private readonly settings: OidcSignInConfig | null;
  private readonly key: Uint8Array;
  private readonly redirectUri: string;
  private readonly cookiePath: string;
  private readonly secureCookies: boolean;
  private discovered: { readonly configuration: Promise<client.Configuration>; readonly at: number } | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig, @Inject(CLOCK) private readonly clock: Clock) {
    this.settings = config.oidcSignIn;
    this.key = new Uint8Array(hkdfSync('sha256', config.masterKey, Buffer.alloc(0), 'rujukan/oidc-login/v1', 32));
    this.redirectUri = `${config.publicUrl}${CALLBACK_PATH}`;
    this.cookiePath = new URL(this.redirectUri).pathname;
    this.secureCookies = config.publicUrl.startsWith('https:');
  }

  get enabled(): boolean {
    return this.settings !== null;
  }

  /** Where the console's page at `path` is (a path from consolePath). */
  consoleUrl(path: string): string {
    return `${this.config.publicUrl}${path}`;
  }

  /** The sign-in page, saying why a sign-in did not happen. */
  failureUrl(reason: OidcFailure): string {
    return this.consoleUrl(`/sign-in?error=${reason}`);
  }

  /** The first leg: the provider's authorization URL, and the sealed login to keep in the browser until it returns. */
  async start(returnTo: string | undefined): Promise<{ readonly authorizationUrl: string; readonly sealedLogin: string }> {
    const configuration = await this.configuration();
    const login: Login = {
      verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), returnTo: consolePath(returnTo, this.config.publicUrl),
    };
    const authorizationUrl = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: this.settings!.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
    });
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const sealedLogin = await new EncryptJWT(login).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt(now).setExpirationTime(now + LOGIN_MINUTES * 60).encrypt(this.key);
    return { authorizationUrl: authorizationUrl.href, sealedLogin };
  }

  /**
   * The second leg: the provider's answer (the callback's query) checked against the sealed login, the code
   * exchanged with the verifier, the ID token checked, the claims read. OidcSignInError says why not.
   */
  async finish(sealedLogin: string | undefined, callbackQuery: string): Promise<{ readonly identity: ProviderIdentity; readonly returnTo: string }> {
    try {
      const login = await this.open(sealedLogin);
      const answer = new URL(`${this.redirectUri}?${callbackQuery}`);
      if (answer.searchParams.get('state') !== login.state) throw new OidcSignInError('invalid_state');
      const configuration = await this.configuration();
      const tokens = await client.authorizationCodeGrant(configuration, answer, {
        pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce,
      });
      const idToken = tokens.claims()!;
      const claims = idToken['role'] === undefined && configuration.serverMetadata().userinfo_endpoint
        ? { ...(await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub)), ...idToken }
        : idToken;
      return { identity: this.identityOf(claims), returnTo: login.returnTo };
    } catch (error) {
      if (error instanceof OidcSignInError) throw error;
      throw new OidcSignInError(failureOf(error), { cause: error });
    }
  }

  setLoginCookie(reply: FastifyReply, sealedLogin: string): void {
    reply.setCookie(LOGIN_COOKIE, sealedLogin, { ...this.cookieAttributes(), maxAge: LOGIN_MINUTES * 60 });
  }

  clearLoginCookie(reply: FastifyReply): void {
    reply.clearCookie(LOGIN_COOKIE, this.cookieAttributes());
  }

  private cookieAttributes() {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.secureCookies, path: this.cookiePath };
  }

  private async open(sealedLogin: string | undefined): Promise<Login> {
    if (!sealedLogin) throw new OidcSignInError('login_expired');
    try {
      const { payload } = await jwtDecrypt(sealedLogin, this.key, {
        keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'], currentDate: this.clock.now(),
      });
      return loginSchema.parse(payload);
    } catch (error) {
      throw new OidcSignInError('login_expired', { cause: error });
    }
  }

  private identityOf(claims: Record<string, unknown>): ProviderIdentity {
    const parsed = grantClaimsSchema.safeParse(claims);
    if (!parsed.success) throw new OidcSignInError('insufficient_claims');
    const { sub, role, institutionId, networkId, name } = parsed.data;
    const issuer = this.settings!.issuer;
    const displayName = name?.trim().slice(0, DISPLAY_NAME_MAX) || null;
    return { userId: isValidId(sub) ? sub : derivedId('oidc-subject', issuer, sub), issuer, grant: { role, institutionId, networkId }, displayName };
  }

  /** The provider's metadata, discovered on first use and again hourly; a failed discovery is tried again on the next sign-in. */
  private configuration(): Promise<client.Configuration> {
    if (!this.settings) return Promise.reject(new OidcSignInError('not_configured'));
    const now = this.clock.now().getTime();
    if (this.discovered && now - this.discovered.at < DISCOVERY_MAX_AGE_MS) return this.discovered.configuration;
    const { issuer, clientId, clientSecret } = this.settings;
    const configuration = client.discovery(new URL(issuer), clientId, clientSecret ?? undefined, clientAuthentication(clientSecret), {
      timeout: PROVIDER_TIMEOUT_SECONDS,
      // Plain HTTP only to a provider on this host (config.ts allows no other); openid-client marks the option
      // deprecated only to make it stand out.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      execute: [client.enableNonRepudiationChecks, ...(issuer.startsWith('http:') ? [client.allowInsecureRequests] : [])],
    });
    const discovered = {
      configuration: configuration.catch((error: unknown) => {
        if (this.discovered === discovered) this.discovered = null;
        throw new OidcSignInError(failureOf(error), { cause: error });
      }),
      at: now,
    };
    this.discovered = discovered;
    return discovered.configuration;
  }
}

/** A public client sends no secret (PKCE alone); a confidential one its secret, by HTTP Basic unless the provider only takes it in the body. */
function clientAuthentication(secret: string | null): client.ClientAuth {
  if (secret === null) return client.None();
  return (server, metadata, body, headers) => {
    const methods = server.token_endpoint_auth_methods_supported;
    const viaBody = methods !== undefined && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
    (viaBody ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret))(server, metadata, body, headers);
  };
}
