import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import type { CaseCommand } from '../case.decider.js';
import { CaseCommandPath } from './case-command-path.js';
import { targetFacts } from './case-facts.js';

export type EscalateCaseInput = Omit<Extract<CaseCommand, { type: 'EscalateCase' }>, 'type' | 'actor' | 'at' | 'target'>;

export class EscalateCase extends Command<CommandResult> {
  constructor(readonly input: EscalateCaseInput, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(EscalateCase)
export class EscalateCaseHandler implements ICommandHandler<EscalateCase> {
  constructor(private readonly commands: CommandHandling, private readonly cases: CaseCommandPath) {}

  async execute({ input, context }: EscalateCase): Promise<CommandResult> {
    const outcome = await this.cases.run(input.caseId, async (state) => ({
      type: 'EscalateCase' as const,
      ...input,
      actor: context.actor,
      at: context.occurredAt,
      target: await targetFacts(this.commands, state, input.toInstitutionId),
    }), context);
    return commandResult(input.caseId, outcome);
  }
}
