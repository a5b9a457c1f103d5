/**
 * Webhook subscriptions (`GET /webhooks`): each subscription's stream folded with the domain's own
 * `evolveWebhook`, with who made it. Never a secret: only the id it is derived from.
 */
import type { RecordedActor } from '../../core/actor.js';
import type { Document } from '../../read-store/read-store.port.js';
import { WEBHOOK_STREAM_PREFIX, type WebhookEvent } from '../../webhooks/webhook.events.js';
import { evolveWebhook, initialWebhookState, type ExistingWebhook, type WebhookStatus } from '../../webhooks/webhook.state.js';
import { viewProjection, type View } from '../view-projection.js';

export const WEBHOOK_SUBSCRIPTIONS = 'webhook_subscriptions';

export interface WebhookSubscriptionDocument extends Document {
  readonly revision: string;
  readonly state: ExistingWebhook;
  readonly status: WebhookStatus;
  readonly scopeLevel: ExistingWebhook['scope']['level'];
  readonly institutionId: string | null;
  readonly networkId: string | null;
  readonly createdBy: { readonly userId: string; readonly role: string };
}

const webhookSubscriptions: View<WebhookSubscriptionDocument> = {
  collection: WEBHOOK_SUBSCRIPTIONS,
  indexes: [{ keys: { institutionId: 1 } }, { keys: { networkId: 1 } }, { keys: { scopeLevel: 1 } }],
  documentId: (event) => event.streamId.slice(WEBHOOK_STREAM_PREFIX.length),
  evolve(document, event) {
    const state = evolveWebhook(document?.state ?? initialWebhookState, { type: event.type, data: event.data } as WebhookEvent);
    const actor = event.metadata['actor'] as RecordedActor | undefined;
    const createdBy = event.type === 'WebhookSubscribed' ? { userId: actor?.userId ?? 'unknown', role: actor?.role ?? 'unknown' } : document?.createdBy;
    if (state.status === 'none' || createdBy === undefined) return null;
    return {
      _id: state.subscriptionId,
      revision: event.revision.toString(),
      state,
      status: state.status,
      scopeLevel: state.scope.level,
      institutionId: state.scope.level === 'institution' ? state.scope.institutionId : null,
      networkId: state.scope.level === 'network' ? state.scope.networkId : null,
      createdBy,
    };
  },
};

export const webhookSubscriptionsProjection = viewProjection({
  name: 'webhook-subscriptions',
  filter: { streamPrefixes: [WEBHOOK_STREAM_PREFIX] },
  views: [webhookSubscriptions],
});
