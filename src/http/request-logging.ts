/**
 * One JSON log stream, every line of a request tagged with its id. The id comes from the client's
 * X-Request-Id when it is well-formed (so a trace spans the proxy and us), else is generated, and goes back
 * as X-Request-Id: a user reporting a problem can quote it. Nest's loggers write into Fastify's logger
 * (LOG_LEVEL applies to both) and pick the request id up from the async context the request runs in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
}

const requestContext = new AsyncLocalStorage<{ readonly reqId: string }>();

export function trackRequestIds(fastify: FastifyInstance): void {
  const enter = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => requestContext.run({ reqId: request.id }, done);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    enter(request, reply, done);
  });
  // The body arrives in the socket's async context, not the request's: enter it again once it is parsed.
  fastify.addHook('preValidation', enter);
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** Nest's start-up chatter (every route mapped, every module loaded) is debugging detail. */
const NEST_INTERNALS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's Logger, written as Fastify (pino) log lines: `{ context, reqId?, stack? }` and the message. */
export class NestLogBridge implements LoggerService {
  constructor(private readonly logger: FastifyBaseLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write(NEST_INTERNALS.has(String(params.at(-1))) ? 'debug' : 'info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the logger's context last and, for errors, a stack trace before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const context = params.length > 0 && typeof params.at(-1) === 'string' ? params.at(-1) : undefined;
    const stack = level === 'error' && params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
    const reqId = requestContext.getStore()?.reqId;
    this.logger[level]({ context, ...(reqId ? { reqId } : {}), ...(stack ? { stack } : {}) }, String(message));
  }
}
