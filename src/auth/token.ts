/**
 * Bearer tokens. Two kinds may be accepted side by side, told apart by the algorithm in the
 * token's header: HS256 tokens signed with AUTH_JWT_SECRET (the CLI mints these) and an OIDC provider's
 * tokens signed with an asymmetric key from AUTH_JWKS_URL. Any other algorithm, `none` included, is refused
 * before a key is looked at, so one kind can never be passed off as the other. AUTH_ISSUER and
 * AUTH_AUDIENCE, when set, must match on either kind. Claims are validated as strictly as request bodies:
 * an unknown role or a caseworker without an institution is not a token we accept, and a claim the role does
 * not carry (an auditor's institution) is left out of the actor.
 */
import type { Provider } from '@nestjs/common';
import { webcrypto } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig, type AuthConfig } from '../config/config.js';
import { USER_ROLES, actorOf, type Actor, type UserRole } from '../core/actor.js';
import { KeySetUnavailableError, remoteKeySet, type KeySetTuning } from './jwks.js';

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

const claimsSchema = z
  .object({
    sub: z.string().min(1).max(128),
    role: z.enum(USER_ROLES),
    institutionId: z.string().min(1).max(64).optional(),
    networkId: z.string().min(1).max(64).optional(),
    exp: z.number(),
  });

const SECRET_ALGORITHM = 'HS256';
const KEY_SET_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Clocks of the token issuer and of this service may disagree by this much (exp, nbf, iat). */
const CLOCK_TOLERANCE_SECONDS = 30;

const CLAIM_FAILURES: Readonly<Record<string, string>> = {
  nbf: 'The token is not valid yet',
  iss: 'The token comes from another issuer',
  aud: 'The token is meant for another audience',
};

/** The API's words for jose's verdict; a key set we cannot fetch stays what it is (503, not 401). */
function refusal(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) return error;
  if (error instanceof joseErrors.JWTExpired) return new InvalidTokenError('The token has expired: get a new one');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new InvalidTokenError(error.reason === 'missing' ? `The token has no ${error.claim} claim` : CLAIM_FAILURES[error.claim] ?? 'The token is not valid');
  }
  if (error instanceof joseErrors.JOSEError) return new InvalidTokenError('The token is not valid');
  return error;
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** How long a verified HS256 token is taken at its word again without checking its signature (never past its exp). */
const VERIFIED_FOR_MS = 60_000;
const VERIFIED_TOKENS = 10_000;

/** A verified token: the actor it speaks for and when it expires (its `exp`, in ms). */
export interface VerifiedToken {
  readonly actor: Actor;
  readonly expiresAt: number;
}

interface Verified extends VerifiedToken {
  readonly until: number;
}

export class TokenVerifier {
  /** The HS256 key, imported once (jose would import raw bytes again on every verification). */
  private readonly secret: Promise<webcrypto.CryptoKey> | null;
  private readonly keySet: JWTVerifyGetKey | null;
  private readonly options: JWTVerifyOptions;
  /**
   * HS256 tokens verified lately, so a client's requests check the signature once: kept until the token
   * expires (with the skew jose allows), at most a minute. The secret cannot change under a running
   * process; a provider's keys can (rotation), so its tokens are checked on every request.
   */
  private readonly verified = new Map<string, Verified>();
  /** Each request's verification: the write limit and the guard both need the actor, and check once. */
  private readonly requests = new WeakMap<object, Promise<VerifiedToken>>();

  constructor(auth: AuthConfig, tuning?: KeySetTuning) {
    this.secret = auth.jwtSecret === null ? null : webcrypto.subtle.importKey('raw', keyOf(auth.jwtSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    this.keySet = auth.jwksUrl === null ? null : remoteKeySet(auth.jwksUrl, tuning);
    this.options = {
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp', 'sub'],
      ...(auth.issuer === null ? {} : { issuer: auth.issuer }),
      ...(auth.audience === null ? {} : { audience: auth.audience }),
    };
  }

  /** The request's bearer token verified (the actor and its expiry), once however often the request asks. */
  verifyFor(request: object, token: string): Promise<VerifiedToken> {
    let verified = this.requests.get(request);
    if (!verified) this.requests.set(request, (verified = this.verifyToken(token)));
    return verified;
  }

  /** The actor a token speaks for; InvalidTokenError (401) or KeySetUnavailableError (503) otherwise. */
  async verify(token: string): Promise<Actor> {
    return (await this.verifyToken(token)).actor;
  }

  private async verifyToken(token: string): Promise<VerifiedToken> {
    const now = Date.now();
    const known = this.verified.get(token);
    if (known && known.until > now) return known;
    this.verified.delete(token);
    const [payload, algorithm] = await this.verifiedPayload(token);
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError(`The token's claims are not valid: ${claims.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')}`);
    const { sub, role, institutionId, networkId, exp } = claims.data;
    const actor = actorOf({ userId: sub, role, institutionId: institutionId ?? null, networkId: networkId ?? null });
    if ('missing' in actor) throw new InvalidTokenError(`The token's claims are not valid: ${actor.missing}`);
    const verified = { actor, expiresAt: exp * 1000 };
    if (algorithm === SECRET_ALGORITHM) {
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { ...verified, until: Math.min(now + VERIFIED_FOR_MS, (exp + CLOCK_TOLERANCE_SECONDS) * 1000) });
    }
    return verified;
  }

  private async verifiedPayload(token: string): Promise<[JWTPayload, string]> {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw new InvalidTokenError('The token is not valid');
    }
    try {
      if (algorithm === SECRET_ALGORITHM && this.secret) {
        return [(await jwtVerify(token, await this.secret, { ...this.options, algorithms: [SECRET_ALGORITHM] })).payload, algorithm];
      }
      if (algorithm !== undefined && KEY_SET_ALGORITHMS.includes(algorithm) && this.keySet) {
        return [(await jwtVerify(token, this.keySet, { ...this.options, algorithms: KEY_SET_ALGORITHMS })).payload, algorithm];
      }
    } catch (error) {
      throw refusal(error);
    }
    throw new InvalidTokenError('The token is not valid');
  }
}

/** One verifier per application: it holds the provider's cached keys. */
export const TOKEN_VERIFIER_PROVIDER: Provider = {
  provide: TokenVerifier,
  useFactory: (config: AppConfig) => new TokenVerifier(config.auth),
  inject: [APP_CONFIG],
};

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  return (header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1] : undefined) ?? null;
}

export interface TokenRequest {
  readonly sub: string;
  readonly role: UserRole;
  readonly institutionId?: string;
  readonly networkId?: string;
  /** e.g. '8h', '30m' (jose's time span syntax). */
  readonly expiresIn: string;
}

/** An HS256 token, with the configured issuer and audience when there are. */
export async function mintToken(request: TokenRequest, secret: string, scope: Partial<Pick<AuthConfig, 'issuer' | 'audience'>> = {}): Promise<string> {
  const { sub, role, institutionId, networkId, expiresIn } = request;
  const token = new SignJWT({ role, ...(institutionId ? { institutionId } : {}), ...(networkId ? { networkId } : {}) })
    .setProtectedHeader({ alg: SECRET_ALGORITHM, typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (scope.issuer) token.setIssuer(scope.issuer);
  if (scope.audience) token.setAudience(scope.audience);
  return token.sign(keyOf(secret));
}
