/** Starts every projection with the application, stops them before the stores close, and answers "how far?". */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { READ_STORE, type ReadStore } from '../read-store/read-store.port.js';
import { analyticsProjection } from './analytics/analytics.projection.js';
import { caseSummariesProjection } from './case-summaries/case-summaries.projection.js';
import { caseTimelineProjection } from './case-timeline/case-timeline.projection.js';
import { directoryProjection } from './directory/directory.projection.js';
import { usersProjection } from './users/users.projection.js';
import { webhookSubscriptionsProjection } from './webhook-subscriptions/webhook-subscriptions.projection.js';
import type { Projection } from './projection.js';
import { ProjectionRunner, type ProjectionStatus } from './projection-runner.js';

export const PROJECTIONS: readonly Projection[] = [directoryProjection, caseSummariesProjection, caseTimelineProjection, analyticsProjection, usersProjection, webhookSubscriptionsProjection];

@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runners: readonly ProjectionRunner[];

  constructor(@Inject(EVENT_STORE) events: EventStore, @Inject(READ_STORE) views: ReadStore) {
    this.runners = PROJECTIONS.map((projection) => new ProjectionRunner(projection, events, views));
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const runner of this.runners) await runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  statuses(): ProjectionStatus[] {
    return this.runners.map((runner) => runner.status());
  }

  /** True once every view has applied the log up to `position`; false when `timeoutMs` passes first. */
  async reached(position: bigint, timeoutMs: number): Promise<boolean> {
    const results = await Promise.all(this.runners.map((runner) => runner.reached(position, timeoutMs)));
    return results.every(Boolean);
  }
}
