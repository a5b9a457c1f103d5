/**
 * Prometheus metrics. Labels are route templates and codes only — never an id from a URL,
 * a query string or anything a person typed — so no personal data can reach a metric.
 */
import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { projectionLag } from '../projections/lag.js';
import { ProjectionsService } from '../projections/projections.service.js';

interface ProjectionReading {
  readonly name: string;
  readonly position: number;
  readonly running: boolean;
  readonly active: boolean;
  readonly failures: number;
  /** The halt's event position and error name, when halted. */
  readonly halted: { readonly position: number; readonly error: string } | null;
  readonly eventsBehind: number;
  readonly secondsBehind: number;
}

async function readProjections(projections: ProjectionsService, events: EventStore): Promise<ProjectionReading[]> {
  return Promise.all(projections.runners.map(async (runner) => {
    const status = runner.status();
    const lag = await projectionLag(events, status.position === null ? null : BigInt(status.position), new Date());
    return {
      name: status.name, position: status.position === null ? 0 : Number(status.position), running: status.running,
      active: status.state === 'running' || status.state === 'retrying', failures: status.failures,
      halted: status.halted && { position: Number(status.halted.position), error: status.halted.error }, ...lag,
    };
  }));
}

@Injectable()
export class MetricsService {
  /** One registry per application instance, so several apps in one process (tests) do not collide. */
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route'>;

  constructor(projections: ProjectionsService, @Inject(EVENT_STORE) events: EventStore) {
    collectDefaultMetrics({ register: this.registry, prefix: 'rujukan_' });
    this.requests = new Counter({
      name: 'rujukan_http_requests_total', help: 'HTTP requests by route template and status', labelNames: ['method', 'route', 'status'], registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'rujukan_http_request_duration_seconds', help: 'HTTP request duration by route template', labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
    });
    // Read at scrape time, so the lag is current without a timer; one read serves every gauge of a scrape.
    let pending: Promise<ProjectionReading[]> | null = null;
    const readings = () => (pending ??= readProjections(projections, events).finally(() => setImmediate(() => (pending = null))));
    const gauge = (name: string, help: string, value: (reading: ProjectionReading) => number) => new Gauge({
      name, help, labelNames: ['projection'], registers: [this.registry],
      async collect() {
        for (const reading of await readings()) this.set({ projection: reading.name }, value(reading));
      },
    });
    gauge('rujukan_projection_position', 'Log position a projection has applied', (reading) => reading.position);
    gauge('rujukan_projection_events_behind', 'Events in the log not yet applied (counted up to 10,000)', (reading) => reading.eventsBehind);
    gauge('rujukan_projection_seconds_behind', 'Age of the oldest event not yet applied', (reading) => reading.secondsBehind);
    gauge('rujukan_projection_running', '1 while a projection is kept current (here or on the replica holding its lease), 0 once it halted or stopped', (reading) => (reading.running ? 1 : 0));
    gauge('rujukan_projection_active', '1 where this replica holds the projection\'s lease and applies the log', (reading) => (reading.active ? 1 : 0));
    gauge('rujukan_projection_failures', 'Failed attempts since the projection last applied a batch (being retried with backoff)', (reading) => reading.failures);
    gauge('rujukan_projection_halted_position', 'Log position of the poison event a projection halted at, 0 when not halted', (reading) => reading.halted?.position ?? 0);
    new Gauge({
      name: 'rujukan_projection_halted', help: '1 for a projection halted at a poison event, labelled with the error\'s name', labelNames: ['projection', 'error'], registers: [this.registry],
      async collect() {
        this.reset();
        for (const reading of await readings()) this.set({ projection: reading.name, error: reading.halted?.error ?? '' }, reading.halted ? 1 : 0);
      },
    });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.durations.observe({ method, route }, seconds);
  }
}
