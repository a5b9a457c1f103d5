/**
 * Registers the demo network through the ordinary command path. Every seed command has a fixed id, so
 * seeding twice appends nothing the second time.
 */
import type { CommandBus } from '@nestjs/cqrs';
import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { CommandContext } from '../core/command-handling.js';
import { requestHash } from '../core/event-envelope.js';
import { derivedId } from '../core/ids.js';
import { ChangeInstitution, type InstitutionInput } from '../institutions/commands/institution.commands.js';
import { ChangeNetwork, type NetworkInput } from '../networks/commands/network.commands.js';
import { CITY_PROVIDERS, DEMO_COORDINATOR, DEMO_MEMBERS, DEMO_NETWORK } from './demo-network.data.js';

const SEED_ACTOR: Actor = { userId: 'seed', role: 'admin' };

export interface SeedReport {
  readonly commands: number;
  readonly appended: number;
}

export async function seedDemoNetwork(bus: CommandBus, clock: Clock, onProgress: (done: number, total: number) => void = () => {}): Promise<SeedReport> {
  const institutions = [...CITY_PROVIDERS, ...DEMO_MEMBERS].map(({ id, ...institution }): InstitutionInput => ({ type: 'RegisterInstitution', institutionId: id, ...institution }));
  const network: NetworkInput[] = [
    { type: 'RegisterNetwork', networkId: DEMO_NETWORK.id, name: DEMO_NETWORK.name, regionCode: DEMO_NETWORK.regionCode },
    ...DEMO_MEMBERS.map((member): NetworkInput => ({ type: 'AddMember', networkId: DEMO_NETWORK.id, institutionId: member.id })),
    { type: 'AssignCoordinator', networkId: DEMO_NETWORK.id, userId: DEMO_COORDINATOR },
  ];
  const steps = [
    ...institutions.map((change) => ({ change, command: (context: CommandContext) => new ChangeInstitution(change, context) })),
    ...network.map((change) => ({ change, command: (context: CommandContext) => new ChangeNetwork(change, context) })),
  ];
  let appended = 0;
  for (const [index, { change, command }] of steps.entries()) {
    const commandId = derivedId('seed', JSON.stringify(change));
    const result = await bus.execute(command({
      commandId,
      requestHash: requestHash({ seed: change }),
      actor: SEED_ACTOR,
      occurredAt: clock.now().toISOString(),
      correlationId: 'seed',
      causationId: commandId,
      expectedRevision: null,
    }));
    if (!result.replayed) appended++;
    onProgress(index + 1, steps.length);
  }
  return { commands: steps.length, appended };
}

/** What a new user needs to call the API against the seeded data. */
/** How to get into the console: a sign-in link for one person of the demo network. */
export function consoleHints(): string[] {
  const [member] = DEMO_MEMBERS;
  return [
    `  npx rujukan invite --role caseworker --institution ${member!.id} --name "Bu Wati"   (prints a sign-in link; open it)`,
    `  npx rujukan invite --role coordinator --network ${DEMO_NETWORK.id}`,
  ];
}

export function tokenHints(): string[] {
  const [member] = DEMO_MEMBERS;
  return [
    `  caseworker:  npx rujukan token --role caseworker --institution ${member!.id}`,
    `  coordinator: npx rujukan token --role coordinator --network ${DEMO_NETWORK.id} --sub ${DEMO_COORDINATOR}`,
    '  admin:       npx rujukan token --role admin',
  ];
}
