/**
 * One JSON log stream, every line of a request tagged with its id. The id comes from the client's
 * X-Request-Id when it is well-formed (so a trace spans the proxy and us), else is generated, and goes back
 * as X-Request-Id: a user reporting a problem can quote it. Nest's loggers write into Fastify's logger
 * (LOG_LEVEL applies to both); what is logged while serving a request goes through `logFor(request)`, Fastify's
 * logger of that request, which tags the line with its id. (An AsyncLocalStorage carrying the id to Nest's
 * loggers would do it implicitly, but on Node 20 it puts async hooks on every promise of every request: about
 * a tenth of the CPU of a command.)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
}

export function trackRequestIds(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
/** Nest's start-up chatter (every route mapped, every module loaded) is debugging detail. */
const NEST_INTERNALS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's Logger, written as Fastify (pino) log lines: `{ context, stack? }` and the message. */
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

  /** Nest passes the logger's context last and, for errors (and warnings that give one), stack frames before it. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const last = params.at(-1);
    const context = typeof last === 'string' ? last : undefined;
    const stack = (level === 'error' || level === 'warn') && params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
    writeLine(this.logger, level, context, String(message), stack);
  }
}

function writeLine(logger: FastifyBaseLogger, level: Level, context: string | undefined, message: string, stack?: string): void {
  logger[level]({ context, ...(stack ? { stack } : {}) }, message);
}

/** Logs as Nest's Logger of `context` would, in lines tagged with the request's id: `logFor(request, 'HTTP').error(summary, frames)`. */
export function logFor(request: FastifyRequest, context: string): { error(message: string, stack?: string): void; warn(message: string): void } {
  return {
    error: (message, stack) => writeLine(request.log, 'error', context, message, stack),
    warn: (message) => writeLine(request.log, 'warn', context, message),
  };
}
