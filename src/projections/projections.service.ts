/**
 * Starts every projection with the application (each runs on whichever replica holds its lease, the others
 * stand by), stops them before the stores close, and answers "how far?".
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { READ_STORE, type ReadStore } from '../read-store/read-store.port.js';
import { analyticsProjection } from './analytics/analytics.projection.js';
import { caseSummariesProjection } from './case-summaries/case-summaries.projection.js';
import { caseTimelineProjection } from './case-timeline/case-timeline.projection.js';
import { directoryProjection } from './directory/directory.projection.js';
import { usersProjection } from './users/users.projection.js';
import { webhookSubscriptionsProjection } from './webhook-subscriptions/webhook-subscriptions.projection.js';
import { leaseOwner, projectionLease } from './lease.js';
import { CheckpointWatch, ProjectionRunner, type ProjectionStatus } from './projection-runner.js';
import type { ViewProjection } from './view-projection.js';

export const PROJECTIONS: readonly ViewProjection[] = [directoryProjection, caseSummariesProjection, caseTimelineProjection, analyticsProjection, usersProjection, webhookSubscriptionsProjection];

/**
 * How often a process whose reads wait for views another process is applying reads their checkpoints (all in
 * one query): a read waits about half as long past the checkpoint, on average.
 */
const CHECKPOINT_WATCH_MS = 10;

/** Runners for every projection, each under its lease; followers only (never running) when `runProjections` is false. */
export function projectionRunners(events: EventStore, views: ReadStore, runProjections: boolean): ProjectionRunner[] {
  const owner = leaseOwner();
  const checkpoints = new CheckpointWatch(views, CHECKPOINT_WATCH_MS);
  return PROJECTIONS.map((projection) => new ProjectionRunner(projection, events, views, { lease: projectionLease(views, projection, owner), follower: !runProjections, checkpoints }));
}

@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runners: readonly ProjectionRunner[];

  constructor(@Inject(EVENT_STORE) events: EventStore, @Inject(READ_STORE) views: ReadStore, @Inject(APP_CONFIG) config: AppConfig) {
    this.runners = projectionRunners(events, views, config.runProjections);
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
