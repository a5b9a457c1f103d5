/**
 * Console sessions. After sign-in the browser holds one HttpOnly, SameSite=Strict cookie: a short JWT naming
 * the user and the session, signed with a key derived from MASTER_KEY (so it works beside any token setup).
 * Every request re-checks the user's stream: a signed-out session, an expired one, or a revoked person is
 * refused at once, and the role is the one the stream grants now, not the one at sign-in. Writes also need
 * the `X-CSRF-Token` header, an HMAC of the session id that only the console's own script can read (from
 * `GET /auth/session`): another site can make the browser send the cookie, never the header.
 */
import { Inject, Injectable, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { actorOf, type Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { ForbiddenError, UnauthenticatedError } from '../core/domain-error.js';
import { requestHash } from '../core/event-envelope.js';
import { newId } from '../core/ids.js';
import { isLiveSession, userDecider } from './user.decider.js';
import { userStreamId } from './user.events.js';
import type { ExistingUser } from './user.state.js';

export const SESSION_COOKIE = 'rujukan_session';
export const CSRF_HEADER = 'x-csrf-token';

const ALGORITHM = 'HS256';
const AUDIENCE = 'rujukan-console';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const claimsSchema = z.object({ sub: z.string().min(1), sid: z.string().min(1), exp: z.number() });

export interface SessionActor {
  readonly actor: Actor;
  readonly sessionId: string;
  readonly expiresAt: Date;
  readonly user: ExistingUser;
}

/** The actor a user's grant makes of them (the user decider grants a role only with what it needs: grantProblem). */
export function userActor(user: ExistingUser): Actor {
  const actor = actorOf(user);
  if ('missing' in actor) throw new ForbiddenError(`Your access as ${user.role} names no ${actor.missing}: ask an admin to invite you again`);
  return actor;
}

/**
 * The context of a sign-in command, by code or at the provider. Never an Idempotency-Key: a replayed sign-in
 * would hand out a second session for one code or one provider login.
 */
export function signInContext(actor: Actor, at: Date): CommandContext {
  const commandId = newId();
  return {
    commandId,
    requestHash: requestHash({ signIn: actor.userId }),
    actor,
    occurredAt: at.toISOString(),
    correlationId: commandId,
    causationId: commandId,
    expectedRevision: null,
  };
}

@Injectable()
export class Sessions {
  private readonly key: Uint8Array;
  readonly secureCookies: boolean;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly commands: CommandHandling,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.key = new Uint8Array(hkdfSync('sha256', config.masterKey, Buffer.alloc(0), 'rujukan/console-session/v1', 32));
    this.secureCookies = config.publicUrl.startsWith('https:');
  }

  /** When a session started now ends. */
  expiry(): Date {
    return new Date(this.clock.now().getTime() + this.config.sessionHours * 3_600_000);
  }

  /** The cookie's value for a session the user's stream has just recorded. */
  cookie(userId: string, sessionId: string, expiresAt: Date): Promise<string> {
    return new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(userId)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(this.clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }

  async setCookie(reply: FastifyReply, userId: string, sessionId: string, expiresAt: Date): Promise<void> {
    reply.setCookie(SESSION_COOKIE, await this.cookie(userId, sessionId, expiresAt), { ...this.cookieAttributes(), expires: expiresAt });
  }

  clearCookie(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, this.cookieAttributes());
  }

  private cookieAttributes() {
    return { httpOnly: true, sameSite: 'strict' as const, secure: this.secureCookies, path: '/' };
  }

  /** The value the console sends in X-CSRF-Token with every write of this session. */
  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.key).update(`csrf:${sessionId}`).digest('base64url');
  }

  /** The user a well-signed cookie names (for per-user rate limits before the guard runs), or null. */
  async userIdOf(cookie: string): Promise<string | null> {
    try {
      const { payload } = await jwtVerify(cookie, this.key, { algorithms: [ALGORITHM], audience: AUDIENCE, currentDate: this.clock.now() });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch {
      return null;
    }
  }

  /** The person behind a session cookie, or UnauthenticatedError (401); a write without the CSRF token is forbidden (403). */
  async authenticate(cookie: string, method: string, csrfHeader: string | undefined): Promise<SessionActor> {
    const now = this.clock.now();
    let claims: z.infer<typeof claimsSchema>;
    try {
      const { payload } = await jwtVerify(cookie, this.key, { algorithms: [ALGORITHM], audience: AUDIENCE, currentDate: now });
      claims = claimsSchema.parse(payload);
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Your session has expired: sign in again');
      throw new UnauthenticatedError('Your session is not valid: sign in again');
    }
    if (!SAFE_METHODS.has(method) && !this.csrfMatches(claims.sid, csrfHeader)) {
      throw new ForbiddenError('Send the session\'s X-CSRF-Token header with every change (GET /api/v1/auth/session gives it)', 'X-CSRF-Token');
    }
    const { state } = await this.commands.load(userDecider, userStreamId(claims.sub));
    if (state.status === 'revoked') throw new UnauthenticatedError('Your access to Rujukan was revoked');
    if (!isLiveSession(state, claims.sid, now.toISOString()) || state.status !== 'active') {
      throw new UnauthenticatedError('Your session has ended: sign in again');
    }
    return { actor: userActor(state), sessionId: claims.sid, expiresAt: new Date(claims.exp * 1000), user: state };
  }

  /** Whether a session found earlier is still live: a long-lived stream asks this from time to time. */
  async isLive(session: SessionActor): Promise<boolean> {
    const { state } = await this.commands.load(userDecider, userStreamId(session.actor.userId));
    return isLiveSession(state, session.sessionId, this.clock.now().toISOString());
  }

  private csrfMatches(sessionId: string, header: string | undefined): boolean {
    if (header === undefined) return false;
    const expected = Buffer.from(this.csrfToken(sessionId));
    const given = Buffer.from(header);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

type SessionRequest = FastifyRequest & { consoleSession?: SessionActor };

/** Remembers the session the guard found, for the routes that manage it. */
export function attachSession(request: FastifyRequest, session: SessionActor): void {
  (request as SessionRequest).consoleSession = session;
}

/** The console session of this request, or null for a bearer token. */
export const CurrentSession = createParamDecorator((_data: unknown, context: ExecutionContext): SessionActor | null =>
  context.switchToHttp().getRequest<SessionRequest>().consoleSession ?? null);
