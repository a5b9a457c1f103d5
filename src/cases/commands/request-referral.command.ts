import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import type { CaseCommand } from '../case.decider.js';
import { CaseCommandPath } from './case-command-path.js';
import { targetFacts } from './case-facts.js';

export type RequestReferralInput = Omit<Extract<CaseCommand, { type: 'RequestReferral' }>, 'type' | 'actor' | 'at' | 'target' | 'slaHours'>;

export class RequestReferral extends Command<CommandResult> {
  constructor(readonly input: RequestReferralInput, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(RequestReferral)
export class RequestReferralHandler implements ICommandHandler<RequestReferral> {
  constructor(
    private readonly commands: CommandHandling,
    private readonly cases: CaseCommandPath,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ input, context }: RequestReferral): Promise<CommandResult> {
    const outcome = await this.cases.run(input.caseId, async (state) => ({
      type: 'RequestReferral' as const,
      ...input,
      actor: context.actor,
      at: context.occurredAt,
      slaHours: this.config.slaHours,
      target: await targetFacts(this.commands, state, input.toInstitutionId),
    }), context);
    return commandResult(input.caseId, outcome, { referralId: input.referralId });
  }
}
