/** The user's command map: invitations, sign-in codes, sign-in and sign-out, revocation, all in the user's own stream. */
import { Injectable } from '@nestjs/common';
import { loadInstitution, loadNetwork } from '../../cases/commands/case-facts.js';
import { CommandHandling } from '../../core/command-handling.js';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import { userDecider, type GrantFacts, type UserCommand } from '../user.decider.js';
import { userStreamId, type UserEvent } from '../user.events.js';
import type { UserState } from '../user.state.js';

export type UserInputs = CommandInputs<UserCommand, { InviteUser: 'facts' }>;

export class ChangeUserAccess extends MapCommand<UserInputs, UserCommand, UserEvent, UserState> {
  protected readonly map = UserCommands;
}

@Injectable()
export class UserCommands implements CommandMap<UserInputs, UserCommand, UserEvent, UserState> {
  readonly decider = userDecider;
  readonly id = ({ userId }: { readonly userId: string }) => userId;
  readonly streamId = userStreamId;
  readonly on: CommandMap<UserInputs, UserCommand, UserEvent, UserState>['on'] = {
    InviteUser: { command: async (input, stamp) => ({ ...input, ...stamp, facts: await this.grantFacts(input.institutionId, input.networkId) }) },
    IssueSignInCode: stamped,
    SignInWithCode: stamped,
    SignInWithProvider: stamped,
    SignOut: stamped,
    RevokeAccess: stamped,
  };

  constructor(private readonly commands: CommandHandling) {}

  /** Whether the grant names an institution and a network the directory knows. */
  private async grantFacts(institutionId: string | null, networkId: string | null): Promise<GrantFacts> {
    const [institution, network] = await Promise.all([
      institutionId === null ? null : loadInstitution(this.commands, institutionId),
      networkId === null ? null : loadNetwork(this.commands, networkId),
    ]);
    return { institutionRegistered: institution !== null && institution.status !== 'unregistered', networkRegistered: network?.status === 'registered' };
  }
}
