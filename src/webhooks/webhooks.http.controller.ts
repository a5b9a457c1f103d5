/**
 * Webhook subscriptions (admins, dinsos for the city, caseworkers for their institution, coordinators for
 * their network; auditors read): subscribe (the answer holds the signing secret), list, read with the
 * subscription's history and delivery counts, pause, resume, rotate the secret, delete; the delivery log
 * and manual redelivery.
 */
import { Controller, Delete, Get, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import type { Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn, Ctx } from '../http/command-context.js';
import { CommandReply } from '../http/command-response.js';
import { IdParam } from '../http/id-param.js';
import { emptyBodySchema } from '../http/schemas.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import { WebhookSubscriptionsQuery } from '../projections/webhook-subscriptions/webhook-subscriptions.query.js';
import { READ_STORE, type ReadStore } from '../read-store/read-store.port.js';
import { ChangeWebhook } from './commands/webhook.commands.js';
import { Deliveries, type DeliveryDocument } from './delivery/deliveries.js';
import { webhookDecider } from './webhook.decider.js';
import { webhookStreamId } from './webhook.events.js';
import {
  deliveryListSchema, deliveryQuerySchema, listQuerySchema, redeliverResponseSchema, redeliverSchema, secretResponseSchema, subscribeSchema,
  subscriptionDetailSchema, subscriptionListSchema,
} from './webhook.schemas.js';
import { WebhookSecrets } from './webhook-signing.js';
import type { ExistingWebhook } from './webhook.state.js';

type Subscription = z.infer<typeof subscriptionDetailSchema>;

function describe(state: ExistingWebhook, createdBy: { userId: string; role: string }, revision: string) {
  return {
    id: state.subscriptionId, url: state.url, eventKinds: [...state.eventKinds], scope: state.scope, description: state.description, status: state.status,
    createdAt: state.createdAt, createdBy, disabledAt: state.disabled?.at ?? null, revision,
  };
}

function deliveryView(delivery: DeliveryDocument) {
  return {
    id: delivery._id, messageId: delivery.messageId, kind: delivery.kind, caseId: delivery.caseId, status: delivery.status, createdAt: delivery.createdAt,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt : null, deliveredAt: delivery.deliveredAt, deadAt: delivery.deadAt,
    attempts: [...delivery.attempts], payload: JSON.parse(delivery.body) as unknown,
  };
}

const onWebhook = { subscriptionId: ['id', 'webhook subscription'] } as const;

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksHttpController {
  private readonly deliveries: Deliveries;

  constructor(
    private readonly bus: CommandBus,
    private readonly commands: CommandHandling,
    private readonly subscriptions: WebhookSubscriptionsQuery,
    private readonly secrets: WebhookSecrets,
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Inject(READ_STORE) views: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.deliveries = new Deliveries(views);
  }

  /** Subscribes a target; the answer holds the secret to verify deliveries with (a replay of the request shows it again). */
  @Post()
  @Policy(policies.subscribeWebhook)
  @ApiCommand(201, {
    summary: 'Subscribe a target to news of referrals and cases',
    description: 'Records a subscription (stream `webhook-<id>`) and answers the `whsec_` secret every delivery is signed with (Standard Webhooks); an idempotent replay answers it again. `scope` says whose news: an institution (the referrals it sends or receives, the cases it owns or takes part in), a network (its cases) or the city. The target must be `https://` and must not resolve to a loopback, private or link-local address (422 on `url`, saying why) unless the operator allows it. Payloads carry ids, kinds, institution names, urgency, due times and a link to the case: never personal data.',
    response: secretResponseSchema,
  })
  async subscribe(@ValidBody(subscribeSchema) body: z.infer<typeof subscribeSchema>, @Ctx() context: CommandContext) {
    const subscriptionId = body.id ?? derivedId('webhook', context.commandId);
    const secretId = derivedId('webhook-secret', context.commandId);
    const result = await this.bus.execute(new ChangeWebhook({
      type: 'Subscribe', subscriptionId, url: body.url, eventKinds: body.eventKinds, scope: body.scope, description: body.description ?? null, secretId,
    }, context));
    return new CommandReply(result, { secret: await this.currentSecret(subscriptionId) });
  }

  @Get()
  @Policy(policies.listWebhooks)
  @ApiRead(subscriptionListSchema, {
    summary: 'List webhook subscriptions',
    description: 'The subscriptions the caller manages (auditors and admins: every one), deleted ones only with `status=deleted`. Never a secret.',
  })
  async list(@ValidQuery(listQuerySchema) query: z.infer<typeof listQuerySchema>, @CurrentActor() actor: Actor): Promise<z.infer<typeof subscriptionListSchema>> {
    const page = await this.subscriptions.list(actor, query.status, { cursor: query.cursor ?? null, limit: query.limit });
    return { items: page.items.map((document) => describe(document.state, document.createdBy, document.revision)), nextCursor: page.nextCursor };
  }

  /** The subscription as its stream says now, its history (the audit trail) and its delivery counts. */
  @Get(':id')
  @Policy(policies.readWebhook)
  @ApiRead(subscriptionDetailSchema, {
    summary: 'Read a webhook subscription',
    description: 'The subscription as its stream says now, its delivery counts (waiting, delivered, dead-lettered) and its history: who subscribed, paused, resumed, rotated or deleted it, and when (a `WebhookDisabled` by the system when its target answered 410). Never the secret.',
  })
  async get(@IdParam('id', 'webhook subscription') id: string): Promise<Subscription> {
    const history: Subscription['history'] = [];
    for await (const event of this.events.readStream(webhookStreamId(id))) {
      const actor = event.metadata['actor'] as Actor;
      history.push({ type: event.type, at: String(event.metadata['occurredAt']), actor: { userId: actor.userId, role: actor.role }, revision: event.revision.toString() });
    }
    const { state, revision } = await this.commands.load(webhookDecider, webhookStreamId(id));
    if (state.status === 'none') throw new NotFoundError(`No webhook subscription with id ${id}`);
    return { ...describe(state, history[0]!.actor, String(revision)), deliveries: await this.deliveries.counts(id), history };
  }

  @Post(':id/pause')
  @Policy(policies.manageWebhook)
  @ApiCommand(200, {
    summary: 'Pause a webhook subscription',
    description: 'Nothing is sent while paused; news keeps being queued and is sent, in order, once resumed. 409 when its target disabled it (resume it or delete it) or it was deleted.',
  })
  pause(@CommandOn(onWebhook) { ids, context }: CommandOn<typeof onWebhook>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeWebhook({ type: 'Pause', ...ids }, context));
  }

  @Post(':id/resume')
  @Policy(policies.manageWebhook)
  @ApiCommand(200, {
    summary: 'Resume a webhook subscription',
    description: 'Resumes a paused subscription, or one its target disabled by answering 410: what was kept meanwhile is sent, in order per case. 409 once deleted.',
  })
  resume(@CommandOn(onWebhook) { ids, context }: CommandOn<typeof onWebhook>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeWebhook({ type: 'Resume', ...ids }, context));
  }

  /** A new secret; the previous one keeps signing beside it for 24 hours. */
  @Post(':id/rotate-secret')
  @Policy(policies.manageWebhook)
  @ApiCommand(200, {
    summary: 'Rotate a webhook subscription\'s secret',
    description: 'Answers a new `whsec_` secret. For 24 hours the previous one signs too (two signatures in `webhook-signature`), so the receiver can switch without losing a message.',
    response: secretResponseSchema,
  })
  async rotate(@CommandOn(onWebhook) { ids, context }: CommandOn<typeof onWebhook>, @ValidBody(emptyBodySchema) _body: unknown) {
    const result = await this.bus.execute(new ChangeWebhook({ type: 'RotateSecret', ...ids, secretId: derivedId('webhook-secret', context.commandId) }, context));
    return new CommandReply(result, { secret: await this.currentSecret(ids.subscriptionId) });
  }

  @Delete(':id')
  @Policy(policies.manageWebhook)
  @ApiCommand(200, {
    summary: 'Delete a webhook subscription',
    description: 'Nothing more is queued or sent; messages not yet delivered are dropped. The subscription and its history stay readable (`GET /webhooks?status=deleted`).',
  })
  remove(@CommandOn(onWebhook) { ids, context }: CommandOn<typeof onWebhook>) {
    return this.bus.execute(new ChangeWebhook({ type: 'Delete', ...ids }, context));
  }

  /** Every message for this subscription, newest first: its attempts (answer or error, latency) and its next try. */
  @Get(':id/deliveries')
  @Policy(policies.readWebhook)
  @ApiRead(deliveryListSchema, {
    summary: 'List a subscription\'s deliveries',
    description: 'Every message queued for the subscription, newest first (filter by `status`): the payload as sent, its `webhook-id`, each attempt (time, HTTP status or error, latency) and the next try.',
  })
  async deliveryLog(@IdParam('id', 'webhook subscription') id: string, @ValidQuery(deliveryQuerySchema) query: z.infer<typeof deliveryQuerySchema>) {
    const page = await this.deliveries.page(id, query.status, { cursor: query.cursor ?? null, limit: query.limit });
    return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
  }

  /** Sends again one delivery, or every dead-lettered one: same body, same webhook-id, a new retry window. */
  @Post(':id/redeliver')
  @Policy(policies.manageWebhook)
  @ApiCommand(200, {
    summary: 'Send deliveries again',
    description: 'With `deliveryId`, that delivery whatever became of it; with `{}`, every dead-lettered one. The same body and `webhook-id`, a new retry window. 404 for a delivery the subscription does not have.',
    response: redeliverResponseSchema,
  })
  async redeliver(@IdParam('id', 'webhook subscription') id: string, @ValidBody(redeliverSchema) body: z.infer<typeof redeliverSchema>, @Res({ passthrough: true }) reply: FastifyReply) {
    if (body.deliveryId !== undefined && !(await this.deliveries.find(id, body.deliveryId))) {
      throw new NotFoundError(`Webhook subscription ${id} has no delivery ${body.deliveryId}`, 'deliveryId');
    }
    // The delivery queue is not the subscription's stream: nothing is appended, and the ETag is the subscription's revision as it was.
    const { revision } = await this.commands.load(webhookDecider, webhookStreamId(id));
    reply.header('etag', `"${String(revision)}"`);
    return { redelivered: await this.deliveries.redeliver(id, this.clock.now().toISOString(), body.deliveryId) };
  }


  private async currentSecret(subscriptionId: string): Promise<string> {
    const { state } = await this.commands.load(webhookDecider, webhookStreamId(subscriptionId));
    if (state.status === 'none') throw new NotFoundError(`No webhook subscription with id ${subscriptionId}`);
    return this.secrets.secret(subscriptionId, state.secretId);
  }
}
