import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { loadInstitution, loadNetwork } from '../../cases/commands/case-facts.js';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import type { DistributiveOmit } from '../../core/decider.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { userDecider, type GrantFacts, type UserCommand } from '../user.decider.js';
import { userStreamId } from '../user.events.js';

export type UserAccessChange = DistributiveOmit<UserCommand, 'actor' | 'at' | 'facts'>;

/** Invitations, sign-in codes, sign-in and sign-out, revocation: everything in the user's own stream. */
export class ChangeUserAccess extends Command<CommandResult> {
  constructor(readonly change: UserAccessChange, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeUserAccess)
export class ChangeUserAccessHandler implements ICommandHandler<ChangeUserAccess> {
  constructor(private readonly commands: CommandHandling) {}

  async execute({ change, context }: ChangeUserAccess): Promise<CommandResult> {
    const facts = change.type === 'InviteUser' ? await this.grantFacts(change.institutionId, change.networkId) : undefined;
    const command = { ...change, actor: context.actor, at: context.occurredAt, ...(facts ? { facts } : {}) } as UserCommand;
    const outcome = await this.commands.run(userDecider, userStreamId(change.userId), () => command, context);
    return commandResult(change.userId, outcome);
  }

  private async grantFacts(institutionId: string | null, networkId: string | null): Promise<GrantFacts> {
    const [institution, network] = await Promise.all([
      institutionId === null ? null : loadInstitution(this.commands, institutionId),
      networkId === null ? null : loadNetwork(this.commands, networkId),
    ]);
    return { institutionRegistered: institution !== null && institution.status !== 'unregistered', networkRegistered: network?.status === 'registered' };
  }
}
