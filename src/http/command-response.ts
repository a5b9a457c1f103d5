/**
 * What every command route answers: `{ id, revision, position }` plus the ids it created. A route returns the
 * command's result; `answerCommands` (a Fastify hook, on the routes `ApiCommand` marks) sets `ETag` and
 * `idempotent-replayed` from it and shapes the body. A hook rather than a Nest interceptor: a route with no
 * interceptor at all skips the Observables Nest otherwise builds around every request.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CommandResult } from '../core/command-result.js';

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

/** The Fastify route config `ApiCommand` gives a command route (with @nestjs/platform-fastify's `RouteConfig`). */
export const COMMAND_ROUTE = { commandRoute: true } as const;

/** On the routes marked COMMAND_ROUTE, answers a CommandResult (or CommandReply) with its headers and body; anything else (a problem) passes unchanged. */
export function answerCommands(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    if ((request.routeOptions.config as Partial<typeof COMMAND_ROUTE>).commandRoute !== true) {
      done(null, payload);
      return;
    }
    if (payload instanceof CommandReply) done(null, { ...respond(reply, payload.result), ...(payload.body as object) });
    else done(null, isCommandResult(payload) ? respond(reply, payload) : payload);
  });
}
