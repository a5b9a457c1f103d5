/**
 * Signing per the Standard Webhooks specification (standardwebhooks.com), with its maintained library:
 * `webhook-signature` is `v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under a
 * `whsec_` secret. A subscription's secret is never stored: it is derived from MASTER_KEY and the secret id
 * its stream records (HKDF, then HMAC), so the log and the views hold nothing a receiver's secret comes from
 * without the master key. After a rotation the previous secret signs too, until it expires: the header then
 * holds two signatures, and a receiver with either secret verifies.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { ExistingWebhook } from './webhook.state.js';

export class WebhookSecrets {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'rujukan/webhook-secret/v1', 32));
  }

  /** The `whsec_` secret of one subscription's secret id: what the receiver verifies with. */
  secret(subscriptionId: string, secretId: string): string {
    return `whsec_${createHmac('sha256', this.key).update(`${subscriptionId}:${secretId}`).digest('base64')}`;
  }

  /** The headers of one attempt: the message id, the time of the attempt, and the signature of every secret still valid then. */
  headers(subscription: Pick<ExistingWebhook, 'subscriptionId' | 'secretId' | 'previousSecret'>, messageId: string, sentAt: Date, body: string): Record<string, string> {
    const secretIds = [subscription.secretId];
    if (subscription.previousSecret !== null && Date.parse(subscription.previousSecret.validUntil) > sentAt.getTime()) secretIds.push(subscription.previousSecret.secretId);
    const signatures = secretIds.map((secretId) => new Webhook(this.secret(subscription.subscriptionId, secretId)).sign(messageId, sentAt, body));
    return {
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signatures.join(' '),
    };
  }
}
