/** Facts from other aggregates that case decisions need, read from their streams at decision time. */
import type { CommandHandling } from '../../core/command-handling.js';
import { institutionDecider } from '../../institutions/institution.decider.js';
import { institutionStreamId } from '../../institutions/institution.events.js';
import { networkDecider } from '../../networks/network.decider.js';
import { networkStreamId } from '../../networks/network.events.js';
import type { TargetFacts } from '../case.decider.js';
import type { CaseState } from '../case.state.js';

export async function loadInstitution(commands: CommandHandling, institutionId: string) {
  return (await commands.load(institutionDecider, institutionStreamId(institutionId))).state;
}

export async function loadNetwork(commands: CommandHandling, networkId: string) {
  return (await commands.load(networkDecider, networkStreamId(networkId))).state;
}

export async function targetFacts(commands: CommandHandling, state: CaseState, institutionId: string): Promise<TargetFacts> {
  const [institution, network] = await Promise.all([
    loadInstitution(commands, institutionId),
    state.status === 'none' ? null : loadNetwork(commands, state.networkId),
  ]);
  return { institution, inCaseNetwork: network?.status === 'registered' && network.memberIds.includes(institutionId) };
}
