/**
 * Webhook subscriptions, one stream each (`webhook-<subscriptionId>`): who subscribed which target to which
 * kinds of news about which institution, network or the whole city; pauses, secret rotations, a target that
 * answered 410 Gone, deletion. The signing secret is never stored: it is derived from MASTER_KEY and the
 * `secretId` recorded here (webhook-secret.ts).
 */
import type { DomainEvent } from '../core/decider.js';

export const WEBHOOK_STREAM_PREFIX = 'webhook-';
export const webhookStreamId = (subscriptionId: string): string => `${WEBHOOK_STREAM_PREFIX}${subscriptionId}`;

/** What a receiver can subscribe to: news of referrals and cases, and the SLA warning (`referral.due_soon`). */
export const WEBHOOK_EVENT_KINDS = [
  'referral.requested', 'referral.accepted', 'referral.declined', 'referral.cancelled', 'referral.started', 'referral.on_hold',
  'referral.resumed', 'referral.completed', 'referral.failed', 'referral.expired', 'referral.acknowledged', 'referral.due_soon',
  'case.escalated', 'case.closed', 'case.reopened',
] as const;
export type WebhookEventKind = (typeof WEBHOOK_EVENT_KINDS)[number];

/** Whose news: the referrals to and from one institution, every case of one network, or every case of the city. */
export type WebhookScope =
  | { readonly level: 'institution'; readonly institutionId: string }
  | { readonly level: 'network'; readonly networkId: string }
  | { readonly level: 'city' };

export type WebhookEvent =
  | DomainEvent<'WebhookSubscribed', {
      readonly subscriptionId: string;
      readonly url: string;
      readonly eventKinds: readonly WebhookEventKind[];
      readonly scope: WebhookScope;
      readonly description: string | null;
      readonly secretId: string;
      readonly at: string;
    }>
  | DomainEvent<'WebhookPaused', { readonly subscriptionId: string; readonly at: string }>
  | DomainEvent<'WebhookResumed', { readonly subscriptionId: string; readonly at: string }>
  /** The target answered 410 Gone: nothing more is sent until someone resumes the subscription. */
  | DomainEvent<'WebhookDisabled', { readonly subscriptionId: string; readonly reason: 'gone'; readonly deliveryId: string; readonly at: string }>
  /** The previous secret still signs (beside the new one) until `previousValidUntil`, so receivers can switch without losing a message. */
  | DomainEvent<'WebhookSecretRotated', { readonly subscriptionId: string; readonly secretId: string; readonly previousValidUntil: string; readonly at: string }>
  | DomainEvent<'WebhookDeleted', { readonly subscriptionId: string; readonly at: string }>;

export type WebhookEventType = WebhookEvent['type'];
