/**
 * What every response and every writer goes through before a route runs: security headers (a CSP that
 * allows nothing on the API, the Swagger UI's needs on /docs, same-origin scripts and styles only on the console), CORS only for
 * the origins configured, and a per-writer limit on POST/DELETE keyed by the verified token's (or console session's) subject (by
 * IP without a valid token, so a forged token cannot use up someone else's allowance). The counts are shared by the replicas
 * through the read store (shared-rate-limit.ts).
 */
import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { KeySetUnavailableError } from '../auth/jwks.js';
import { bearerToken, type TokenVerifier } from '../auth/token.js';
import type { ReadStore } from '../read-store/read-store.port.js';
import { SESSION_COOKIE, type Sessions } from '../users/sessions.js';
import { sharedRateLimitStore } from './shared-rate-limit.js';

const API_CSP = { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } };
/** helmet's defaults (same-origin scripts, inline styles, data: images) suit the Swagger UI; plain-HTTP localhost must still load. */
const DOCS_CSP = { directives: { upgradeInsecureRequests: null } };
/** The console: its own scripts, styles and API only; no inline script or style, no frames, no plugins. */
const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"], connectSrc: ["'self'"],
    objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
  },
};

/**
 * `withConsole`: every path outside /api and /docs is the console's page. Each of the three sets of headers is
 * one helmet middleware made once (@fastify/helmet's `reply.helmet(options)` builds a new one per request).
 */
export function addSecurityHeaders(fastify: FastifyInstance, withConsole: boolean): void {
  const headers = (contentSecurityPolicy: typeof API_CSP | typeof DOCS_CSP | typeof CONSOLE_CSP) => helmet({ contentSecurityPolicy, frameguard: { action: 'deny' } });
  const api = headers(API_CSP);
  const docs = headers(DOCS_CSP);
  const page = headers(CONSOLE_CSP);
  fastify.addHook('onRequest', (request, reply, done) => {
    const apply = /^\/docs([/?]|$)/.test(request.url) ? docs : withConsole && !/^\/api([/?]|$)/.test(request.url) ? page : api;
    apply(request.raw, reply.raw, (error) => done(error instanceof Error ? error : undefined));
  });
}

/** Closed unless origins are listed: then those origins may call with a bearer token (no cookies). */
export function allowOrigins(app: NestFastifyApplication, origins: readonly string[]): void {
  if (origins.length === 0) return;
  app.enableCors({
    origin: [...origins],
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-min-position', 'x-request-id'],
    exposedHeaders: ['etag', 'retry-after', 'idempotent-replayed', 'x-request-id', 'www-authenticate', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
}

export class TooManyRequestsError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many writes; retry in ${retryAfterSeconds} s`);
    this.name = 'TooManyRequestsError';
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function writerKey(request: FastifyRequest, tokens: TokenVerifier, sessions: Sessions): Promise<string> {
  const token = bearerToken(request.headers.authorization);
  const cookie = request.cookies[SESSION_COOKIE];
  if (token === null && cookie !== undefined) {
    const userId = await sessions.userIdOf(cookie);
    if (userId !== null) return `sub:${userId}`;
  }
  if (token !== null) {
    try {
      return `sub:${(await tokens.verifyFor(request, token)).actor.userId}`;
    } catch (error) {
      // Keys we cannot fetch now would fail the route too: answer 503 once rather than wait twice.
      if (error instanceof KeySetUnavailableError) throw error;
    }
  }
  return `ip:${request.ip}`;
}

/** At most `perMinute` writes per writer in each minute, across replicas (0: no limit); reads are not limited. */
export async function limitWrites(fastify: FastifyInstance, perMinute: number, tokens: TokenVerifier, sessions: Sessions, views: ReadStore): Promise<void> {
  if (perMinute === 0) return;
  await fastify.register(rateLimit, {
    global: false,
    store: sharedRateLimitStore(views),
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => writerKey(request, tokens, sessions),
    errorResponseBuilder: (_request, context) => new TooManyRequestsError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  const limit = fastify.rateLimit();
  fastify.addHook('onRequest', async (request, reply) => {
    if (WRITES.has(request.method)) await limit.call(fastify, request, reply);
  });
}
