/**
 * The operator's view of webhook delivery (`npx rujukan webhooks status|redeliver`), straight from the read
 * store: how far the outbox has queued the log, and per subscription what waits, what was delivered, what was
 * dead-lettered; and sending again what was dead-lettered (the delivering replica picks it up within a second).
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { isValidId } from '../core/ids.js';
import { projectionLag } from '../projections/lag.js';
import { WebhookSubscriptionsQuery } from '../projections/webhook-subscriptions/webhook-subscriptions.query.js';
import { openStores } from '../stores.js';
import { Deliveries } from '../webhooks/delivery/deliveries.js';
import { outboxCheckpoint } from '../webhooks/delivery/webhook-outbox.js';
import type { WebhookScope } from '../webhooks/webhook.events.js';

const scopeOf = (scope: WebhookScope): string =>
  scope.level === 'institution' ? `institution ${scope.institutionId}` : scope.level === 'network' ? `network ${scope.networkId}` : 'city';

/** Seconds since `at`, rounded; '-' for none. */
const age = (at: string | null, now: Date): string | number => (at === null ? '-' : Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000)));

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook subscriptions and their deliveries');

  webhooks
    .command('status')
    .description('how far the outbox has queued the log; per subscription: status, messages waiting (and the oldest one\'s age), delivered, dead-lettered')
    .action(async () => {
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        const now = new Date();
        const position = await outboxCheckpoint(readStore);
        const lag = await projectionLag(eventStore, position, now);
        console.log(`Outbox: ${position === null ? 'not started' : `at position ${position}`}, ${lag.eventsBehind} events behind (${Math.round(lag.secondsBehind)} s).`);
        const deliveries = new Deliveries(readStore);
        const subscriptions = await new WebhookSubscriptionsQuery(readStore).all();
        if (subscriptions.length === 0) return console.log('No webhook subscriptions.');
        const rows = await Promise.all(subscriptions.map(async ({ state }) => {
          const counts = await deliveries.counts(state.subscriptionId);
          return {
            subscription: state.subscriptionId, scope: scopeOf(state.scope), target: new URL(state.url).origin, status: state.status,
            pending: counts.pending, oldestPendingSeconds: age(counts.oldestPendingAt, now), delivered: counts.delivered, dead: counts.dead,
            lastDeliveredAt: counts.lastDeliveredAt ?? '-',
          };
        }));
        console.table(rows);
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });

  webhooks
    .command('redeliver')
    .description('send again every dead-lettered message of a subscription, or one delivery (same body, same webhook-id, a new retry window)')
    .argument('<subscriptionId>', 'the subscription')
    .option('--delivery <id>', 'one delivery, whatever became of it')
    .action(async (subscriptionId: string, options: { delivery?: string }) => {
      if (!isValidId(subscriptionId)) return program.error(`not a subscription id: ${subscriptionId}`);
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        const known = (await new WebhookSubscriptionsQuery(readStore).all()).some((document) => document._id === subscriptionId);
        if (!known) return program.error(`no webhook subscription ${subscriptionId}`);
        const deliveries = new Deliveries(readStore);
        if (options.delivery !== undefined && !(await deliveries.find(subscriptionId, options.delivery))) {
          return program.error(`subscription ${subscriptionId} has no delivery ${options.delivery}`);
        }
        const count = await deliveries.redeliver(subscriptionId, new Date().toISOString(), options.delivery);
        console.log(count === 0 ? 'Nothing to send again.' : `Queued again: ${count} message(s); the delivering replica sends them shortly.`);
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });
}
