/** Requests and responses of the webhook routes, for validation and the OpenAPI document. */
import { z } from 'zod';
import { idSchema, pageQuery, text } from '../http/schemas.js';
import { DELIVERY_STATUSES } from './delivery/deliveries.js';
import { WEBHOOK_EVENT_KINDS } from './webhook.events.js';
import { WEBHOOK_STATUSES } from './webhook.state.js';

const scopeSchema = z.discriminatedUnion('level', [
  z.strictObject({ level: z.literal('institution'), institutionId: idSchema }),
  z.strictObject({ level: z.literal('network'), networkId: idSchema }),
  z.strictObject({ level: z.literal('city') }),
]).describe('whose news: the referrals to and from one institution, every case of one network, or every case of the city').meta({ id: 'WebhookScope' });

export const subscribeSchema = z.strictObject({
  id: idSchema.optional(),
  url: z.string().max(2000).describe('where to POST: https:// (http:// only to this host, when the operator allows it)'),
  eventKinds: z.array(z.enum(WEBHOOK_EVENT_KINDS)).min(1).max(WEBHOOK_EVENT_KINDS.length)
    .refine((kinds) => new Set(kinds).size === kinds.length, 'must not repeat a kind'),
  scope: scopeSchema,
  description: text(200).optional(),
}).meta({
  id: 'SubscribeWebhookRequest',
  examples: [{
    url: 'https://gateway.example.org/rujukan', eventKinds: ['referral.requested', 'referral.due_soon'],
    scope: { level: 'institution', institutionId: 'puskesos-jurangombo-utara' }, description: 'WhatsApp group of the Puskesos',
  }],
});

export const secretResponseSchema = z.object({
  id: z.string(),
  revision: z.string(),
  position: z.string(),
  secret: z.string().describe('the whsec_ signing secret: verify each delivery with it (Standard Webhooks); keep it out of logs'),
}).meta({ id: 'WebhookSecret' });

export const listQuerySchema = z.strictObject({ status: z.enum(WEBHOOK_STATUSES).optional(), ...pageQuery });

const actorSchema = z.object({ userId: z.string(), role: z.string() });

export const subscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  eventKinds: z.array(z.enum(WEBHOOK_EVENT_KINDS)),
  scope: scopeSchema,
  description: z.string().nullable(),
  status: z.enum(WEBHOOK_STATUSES).describe('disabled: the target answered 410 Gone; paused and disabled subscriptions keep their messages until resumed'),
  createdAt: z.string(),
  createdBy: actorSchema,
  disabledAt: z.string().nullable(),
  revision: z.string(),
}).meta({ id: 'WebhookSubscription' });

export const subscriptionListSchema = z.object({ items: z.array(subscriptionSchema), nextCursor: z.string().nullable() }).meta({ id: 'WebhookSubscriptionPage' });

export const subscriptionDetailSchema = subscriptionSchema.extend({
  deliveries: z.object({
    pending: z.number().int(), delivered: z.number().int(), dead: z.number().int(), oldestPendingAt: z.string().nullable(), lastDeliveredAt: z.string().nullable(),
  }),
  history: z.array(z.object({ type: z.string(), at: z.string(), actor: actorSchema, revision: z.string() }))
    .describe("the subscription's stream: who subscribed, paused, resumed, rotated, deleted it, and when"),
}).meta({ id: 'WebhookSubscriptionDetail' });

export const deliveryQuerySchema = z.strictObject({ status: z.enum(DELIVERY_STATUSES).optional(), ...pageQuery });

export const deliveryListSchema = z.object({
  items: z.array(z.object({
    id: z.string(),
    messageId: z.string().describe('the webhook-id header'),
    kind: z.enum(WEBHOOK_EVENT_KINDS),
    caseId: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    createdAt: z.string(),
    nextAttemptAt: z.string().nullable().describe('when it is tried next; null once delivered, dead-lettered or dropped'),
    deliveredAt: z.string().nullable(),
    deadAt: z.string().nullable(),
    attempts: z.array(z.object({ at: z.string(), statusCode: z.number().int().nullable(), error: z.string().nullable(), latencyMs: z.number() })),
    payload: z.unknown().describe('the body as sent'),
  }).meta({ id: 'WebhookDelivery' })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'WebhookDeliveryPage' });

export const redeliverSchema = z.strictObject({
  deliveryId: idSchema.optional().describe('one delivery, whatever became of it; without it (`{}`), every dead-lettered delivery'),
}).meta({ id: 'RedeliverRequest' });

export const redeliverResponseSchema = z.object({ redelivered: z.number().int().describe('how many deliveries were queued again') }).meta({ id: 'Redelivered' });
