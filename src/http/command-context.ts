/**
 * Turns a mutating request into the CommandContext the command path records in event metadata:
 * the actor, the command id (from `Idempotency-Key`, scoped to the user so two users' keys never collide),
 * the `If-Match` revision, correlation ids and the time the request arrived.
 */
import {
  Inject, Injectable, createParamDecorator, type CallHandler, type ExecutionContext, type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import type { CommandContext } from '../core/command-handling.js';
import { requestHash } from '../core/event-envelope.js';
import { derivedId, newId } from '../core/ids.js';
import { RequestValidationError } from './problem-details.js';

type CommandRequest = FastifyRequest & { actor?: Actor; commandContext?: CommandContext };

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const IF_MATCH = /^(?:W\/)?"(\d{1,20})"$/;
const CORRELATION_ID = /^[\w.:-]{1,128}$/;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function invalidHeader(name: string, message: string): RequestValidationError {
  return new RequestValidationError(400, `Invalid ${name} header: ${message}`, [{ field: name, message }]);
}

export function commandContextOf(request: FastifyRequest, actor: Actor, now: Date, arrivedAt?: number): CommandContext {
  const key = header(request, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw invalidHeader('Idempotency-Key', '1 to 200 visible ASCII characters');
  const ifMatch = header(request, 'if-match');
  const revision = ifMatch === undefined ? null : IF_MATCH.exec(ifMatch)?.[1];
  if (revision === undefined) throw invalidHeader('If-Match', 'expected a quoted revision such as "3"');
  const correlation = header(request, 'x-correlation-id');
  if (correlation !== undefined && !CORRELATION_ID.test(correlation)) throw invalidHeader('X-Correlation-Id', 'letters, digits, . _ : - (at most 128)');
  const commandId = key === undefined ? newId() : derivedId('command', actor.userId, key);
  const path = request.url.split('?')[0];
  return {
    commandId,
    requestHash: requestHash({ method: request.method, path, body: request.body ?? null, user: actor.userId }),
    actor,
    occurredAt: now.toISOString(),
    correlationId: correlation ?? commandId,
    causationId: commandId,
    expectedRevision: revision === null ? null : BigInt(revision),
    ...(arrivedAt === undefined ? {} : { freshSince: arrivedAt }),
  };
}

/** Builds the context of every mutating request once the guard has verified the actor. */
@Injectable()
export class CommandContextInterceptor implements NestInterceptor {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<CommandRequest>();
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.actor) {
      // Since the request arrived: the guard read the route's objects for it, and the command may use that read.
      const arrivedAt = performance.now() - context.switchToHttp().getResponse<FastifyReply>().elapsedTime;
      request.commandContext = commandContextOf(request, request.actor, this.clock.now(), arrivedAt);
      if (request.headers['idempotency-key'] !== undefined) {
        context.switchToHttp().getResponse<FastifyReply>().header('idempotency-key', header(request, 'idempotency-key'));
      }
    }
    return next.handle();
  }
}

/** The command context of this request (see CommandContextInterceptor). */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const commandContext = context.switchToHttp().getRequest<CommandRequest>().commandContext;
  if (!commandContext) throw new Error('No command context: is CommandContextInterceptor registered?');
  return commandContext;
});
