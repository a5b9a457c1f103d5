/** The subscription's command map: subscribing, pausing, resuming, rotating, deleting, and the delivery's own "target gone". */
import { Inject, Injectable } from '@nestjs/common';
import { loadInstitution, loadNetwork } from '../../cases/commands/case-facts.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import type { Actor } from '../../core/actor.js';
import { CommandHandling } from '../../core/command-handling.js';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import { mayManageWebhook, webhookDecider, type SubscriptionFacts, type WebhookCommand } from '../webhook.decider.js';
import { webhookStreamId, type WebhookEvent, type WebhookScope } from '../webhook.events.js';
import type { WebhookState } from '../webhook.state.js';
import { targetProblem } from '../webhook-target.js';

export type WebhookInputs = CommandInputs<WebhookCommand, { Subscribe: 'facts' }>;

export class ChangeWebhook extends MapCommand<WebhookInputs, WebhookCommand, WebhookEvent, WebhookState> {
  protected readonly map = WebhookCommands;
}

@Injectable()
export class WebhookCommands implements CommandMap<WebhookInputs, WebhookCommand, WebhookEvent, WebhookState> {
  readonly decider = webhookDecider;
  readonly id = ({ subscriptionId }: { readonly subscriptionId: string }) => subscriptionId;
  readonly streamId = webhookStreamId;
  readonly on: CommandMap<WebhookInputs, WebhookCommand, WebhookEvent, WebhookState>['on'] = {
    Subscribe: { command: async (input, stamp) => ({ ...input, ...stamp, facts: await this.facts(stamp.actor, input.url, input.scope) }) },
    Pause: stamped,
    Resume: stamped,
    Delete: stamped,
    RotateSecret: stamped,
    DisableGone: stamped,
  };

  constructor(private readonly commands: CommandHandling, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The target is resolved only for someone who may subscribe: nobody else gets the service to look names up. */
  private async facts(actor: Actor, url: string, scope: WebhookScope): Promise<SubscriptionFacts> {
    if (!mayManageWebhook(actor, scope)) return { scopeKnown: true, targetProblem: null };
    const [scopeKnown, problem] = await Promise.all([this.scopeKnown(scope), targetProblem(url, this.config.webhooks)]);
    return { scopeKnown, targetProblem: problem };
  }

  private async scopeKnown(scope: WebhookScope): Promise<boolean> {
    switch (scope.level) {
      case 'city':
        return true;
      case 'institution':
        return (await loadInstitution(this.commands, scope.institutionId)).status !== 'unregistered';
      case 'network':
        return (await loadNetwork(this.commands, scope.networkId)).status === 'registered';
    }
  }
}
