import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { subjectDecider } from '../../privacy/subject.decider.js';
import { subjectStreamId } from '../../privacy/subject.events.js';
import type { CaseCommand } from '../case.decider.js';
import { CaseCommandPath } from './case-command-path.js';
import { loadInstitution, loadNetwork } from './case-facts.js';

export type OpenCaseInput = Omit<Extract<CaseCommand, { type: 'OpenCase' }>, 'type' | 'actor' | 'at' | 'network' | 'owner' | 'subjectErased'>;

export class OpenCase extends Command<CommandResult> {
  constructor(readonly input: OpenCaseInput, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(OpenCase)
export class OpenCaseHandler implements ICommandHandler<OpenCase> {
  constructor(private readonly commands: CommandHandling, private readonly cases: CaseCommandPath) {}

  async execute({ input, context }: OpenCase): Promise<CommandResult> {
    const outcome = await this.cases.run(input.caseId, async () => {
      const [network, owner, subject] = await Promise.all([
        loadNetwork(this.commands, input.networkId),
        loadInstitution(this.commands, input.ownerInstitutionId),
        this.commands.load(subjectDecider, subjectStreamId(input.subjectId)),
      ]);
      return { type: 'OpenCase' as const, ...input, actor: context.actor, at: context.occurredAt, network, owner, subjectErased: subject.state.erasedAt !== null };
    }, context);
    return commandResult(input.caseId, outcome);
  }
}
