/** Notifications through webhooks: subscriptions (event-sourced), and their delivery from the log. */
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { WebhookSubscriptionsQuery } from '../projections/webhook-subscriptions/webhook-subscriptions.query.js';
import { WebhookCommands } from './commands/webhook.commands.js';
import { WebhookDispatcher } from './delivery/webhook-dispatcher.js';
import { WebhookMetrics } from './delivery/webhook-metrics.js';
import { WebhookSecrets } from './webhook-signing.js';
import { WebhooksHttpController } from './webhooks.http.controller.js';

@Module({
  imports: [MetricsModule],
  controllers: [WebhooksHttpController],
  providers: [
    WebhookCommands, WebhookSubscriptionsQuery, WebhookMetrics, WebhookDispatcher,
    { provide: WebhookSecrets, useFactory: (config: AppConfig) => new WebhookSecrets(config.masterKey), inject: [APP_CONFIG] },
  ],
})
export class WebhooksModule {}
