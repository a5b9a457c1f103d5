/**
 * The objects access policies judge, loaded from the event log by the command path's own folds: the state
 * the deciders will see. Not from the views, which may lag a write the client just made (and a guard runs
 * before a GET's X-Min-Position wait). Anything unknown, or that cannot be an id, is not found (404).
 */
import { caseDecider } from '../cases/case.decider.js';
import { caseStreamId } from '../cases/case.events.js';
import type { ExistingCase } from '../cases/case.state.js';
import { loadInstitution, loadNetwork } from '../cases/commands/case-facts.js';
import type { CommandHandling } from '../core/command-handling.js';
import { NotFoundError } from '../core/domain-error.js';
import { isValidId } from '../core/ids.js';
import type { InstitutionState } from '../institutions/institution.state.js';
import type { NetworkState } from '../networks/network.state.js';
import { webhookDecider } from '../webhooks/webhook.decider.js';
import { webhookStreamId } from '../webhooks/webhook.events.js';
import type { WebhookState } from '../webhooks/webhook.state.js';

type Known<State> = Exclude<State, { status: 'none' | 'unregistered' }>;

export class RouteObjects {
  constructor(private readonly commands: CommandHandling) {}

  case(id: string | undefined): Promise<ExistingCase> {
    return this.existing('case', id, async (caseId) => (await this.commands.load(caseDecider, caseStreamId(caseId))).state);
  }

  institution(id: string | undefined): Promise<Known<InstitutionState>> {
    return this.existing('institution', id, (institutionId) => loadInstitution(this.commands, institutionId));
  }

  network(id: string | undefined): Promise<Known<NetworkState>> {
    return this.existing('network', id, (networkId) => loadNetwork(this.commands, networkId));
  }

  /** A webhook subscription, deleted ones included (they answer 409 to changes). */
  webhook(id: string | undefined): Promise<Known<WebhookState>> {
    return this.existing('webhook subscription', id, async (subscriptionId) => (await this.commands.load(webhookDecider, webhookStreamId(subscriptionId))).state);
  }

  /** Members of a network a token names; none when there is no such network (it is not the route's object). */
  async networkMembers(id: string): Promise<readonly string[]> {
    const state = isValidId(id) ? await loadNetwork(this.commands, id) : null;
    return state?.status === 'registered' ? state.memberIds : [];
  }

  private async existing<State extends { status: string }>(kind: string, id: string | undefined, load: (id: string) => Promise<State>): Promise<Known<State>> {
    const state = id !== undefined && isValidId(id) ? await load(id) : null;
    if (state === null || state.status === 'none' || state.status === 'unregistered') {
      throw new NotFoundError(`No ${kind} with id ${JSON.stringify((id ?? '').slice(0, 64))}`);
    }
    return state as Known<State>;
  }
}
