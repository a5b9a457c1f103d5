import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { loadInstitution, loadNetwork } from '../../cases/commands/case-facts.js';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import type { DistributiveOmit } from '../../core/decider.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { mayManageWebhook, webhookDecider, type SubscriptionFacts, type WebhookCommand } from '../webhook.decider.js';
import { webhookStreamId, type WebhookScope } from '../webhook.events.js';
import { targetProblem } from '../webhook-target.js';

export type WebhookChange = DistributiveOmit<WebhookCommand, 'actor' | 'at' | 'facts'>;

/** Subscribing, pausing, resuming, rotating, deleting, and the delivery's own "target gone": all in the subscription's stream. */
export class ChangeWebhook extends Command<CommandResult> {
  constructor(readonly change: WebhookChange, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(ChangeWebhook)
export class ChangeWebhookHandler implements ICommandHandler<ChangeWebhook> {
  constructor(private readonly commands: CommandHandling, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async execute({ change, context }: ChangeWebhook): Promise<CommandResult> {
    // The target is resolved only for someone who may subscribe: nobody else gets the service to look names up.
    const facts = change.type === 'Subscribe' && mayManageWebhook(context.actor, change.scope) ? await this.facts(change.url, change.scope) : undefined;
    const command = { ...change, actor: context.actor, at: context.occurredAt, ...(change.type === 'Subscribe' ? { facts: facts ?? { scopeKnown: true, targetProblem: null } } : {}) } as WebhookCommand;
    const outcome = await this.commands.run(webhookDecider, webhookStreamId(change.subscriptionId), () => command, context);
    return commandResult(change.subscriptionId, outcome);
  }

  private async facts(url: string, scope: WebhookScope): Promise<SubscriptionFacts> {
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
