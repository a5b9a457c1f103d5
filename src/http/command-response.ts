/** What every command route answers: `{ id, revision, position }` plus the ids it created. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { CommandOutcome } from '../core/command-handling.js';

export interface CommandResult {
  /** The case, institution or network the command was about. */
  readonly id: string;
  readonly revision: bigint | null;
  readonly position: bigint | null;
  readonly replayed: boolean;
  /** Ids of things the command created inside the aggregate (referralId, consentId, noteId). */
  readonly created: Readonly<Record<string, string>>;
}

export function commandResult(id: string, outcome: CommandOutcome<unknown>, created: Readonly<Record<string, string>> = {}): CommandResult {
  return { id, revision: outcome.revision, position: outcome.position, replayed: outcome.replayed, created };
}

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
