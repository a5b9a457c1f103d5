/** What a command handler answers, whatever carried the command (HTTP shapes it in src/http/command-response.ts). */
import type { CommandOutcome } from './command-handling.js';

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
