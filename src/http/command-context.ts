/**
 * Turns a mutating request into the CommandContext the command path records in event metadata:
 * the actor, the command id (from `Idempotency-Key`, scoped to the user so two users' keys never collide),
 * the `If-Match` revision, correlation ids and the time the request arrived.
 */
import { Inject, Injectable, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import type { CommandContext } from '../core/command-handling.js';
import { requestHash } from '../core/event-envelope.js';
import { derivedId, newId } from '../core/ids.js';
import { documentIdParam, validId } from './id-param.js';
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

/**
 * Builds the context of every mutating request once the AuthGuard has verified the actor, and echoes its
 * Idempotency-Key; a malformed header is refused (400). A guard, registered after the AuthGuard, rather than an
 * interceptor: it runs at the same point (before the route's parameters are read), and a route with no
 * interceptor at all skips the Observables Nest otherwise builds around every request.
 */
@Injectable()
export class CommandContextGuard implements CanActivate {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<CommandRequest>();
    if (request.method === 'GET' || request.method === 'HEAD' || !request.actor) return true;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    // Since the request arrived: the AuthGuard read the route's objects for it, and the command may use that read.
    const arrivedAt = performance.now() - reply.elapsedTime;
    request.commandContext = commandContextOf(request, request.actor, this.clock.now(), arrivedAt);
    const key = header(request, 'idempotency-key');
    if (key !== undefined) reply.header('idempotency-key', key);
    return true;
  }
}

function commandContextOfRequest(request: CommandRequest): CommandContext {
  if (!request.commandContext) throw new Error('No command context: is CommandContextGuard registered?');
  return request.commandContext;
}

/** The command context of this request (see CommandContextGuard). */
export const Ctx = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext =>
  commandContextOfRequest(context.switchToHttp().getRequest<CommandRequest>()));

/** A command route's ids, each by the name the command gives it: the route parameter and what it names (`['rid', 'referral']`). */
export type RouteIds = Readonly<Record<string, readonly [param: string, name: string]>>;

/** What `@CommandOn` yields: the route's ids under their command names, and the request's command context. */
export interface CommandOn<Ids extends RouteIds> {
  readonly ids: { readonly [Name in keyof Ids]: string };
  readonly context: CommandContext;
}

const commandOn = createParamDecorator((ids: RouteIds, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<CommandRequest>();
  const params = request.params as Readonly<Record<string, string>>;
  return {
    ids: Object.fromEntries(Object.entries(ids).map(([key, [param, name]]) => [key, validId(params[param] ?? '', name)])),
    context: commandContextOfRequest(request),
  };
});

/**
 * The route's ids (an id that cannot be one is not found, as with `IdParam`) and the command context, in one
 * parameter: `@CommandOn({ caseId: ['id', 'case'] }) { ids, context }: CommandOn<…>`.
 */
export function CommandOn(ids: RouteIds): ParameterDecorator {
  const bind = commandOn(ids);
  const documents = Object.values(ids).map(([param, name]) => documentIdParam(param, name));
  return (target, key, index) => {
    bind(target, key, index);
    for (const document of documents) document(target, key, index);
  };
}
