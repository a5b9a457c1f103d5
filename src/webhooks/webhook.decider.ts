/**
 * Webhook subscriptions as decisions: who may subscribe to whose news, the target checked (webhook-target.ts)
 * before the decider sees it, pause and resume, a target gone (410), secret rotation, deletion.
 */
import type { Actor } from '../core/actor.js';
import { assertNever, type Decider } from '../core/decider.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import type { WebhookEvent, WebhookEventKind, WebhookScope } from './webhook.events.js';
import { evolveWebhook, initialWebhookState, type WebhookState } from './webhook.state.js';

/** How long the secret before a rotation keeps signing beside the new one. */
export const ROTATION_GRACE_HOURS = 24;

interface Base {
  readonly subscriptionId: string;
  readonly actor: Actor;
  readonly at: string;
}

/** What the handler found out before deciding: whether the scope names something registered, and what is wrong with the target. */
export interface SubscriptionFacts {
  readonly scopeKnown: boolean;
  /** Why the target URL may not be used (not https, resolves to a private address…), or null. */
  readonly targetProblem: string | null;
}

export type WebhookCommand =
  | (Base & {
      readonly type: 'Subscribe'; readonly url: string; readonly eventKinds: readonly WebhookEventKind[]; readonly scope: WebhookScope;
      readonly description: string | null; readonly secretId: string; readonly facts: SubscriptionFacts;
    })
  | (Base & { readonly type: 'Pause' | 'Resume' | 'Delete' })
  | (Base & { readonly type: 'RotateSecret'; readonly secretId: string })
  /** The service itself, when the target answers 410 Gone to a delivery. */
  | (Base & { readonly type: 'DisableGone'; readonly deliveryId: string });

/**
 * Who manages a subscription of this scope: an admin any; dinsos the city's and its own institution's; a
 * caseworker its own institution's; a coordinator its own network's.
 */
export function mayManageWebhook(actor: Actor, scope: WebhookScope): boolean {
  switch (actor.role) {
    case 'admin':
      return true;
    case 'dinsos':
      return scope.level === 'city' || (scope.level === 'institution' && scope.institutionId === actor.institutionId);
    case 'caseworker':
      return scope.level === 'institution' && scope.institutionId === actor.institutionId;
    case 'coordinator':
      return scope.level === 'network' && scope.networkId === actor.networkId;
    default:
      return false;
  }
}

const scopeField = (scope: WebhookScope): string =>
  scope.level === 'institution' ? 'scope.institutionId' : scope.level === 'network' ? 'scope.networkId' : 'scope';

function decide(command: WebhookCommand, state: WebhookState): WebhookEvent[] {
  const { subscriptionId, at } = command;
  if (command.type === 'Subscribe') {
    const { url, eventKinds, scope, description, secretId, facts } = command;
    if (!mayManageWebhook(command.actor, scope)) {
      throw new ForbiddenError('You may subscribe to the news of your own institution (caseworker), network (coordinator) or the city (dinsos)', 'scope');
    }
    if (state.status !== 'none') throw new ConflictError(`Webhook subscription ${subscriptionId} already exists`, 'id');
    if (!facts.scopeKnown) throw new InvalidCommandError(`No ${scope.level} with this id is registered`, scopeField(scope));
    if (facts.targetProblem !== null) throw new InvalidCommandError(`The target cannot be used: ${facts.targetProblem}`, 'url');
    return [{ type: 'WebhookSubscribed', data: { subscriptionId, url, eventKinds, scope, description, secretId, at } }];
  }
  if (state.status === 'none') throw new NotFoundError(`No webhook subscription with id ${subscriptionId}`);
  if (command.type === 'DisableGone') {
    // Only the service's own delivery does this; a 410 arriving after a pause changes nothing.
    if (command.actor.role !== 'system') throw new ForbiddenError('Only the delivery itself disables a subscription whose target is gone');
    return state.status === 'active' ? [{ type: 'WebhookDisabled', data: { subscriptionId, reason: 'gone', deliveryId: command.deliveryId, at } }] : [];
  }
  if (!mayManageWebhook(command.actor, state.scope)) throw new ForbiddenError(`You may not manage webhook subscription ${subscriptionId}`);
  if (state.status === 'deleted') throw new ConflictError(`Webhook subscription ${subscriptionId} was deleted`);
  switch (command.type) {
    case 'Pause':
      if (state.status === 'disabled') throw new ConflictError('The target answered 410 Gone and disabled this subscription: resume it or delete it');
      return state.status === 'paused' ? [] : [{ type: 'WebhookPaused', data: { subscriptionId, at } }];
    case 'Resume':
      return state.status === 'active' ? [] : [{ type: 'WebhookResumed', data: { subscriptionId, at } }];
    case 'RotateSecret': {
      const previousValidUntil = new Date(Date.parse(at) + ROTATION_GRACE_HOURS * 3_600_000).toISOString();
      return [{ type: 'WebhookSecretRotated', data: { subscriptionId, secretId: command.secretId, previousValidUntil, at } }];
    }
    case 'Delete':
      return [{ type: 'WebhookDeleted', data: { subscriptionId, at } }];
    default:
      return assertNever(command);
  }
}

export const webhookDecider: Decider<WebhookCommand, WebhookEvent, WebhookState> = { initialState: initialWebhookState, decide, evolve: evolveWebhook };
