/** What every command route answers: `{ id, revision, position }` plus the ids it created. */
import type { FastifyReply } from 'fastify';
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
export function respond(reply: FastifyReply, result: CommandResult): CommandResponse {
  const revision = result.revision === null ? '-1' : result.revision.toString();
  reply.header('etag', `"${revision}"`);
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return { id: result.id, revision, position: result.position === null ? '0' : result.position.toString(), ...result.created };
}
