import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AuditModule } from './audit/audit.module.js';
import { AuthGuard } from './auth/auth.guard.js';
import { TOKEN_VERIFIER_PROVIDER } from './auth/token.js';
import { CasesHttpController } from './cases/cases.http.controller.js';
import { CaseTextsQuery } from './cases/case-texts.query.js';
import { CaseCommands } from './cases/commands/case.commands.js';
import { ReferralExpiryScheduler } from './cases/referral-expiry.scheduler.js';
import { ReferralsHttpController } from './cases/referrals.http.controller.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { CLOCK, systemClock, type Clock } from './core/clock.js';
import { CommandHandling } from './core/command-handling.js';
import { CommandMapHandler, CommandMapRunner } from './core/command-map.handler.js';
import { EventStoreModule } from './event-store/event-store.module.js';
import { SERVICE_UPCASTERS } from './event-catalog.js';
import type { EventStore } from './event-store/event-store.port.js';
import { AnalyticsHttpController } from './analytics/analytics.http.controller.js';
import { ProjectionsModule } from './projections/projections.module.js';
import { ReadYourWritesGuard } from './projections/read-your-writes.guard.js';
import { ReadStoreModule } from './read-store/read-store.module.js';
import type { ReadStore } from './read-store/read-store.port.js';
import { HealthHttpController } from './health/health.http.controller.js';
import { MetricsHttpController } from './metrics/metrics.http.controller.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { CommandContextGuard } from './http/command-context.js';
import { ShutdownState } from './http/draining.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { InstitutionCommands } from './institutions/commands/institution.commands.js';
import { InstitutionsHttpController } from './institutions/institutions.http.controller.js';
import { ReferralEventsHttpController } from './institutions/referral-events.http.controller.js';
import { ReferralFeed } from './projections/referral-feed/referral-feed.js';
import { NetworkCommands } from './networks/commands/network.commands.js';
import { NetworksHttpController } from './networks/networks.http.controller.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { ReferenceHttpController } from './reference/reference.http.controller.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

export interface AppDependencies {
  readonly config: AppConfig;
  readonly eventStore: EventStore;
  readonly readStore: ReadStore;
  readonly clock?: Clock;
}

/**
 * What every slice shares: configuration, the clock, the generic command path and the one handler of
 * every command map. Global, with the two store
 * modules and the command bus, as the app's infrastructure (one instance each, configured once by forRoot);
 * every other module imports what it uses.
 */
@Global()
@Module({})
class CoreModule {
  static forRoot({ config, clock }: AppDependencies): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, { provide: CLOCK, useValue: clock ?? systemClock }, CommandHandling, CommandMapRunner, CommandMapHandler],
      exports: [APP_CONFIG, CLOCK, CommandHandling],
    };
  }
}

@Module({
  imports: [ProjectionsModule, PrivacyModule],
  controllers: [CasesHttpController, ReferralsHttpController],
  providers: [CaseCommands, CaseTextsQuery, ReferralExpiryScheduler],
})
class CasesModule {}

@Module({ imports: [UsersModule, ProjectionsModule], controllers: [InstitutionsHttpController, ReferralEventsHttpController], providers: [InstitutionCommands, ReferralFeed] })
class InstitutionsModule {}

@Module({ imports: [ProjectionsModule], controllers: [NetworksHttpController], providers: [NetworkCommands] })
class NetworksModule {}

@Module({})
export class AppModule {
  static forRoot(dependencies: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(dependencies),
        EventStoreModule.forRoot(dependencies.eventStore, SERVICE_UPCASTERS),
        ReadStoreModule.forRoot(dependencies.readStore),
        ProjectionsModule,
        MetricsModule,
        CqrsModule.forRoot(),
        InstitutionsModule,
        NetworksModule,
        PrivacyModule,
        CasesModule,
        AuditModule,
        UsersModule,
        WebhooksModule,
      ],
      controllers: [ReferenceHttpController, HealthHttpController, MetricsHttpController, AnalyticsHttpController],
      providers: [
        ShutdownState,
        TOKEN_VERIFIER_PROVIDER,
        // In this order: the actor first, then what needs it. Guards, not interceptors: see command-context.ts.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: CommandContextGuard },
        { provide: APP_GUARD, useClass: ReadYourWritesGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
