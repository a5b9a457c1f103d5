import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DistributiveOmit } from '../../core/decider.js';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { institutionDecider, type InstitutionCommand } from '../institution.decider.js';
import { institutionStreamId } from '../institution.events.js';

export type InstitutionChange = DistributiveOmit<InstitutionCommand, 'actor' | 'at'>;

/** Registering and maintaining an institution: everything it needs is in its own stream. */
export class ChangeInstitution extends Command<CommandResult> {
  constructor(readonly change: InstitutionChange, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeInstitution)
export class ChangeInstitutionHandler implements ICommandHandler<ChangeInstitution> {
  constructor(private readonly commands: CommandHandling) {}

  async execute({ change, context }: ChangeInstitution): Promise<CommandResult> {
    const command = { ...change, actor: context.actor, at: context.occurredAt } as InstitutionCommand;
    const outcome = await this.commands.run(institutionDecider, institutionStreamId(change.institutionId), () => command, context);
    return commandResult(change.institutionId, outcome);
  }
}
