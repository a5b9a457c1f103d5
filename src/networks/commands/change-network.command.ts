import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { DistributiveOmit } from '../../core/decider.js';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { institutionDecider } from '../../institutions/institution.decider.js';
import { institutionStreamId } from '../../institutions/institution.events.js';
import { networkDecider, type NetworkCommand } from '../network.decider.js';
import { networkStreamId } from '../network.events.js';

export type NetworkChange = DistributiveOmit<NetworkCommand, 'actor' | 'at' | 'institution'>;

/** Registering a WKSBM and managing its membership; a new member is checked against its own stream. */
export class ChangeNetwork extends Command<CommandResult> {
  constructor(readonly change: NetworkChange, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeNetwork)
export class ChangeNetworkHandler implements ICommandHandler<ChangeNetwork> {
  constructor(private readonly commands: CommandHandling) {}

  async execute({ change, context }: ChangeNetwork): Promise<CommandResult> {
    const outcome = await this.commands.run(networkDecider, networkStreamId(change.networkId), async () => {
      const base = { ...change, actor: context.actor, at: context.occurredAt };
      if (change.type !== 'AddMember') return base as NetworkCommand;
      const { state: institution } = await this.commands.load(institutionDecider, institutionStreamId(change.institutionId));
      return { ...base, type: 'AddMember' as const, institutionId: change.institutionId, institution };
    }, context);
    return commandResult(change.networkId, outcome);
  }
}
