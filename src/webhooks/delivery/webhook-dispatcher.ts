/**
 * Delivers webhooks from the log, in the one replica that holds the delivery lease: the outbox queues what
 * the log says, then each subscription has its own worker that sends its due messages (each case's in log
 * order, a few cases at a time), records every attempt, retries failures with backoff until the retry window
 * ends, and disables the subscription when its target answers 410. A slow or dead target holds up only its own
 * worker: never commands, views (the outbox queues without waiting for anyone) or other subscriptions. A crash
 * loses nothing: a message is marked delivered only after a 2xx, so one in flight goes again, same webhook-id.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { SYSTEM_ACTOR } from '../../core/actor.js';
import { CLOCK, systemClock, type Clock } from '../../core/clock.js';
import { CommandHandling } from '../../core/command-handling.js';
import { logged } from '../../core/error-log.js';
import { requestHash } from '../../core/event-envelope.js';
import { derivedId } from '../../core/ids.js';
import { EVENT_STORE, EventStoreUnavailableError, type EventStore } from '../../event-store/event-store.port.js';
import { READ_STORE, ReadStoreUnavailableError, type ReadStore } from '../../read-store/read-store.port.js';
import { ChangeWebhook } from '../commands/webhook.commands.js';
import { WebhookSecrets } from '../webhook-signing.js';
import { Deliveries, type DeliveryDocument } from './deliveries.js';
import { DeliveryLease } from './delivery-lease.js';
import { nextAttemptAt } from './retry-schedule.js';
import { queueDueSoonWarnings } from './sla-warnings.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WebhookOutbox, type Route } from './webhook-outbox.js';
import { postWebhook } from './webhook-request.js';

const TICK_MS = 500;
/** Messages of one subscription looked at per round, and sent at once (to different cases). */
const ROUND = 50;
const CONCURRENCY = 4;
/** Rounds a worker runs before it lets the next tick start it again. */
const ROUNDS = 20;

