/**
 * Webhook subscriptions (`GET /webhooks`): each subscription's stream folded with the domain's own
 * `evolveWebhook`, with who made it. Never a secret: only the id it is derived from.
 */
import type { RecordedActor } from '../../core/actor.js';
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { WEBHOOK_STREAM_PREFIX, type WebhookEvent } from '../../webhooks/webhook.events.js';
import { evolveWebhook, initialWebhookState, type ExistingWebhook, type WebhookState, type WebhookStatus } from '../../webhooks/webhook.state.js';
import { positionNumber, putDocument, type Projection } from '../projection.js';

export const WEBHOOK_SUBSCRIPTIONS = 'webhook_subscriptions';

export interface WebhookSubscriptionDocument extends Document {
  readonly lastPosition: number;
  readonly revision: string;
  readonly state: ExistingWebhook;
  readonly status: WebhookStatus;
  readonly scopeLevel: ExistingWebhook['scope']['level'];
  readonly institutionId: string | null;
  readonly networkId: string | null;
  readonly createdBy: { readonly userId: string; readonly role: string };
}

export const webhookSubscriptionsProjection: Projection = {
  name: 'webhook-subscriptions',
  collections: { [WEBHOOK_SUBSCRIPTIONS]: [{ keys: { institutionId: 1 } }, { keys: { networkId: 1 } }, { keys: { scopeLevel: 1 } }] },
  filter: { streamPrefixes: [WEBHOOK_STREAM_PREFIX] },

  async project(events: readonly RecordedEvent[], views) {
    const bySubscription = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const id = event.streamId.slice(WEBHOOK_STREAM_PREFIX.length);
      bySubscription.set(id, [...(bySubscription.get(id) ?? []), event]);
    }
    const existing = await views.collection<WebhookSubscriptionDocument>(WEBHOOK_SUBSCRIPTIONS).find({ _id: { $in: [...bySubscription.keys()] } });
    const known = new Map(existing.map((document) => [document._id, document]));
    const writes: WriteOperation[] = [];
    for (const [id, subscriptionEvents] of bySubscription) {
      const document = known.get(id);
      const fresh = subscriptionEvents.filter((event) => document === undefined || positionNumber(event.position) > document.lastPosition);
      const last = fresh[fresh.length - 1];
      if (!last) continue;
      let state: WebhookState = document?.state ?? initialWebhookState;
      let createdBy = document?.createdBy ?? null;
      for (const event of fresh) {
        state = evolveWebhook(state, { type: event.type, data: event.data } as WebhookEvent);
        if (event.type === 'WebhookSubscribed') {
          const actor = event.metadata['actor'] as RecordedActor | undefined;
          createdBy = { userId: actor?.userId ?? 'unknown', role: actor?.role ?? 'unknown' };
        }
      }
      if (state.status === 'none' || createdBy === null) continue;
      writes.push(putDocument<WebhookSubscriptionDocument>({
        _id: id,
        lastPosition: positionNumber(last.position),
        revision: last.revision.toString(),
        state,
        status: state.status,
        scopeLevel: state.scope.level,
        institutionId: state.scope.level === 'institution' ? state.scope.institutionId : null,
        networkId: state.scope.level === 'network' ? state.scope.networkId : null,
        createdBy,
      }, document !== undefined));
    }
    return [{ collection: WEBHOOK_SUBSCRIPTIONS, operations: writes }];
  },
};
