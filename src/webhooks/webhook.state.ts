import { assertNever } from '../core/decider.js';
import type { WebhookEvent } from './webhook.events.js';

export const WEBHOOK_STATUSES = ['active', 'paused', 'disabled', 'deleted'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

type Subscribed = Extract<WebhookEvent, { type: 'WebhookSubscribed' }>['data'];

interface WebhookDetails extends Omit<Subscribed, 'at'> {
  /** The secret before the last rotation, still signing until `validUntil`. */
  readonly previousSecret: { readonly secretId: string; readonly validUntil: string } | null;
  readonly createdAt: string;
  /** Why and when the target disabled it (410 Gone), while it stays disabled. */
  readonly disabled: { readonly at: string; readonly deliveryId: string } | null;
}

export type WebhookState = { readonly status: 'none' } | ({ readonly status: WebhookStatus } & WebhookDetails);
export type ExistingWebhook = Exclude<WebhookState, { status: 'none' }>;

export const initialWebhookState: WebhookState = { status: 'none' };

export function evolveWebhook(state: WebhookState, event: WebhookEvent): WebhookState {
  if (event.type === 'WebhookSubscribed') {
    const { subscriptionId, url, eventKinds, scope, description, secretId, at } = event.data;
    return { status: 'active', subscriptionId, url, eventKinds, scope, description, secretId, previousSecret: null, createdAt: at, disabled: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'WebhookPaused':
      return { ...state, status: 'paused' };
    case 'WebhookResumed':
      return { ...state, status: 'active', disabled: null };
    case 'WebhookDisabled':
      return { ...state, status: 'disabled', disabled: { at: event.data.at, deliveryId: event.data.deliveryId } };
    case 'WebhookSecretRotated':
      return { ...state, secretId: event.data.secretId, previousSecret: { secretId: state.secretId, validUntil: event.data.previousValidUntil } };
    case 'WebhookDeleted':
      return { ...state, status: 'deleted' };
    default:
      return assertNever(event);
  }
}
