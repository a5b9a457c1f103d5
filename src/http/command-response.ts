/**
 * What every command route answers: `{ id, revision, position }` plus the ids it created. CommandInterceptor
 * (applied by `ApiCommand`) builds the request's command context (command-context.ts), and once the route has
 * returned the command's result, sets `ETag` and `idempotent-replayed` from it and shapes the body. One
 * interceptor for both: each interceptor is a few Observables more on every request.
 */
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import { z } from 'zod';
import { CLOCK, type Clock } from '../core/clock.js';
import type { CommandResult } from '../core/command-result.js';
import { attachCommandContext } from './command-context.js';

export const commandResponseSchema = z.object({
  id: z.string(),
  revision: z.string().describe('Stream revision after the command (decimal string, 64-bit)'),
  position: z.string().describe('Global log position of the last event (decimal string, 64-bit)'),
  referralId: z.string().optional(),
  consentId: z.string().optional(),
  noteId: z.string().optional(),
}).meta({ id: 'CommandResponse', description: 'What a command did: the case, institution or network it concerns (`id`), the ids of what it created in it, and how far the stream and the log got.' });
export type CommandResponse = z.infer<typeof commandResponseSchema>;

/** Sets ETag (the revision) and marks idempotent replays, then shapes the body. */
function respond(reply: FastifyReply, result: CommandResult): CommandResponse {
  const revision = result.revision === null ? '-1' : result.revision.toString();
  reply.header('etag', `"${revision}"`);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return { id: result.id, revision, position: result.position === null ? '0' : result.position.toString(), ...result.created };
}

/** A command's result with more for the body (a webhook's secret, an invitation's link). */
export class CommandReply<Body extends object> {
  constructor(readonly result: CommandResult, readonly body: Body) {}
}

function isCommandResult(value: unknown): value is CommandResult {
  return typeof value === 'object' && value !== null && 'replayed' in value && 'created' in value && 'revision' in value;
}

/** Builds the command context, then answers the route's CommandResult (or CommandReply) with its headers and body; anything else passes unchanged. */
@Injectable()
export class CommandInterceptor implements NestInterceptor {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    attachCommandContext(context, this.clock);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(map((value: unknown) => {
      if (value instanceof CommandReply) return { ...respond(reply, value.result), ...value.body };
      return isCommandResult(value) ? respond(reply, value) : value;
    }));
  }
}
