/**
 * Bearer tokens (DESIGN §9): HS256 JWTs signed with AUTH_JWT_SECRET. Claims are validated as strictly as
 * request bodies: an unknown role or a caseworker without an institution is not a token we accept.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { USER_ROLES, type Actor, type UserRole } from '../core/actor.js';

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
  })
  .refine((claims) => claims.role !== 'caseworker' || claims.institutionId !== undefined, { message: 'a caseworker token needs institutionId', path: ['institutionId'] })
  .refine((claims) => claims.role !== 'coordinator' || claims.networkId !== undefined, { message: 'a coordinator token needs networkId', path: ['networkId'] });

const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_SECONDS = 30;

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function verifyToken(token: string, secret: string): Promise<Actor> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keyOf(secret), { algorithms: [ALGORITHM], clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp', 'sub'] }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('The token has expired');
    if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError('The token is not valid');
    throw error;
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError(`The token's claims are not valid: ${claims.error.issues.map((issue) => issue.path.join('.') || issue.message).join(', ')}`);
  const { sub, role, institutionId, networkId } = claims.data;
  return { userId: sub, role, ...(institutionId ? { institutionId } : {}), ...(networkId ? { networkId } : {}) };
}

export interface TokenRequest {
  readonly sub: string;
  readonly role: UserRole;
  readonly institutionId?: string;
  readonly networkId?: string;
  /** e.g. '8h', '30m' (jose's time span syntax). */
  readonly expiresIn: string;
}

export async function mintToken(request: TokenRequest, secret: string): Promise<string> {
  const { sub, role, institutionId, networkId, expiresIn } = request;
  return new SignJWT({ role, ...(institutionId ? { institutionId } : {}), ...(networkId ? { networkId } : {}) })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(keyOf(secret));
}