@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly deliveries: Deliveries;
  private readonly lease: DeliveryLease;
  private readonly outbox: WebhookOutbox;
  private readonly workers = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private holding = false;
  private lastWarning = 0;
  /** Deleted subscriptions whose queue is known to be empty. */
  private readonly drained = new Set<string>();

  constructor(
    @Inject(EVENT_STORE) events: EventStore,
    @Inject(READ_STORE) private readonly views: ReadStore,
    private readonly commands: CommandHandling,
    private readonly bus: CommandBus,
    private readonly secrets: WebhookSecrets,
    private readonly metrics: WebhookMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.deliveries = new Deliveries(views);
    this.lease = new DeliveryLease(views, config.webhooks.leaseMs);
    this.outbox = new WebhookOutbox(events, views, commands, { publicUrl: config.publicUrl, now: () => clock.now(), onQueued: () => this.sendDue() });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.deliveries.createIndexes();
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.ticking;
    await Promise.all(this.workers.values());
    await this.outbox.stop();
    if (this.holding) await this.lease.release();
  }

  /** How far the outbox has queued the log. */
  get outboxPosition(): bigint | null {
    return this.outbox.position;
  }

  /** One pass: hold the lease (or let go of the work), keep the outbox running, start the workers, warn of due referrals now and then. */
  tick(): Promise<void> {
    this.ticking ??= this.pass().catch((error: unknown) => {
      const [summary, frames] = logged(error);
      // A store out of reach is waited out (the next tick tries again): a warning; anything else is a fault.
      if (error instanceof ReadStoreUnavailableError || error instanceof EventStoreUnavailableError) this.logger.warn(`delivery pass failed: ${summary}`);
      else this.logger.error(`delivery pass failed: ${summary}`, frames);
    }).finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async pass(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const now = this.clock.now();
    this.holding = await this.lease.hold(now);
    if (!this.holding) {
      await this.outbox.stop();
      return;
    }
    if (!this.outbox.running) await this.outbox.start();
    this.sendDue();
    for (const route of this.outbox.routes()) {
      if (route.state.status === 'deleted' && !this.drained.has(route._id) && (await this.deliveries.drop(route._id)) === 0) this.drained.add(route._id);
    }
    const interval = this.config.expiryIntervalSeconds * 1000;
    if (interval > 0 && now.getTime() - this.lastWarning >= interval) {
      this.lastWarning = now.getTime();
      await this.warnDueSoon();
    }
  }

  /** Queues the "due in N hours" warnings due now; returns how many deliveries it queued. The delivering replica only. */
  async warnDueSoon(): Promise<number> {
    if (!this.holding) return 0;
    return queueDueSoonWarnings(this.clock.now(), {
      views: this.views, commands: this.commands, outbox: this.outbox, thresholdsHours: this.config.webhooks.slaWarningHours, publicUrl: this.config.publicUrl,
    });
  }

  /** Starts a worker for every active subscription that has none running. */
  private sendDue(): void {
    if (!this.holding || this.stopping.signal.aborted) return;
    for (const route of this.outbox.routes()) {
      if (route.state.status !== 'active' || this.workers.has(route._id)) continue;
      const worker = this.work(route._id).catch((error: unknown) => {
        const [summary, frames] = logged(error);
        this.logger.error(`delivery to subscription ${route._id} failed: ${summary}`, frames);
      }).finally(() => this.workers.delete(route._id));
      this.workers.set(route._id, worker);
    }
  }

  /** Sends what is due for one subscription, round after round, until nothing is due or an attempt fails. */
  private async work(subscriptionId: string): Promise<void> {
    for (let round = 0; round < ROUNDS; round++) {
      const route = this.outbox.route(subscriptionId);
      if (!route || route.state.status !== 'active' || !this.holding || this.stopping.signal.aborted) return;
      const now = this.clock.now().toISOString();
      const ready = await this.laneHeads(await this.deliveries.due(subscriptionId, now, ROUND), now);
      if (ready.length === 0) return;
      let failed = false;
      const queue = [...ready];
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let next = queue.shift(); next !== undefined && !failed; next = queue.shift()) {
          if (!(await this.attempt(subscriptionId, next))) failed = true;
        }
      }));
      // A failing target is tried again at the next tick, not hammered with the rest of its queue now.
      if (failed) return;
    }
  }

  /** The first message of each lane with something due, when it is due itself; the rest of such a lane waits until it is. */
  private async laneHeads(due: readonly DeliveryDocument[], now: string): Promise<DeliveryDocument[]> {
    const lowest = new Map<string, DeliveryDocument>();
    for (const delivery of due) {
      const seen = lowest.get(delivery.lane);
      if (!seen || delivery.order < seen.order) lowest.set(delivery.lane, delivery);
    }
    const ready: DeliveryDocument[] = [];
    for (const candidate of lowest.values()) {
      const head = (await this.deliveries.before(candidate)) ?? candidate;
      if (head.nextAttemptAt <= now) ready.push(head);
      else for (const waiting of due.filter((delivery) => delivery.lane === head.lane)) await this.deliveries.park(waiting, head.nextAttemptAt);
    }
    return ready;
  }

  /** One attempt at one message; true when delivered. */
  private async attempt(subscriptionId: string, delivery: DeliveryDocument): Promise<boolean> {
    const route: Route | undefined = this.outbox.route(subscriptionId);
    if (!route || route.state.status !== 'active') return false;
    // The signature's timestamp is the wall clock's: receivers compare it with theirs to refuse replays.
    const headers = this.secrets.headers(route.state, delivery.messageId, systemClock.now(), delivery.body);
    const startedAt = this.clock.now();
    const result = await postWebhook(route.state.url, headers, delivery.body, {
      policy: this.config.webhooks, timeoutMs: this.config.webhooks.timeoutMs, signal: this.stopping.signal,
    });
    if (result.interrupted) return false;
    const now = this.clock.now();
    const attempt = { at: startedAt.toISOString(), statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs };
    if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
      if (await this.deliveries.recordAttempt(delivery, attempt, { status: 'delivered' })) this.metrics.counted('delivered');
      await this.deliveries.wakeNext(delivery, now.toISOString());
      return true;
    }
    if (result.statusCode === 410) {
      // Held for the subscription: it goes again if someone resumes it.
      if (await this.deliveries.recordAttempt(delivery, attempt, { status: 'pending', nextAttemptAt: now.toISOString() })) this.metrics.counted('gone');
      await this.disable(subscriptionId, delivery);
      return false;
    }
    const next = nextAttemptAt(delivery.attemptCount + 1, new Date(delivery.firstAttemptAt ?? attempt.at), now, this.config.webhooks.retryHours * 3_600_000);
    if (next === null) {
      if (await this.deliveries.recordAttempt(delivery, attempt, { status: 'dead' })) this.metrics.counted('dead');
      await this.deliveries.wakeNext(delivery, now.toISOString());
    } else if (await this.deliveries.recordAttempt(delivery, attempt, { status: 'pending', nextAttemptAt: next.toISOString() })) {
      this.metrics.counted('failed');
    }
    return false;
  }

  private async disable(subscriptionId: string, delivery: DeliveryDocument): Promise<void> {
    const commandId = derivedId('webhook-gone', subscriptionId, delivery._id, String(delivery.attemptCount));
    const at = this.clock.now().toISOString();
    await this.bus.execute(new ChangeWebhook({ type: 'DisableGone', subscriptionId, deliveryId: delivery._id }, {
      commandId, requestHash: requestHash({ gone: subscriptionId, delivery: delivery._id }), actor: SYSTEM_ACTOR, occurredAt: at,
      correlationId: commandId, causationId: commandId, expectedRevision: null,
    }));
    this.logger.warn(`subscription ${subscriptionId} disabled: its target answered 410 Gone`);
  }
}
