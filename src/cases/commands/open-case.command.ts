import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../http/command-response.js';
import { caseDecider, type CaseCommand } from '../case.decider.js';
import { caseStreamId } from '../case.events.js';
import { loadInstitution, loadNetwork } from './case-facts.js';

export type OpenCaseInput = Omit<Extract<CaseCommand, { type: 'OpenCase' }>, 'type' | 'actor' | 'at' | 'network' | 'owner'>;

export class OpenCase extends Command<CommandResult> {
  constructor(readonly input: OpenCaseInput, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(OpenCase)
export class OpenCaseHandler implements ICommandHandler<OpenCase> {
  constructor(private readonly commands: CommandHandling) {}

  async execute({ input, context }: OpenCase): Promise<CommandResult> {
    const outcome = await this.commands.run(caseDecider, caseStreamId(input.caseId), async () => {
      const [network, owner] = await Promise.all([loadNetwork(this.commands, input.networkId), loadInstitution(this.commands, input.ownerInstitutionId)]);
      return { type: 'OpenCase' as const, ...input, actor: context.actor, at: context.occurredAt, network, owner };
    }, context);
    return commandResult(input.caseId, outcome);
  }
}
