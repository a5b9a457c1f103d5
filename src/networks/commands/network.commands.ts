/** The network's command map: registering a WKSBM and managing its membership; a new member is checked against its own stream. */
import { Injectable } from '@nestjs/common';
import { CommandHandling } from '../../core/command-handling.js';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInput, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import { loadInstitution } from '../../cases/commands/case-facts.js';
import { networkDecider, type NetworkCommand } from '../network.decider.js';
import { networkStreamId, type NetworkEvent } from '../network.events.js';
import type { NetworkState } from '../network.state.js';

export type NetworkInputs = CommandInputs<NetworkCommand, { AddMember: 'institution' }>;
export type NetworkInput = CommandInput<NetworkInputs>;

export class ChangeNetwork extends MapCommand<NetworkInputs, NetworkCommand, NetworkEvent, NetworkState> {
  protected readonly map = NetworkCommands;
}

@Injectable()
export class NetworkCommands implements CommandMap<NetworkInputs, NetworkCommand, NetworkEvent, NetworkState> {
  readonly decider = networkDecider;
  readonly id = ({ networkId }: { readonly networkId: string }) => networkId;
  readonly streamId = networkStreamId;
  readonly on: CommandMap<NetworkInputs, NetworkCommand, NetworkEvent, NetworkState>['on'] = {
    RegisterNetwork: stamped,
    AddMember: { command: async (input, stamp) => ({ ...input, ...stamp, institution: await loadInstitution(this.commands, input.institutionId) }) },
    RemoveMember: stamped,
    AssignCoordinator: stamped,
  };

  constructor(private readonly commands: CommandHandling) {}
}
