/**
 * Expires requested referrals past their due time (docs/domain.md): finds them in the referral view and issues
 * `ExpireReferral` with the system as actor. The command id is derived from the referral, so running twice
 * (or on two replicas) appends once; a lease keeps it to one place at a time. It keeps no state of its own,
 * so a restart simply carries on.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { DomainError } from '../core/domain-error.js';
import { logged } from '../core/error-log.js';
import { requestHash } from '../core/event-envelope.js';
import { derivedId, newId } from '../core/ids.js';
import { REFERRALS, type ReferralDocument } from '../projections/case-summaries/case-summaries.projection.js';
import { Lease } from '../projections/lease.js';
import { READ_STORE, type ReadStore } from '../read-store/read-store.port.js';
import { ChangeCase } from './commands/case.commands.js';

const BATCH = 200;

@Injectable()
export class ReferralExpiryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReferralExpiry');
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;

  constructor(
    private readonly bus: CommandBus,
    @Inject(READ_STORE) private readonly views: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.lease = new Lease(views, 'referral-expiry', newId(), Math.max(3 * config.expiryIntervalSeconds, 30) * 1000);
  }

  onApplicationBootstrap(): void {
    if (this.config.expiryIntervalSeconds === 0) return;
    this.timer = setInterval(() => void this.tick(), this.config.expiryIntervalSeconds * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.lease.release();
  }

  /** One pass: expires what is due now; returns how many referrals it expired. Never runs twice at once. */
  tick(): Promise<number> {
    this.running ??= this.expireDue().catch((error: unknown) => {
      const [summary, frames] = logged(error);
      this.logger.error(`pass failed: ${summary}`, frames);
      return 0;
    }).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async expireDue(): Promise<number> {
    const now = this.clock.now();
    if (!(await this.lease.acquire(now))) return 0;
    const due = await this.views.collection<ReferralDocument>(REFERRALS).find(
      { status: 'requested', dueAt: { $lte: now.toISOString() } }, { sort: { dueAt: 1 }, limit: BATCH });
    let expired = 0;
    for (const referral of due) {
      const commandId = derivedId('expire', referral._id);
      try {
        const result = await this.bus.execute(new ChangeCase({ type: 'ExpireReferral', caseId: referral.caseId, referralId: referral._id }, {
          commandId,
          requestHash: requestHash({ expire: referral._id }),
          actor: SYSTEM_ACTOR,
          occurredAt: now.toISOString(),
          correlationId: commandId,
          causationId: commandId,
          expectedRevision: null,
        }));
        if (!result.replayed) expired++;
      } catch (error) {
        // The view lagged behind a decision (accepted, declined, cancelled): nothing to expire.
        if (!(error instanceof DomainError)) throw error;
      }
    }
    if (expired > 0) this.logger.log(`expired ${expired} referral(s) past their due time`);
    return expired;
  }
}
