/**
 * Delivery metrics, in the application's Prometheus registry: attempts by outcome (counted by the replica that
 * delivers), and read from the queue at scrape time, whichever replica is scraped: messages still to be sent
 * (held ones of paused subscriptions included), the age of the oldest, dead letters. No label carries an id.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { CLOCK, type Clock } from '../../core/clock.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { READ_STORE, type ReadStore } from '../../read-store/read-store.port.js';
import { Deliveries, type DeliveryCounts } from './deliveries.js';

export type AttemptOutcome = 'delivered' | 'failed' | 'dead' | 'gone';

@Injectable()
export class WebhookMetrics {
  private readonly attempts: Counter<'outcome'>;

  constructor(metrics: MetricsService, @Inject(READ_STORE) views: ReadStore, @Inject(CLOCK) clock: Clock) {
    const deliveries = new Deliveries(views);
    this.attempts = new Counter({
      name: 'rujukan_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), failed (retried later), dead (dead-lettered), gone (410: subscription disabled)',
      labelNames: ['outcome'], registers: [metrics.registry],
    });
    for (const outcome of ['delivered', 'failed', 'dead', 'gone'] as const) this.attempts.inc({ outcome }, 0);
    let pending: Promise<DeliveryCounts> | null = null;
    const counts = () => (pending ??= deliveries.counts().finally(() => setImmediate(() => (pending = null))));
    const gauge = (name: string, help: string, value: (counts: DeliveryCounts) => number) => new Gauge({
      name, help, registers: [metrics.registry],
      async collect() {
        this.set(value(await counts()));
      },
    });
    gauge('rujukan_webhook_queue_depth', 'Webhook messages still to be sent (held ones of paused or disabled subscriptions included)', (c) => c.pending);
    gauge('rujukan_webhook_oldest_undelivered_seconds', 'Age of the oldest webhook message still to be sent; 0 when none',
      (c) => (c.oldestPendingAt === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(c.oldestPendingAt)) / 1000)));
    gauge('rujukan_webhook_dead_letters', 'Webhook messages dead-lettered after the retry window, until redelivered', (c) => c.dead);
  }

  counted(outcome: AttemptOutcome): void {
    this.attempts.inc({ outcome });
  }
}
