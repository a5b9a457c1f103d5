/**
 * Every case command that needs nothing beyond the case stream itself: consents, notes, needs, the
 * referral steps, closing and reopening. The route picks the command; this runs the generic path.
 */
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DistributiveOmit } from '../../core/decider.js';
import type { CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import type { CaseCommand } from '../case.decider.js';
import { CaseCommandPath } from './case-command-path.js';

type WithFacts = 'OpenCase' | 'RequestReferral' | 'EscalateCase';
export type CaseChange = DistributiveOmit<Exclude<CaseCommand, { type: WithFacts }>, 'actor' | 'at'>;

export class ChangeCase extends Command<CommandResult> {
  constructor(readonly change: CaseChange, readonly context: CommandContext) {
    super();
  }
}

/** The ids a change creates inside the case, echoed in the response. */
function createdIds(change: CaseChange): Record<string, string> {
  if (change.type === 'RecordConsent') return { consentId: change.consentId };
  if (change.type === 'AddNote') return { noteId: change.noteId };
  return 'referralId' in change ? { referralId: change.referralId } : {};
}

@CommandHandler(ChangeCase)
export class ChangeCaseHandler implements ICommandHandler<ChangeCase> {
  constructor(private readonly cases: CaseCommandPath) {}

  async execute({ change, context }: ChangeCase): Promise<CommandResult> {
    const command = { ...change, actor: context.actor, at: context.occurredAt } as CaseCommand;
    const outcome = await this.cases.run(change.caseId, () => command, context);
    return commandResult(change.caseId, outcome, createdIds(change));
  }
}
