/** Receivers verify what Rujukan signs with the maintained standardwebhooks library, before and after a rotation. */
import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { WebhookSecrets } from './webhook-signing.js';

const secrets = new WebhookSecrets(randomBytes(32));
const body = JSON.stringify({ type: 'referral.requested', timestamp: '2026-11-02T08:00:00.000Z', data: { caseId: 'c-1' } });
const subscription = { subscriptionId: 'wh-1', secretId: 'secret-1', previousSecret: null };

describe('webhook signing', () => {
  it('signs so that the standardwebhooks library verifies the body with the subscription secret', () => {
    const secret = secrets.secret('wh-1', 'secret-1');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = secrets.headers(subscription, 'msg_1', new Date(), body);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('gives each subscription and each secret id its own secret, the same one every time', () => {
    expect(secrets.secret('wh-1', 'secret-1')).toBe(secrets.secret('wh-1', 'secret-1'));
    expect(secrets.secret('wh-1', 'secret-2')).not.toBe(secrets.secret('wh-1', 'secret-1'));
    expect(secrets.secret('wh-2', 'secret-1')).not.toBe(secrets.secret('wh-1', 'secret-1'));
    expect(new WebhookSecrets(randomBytes(32)).secret('wh-1', 'secret-1')).not.toBe(secrets.secret('wh-1', 'secret-1'));
  });

  it('fails verification for a changed body, another secret or a stale timestamp', () => {
    const headers = secrets.headers(subscription, 'msg_1', new Date(), body);
    expect(() => new Webhook(secrets.secret('wh-1', 'secret-1')).verify(body.replace('c-1', 'c-2'), headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secrets.secret('wh-1', 'other')).verify(body, headers)).toThrow(WebhookVerificationError);
    const old = secrets.headers(subscription, 'msg_1', new Date(Date.now() - 3_600_000), body);
    expect(() => new Webhook(secrets.secret('wh-1', 'secret-1')).verify(body, old)).toThrow(/too old/);
  });

  it('signs with both secrets while the previous one is valid, then with the new one only', () => {
    const now = new Date();
    const rotated = { subscriptionId: 'wh-1', secretId: 'secret-2', previousSecret: { secretId: 'secret-1', validUntil: new Date(now.getTime() + 60_000).toISOString() } };
    const during = secrets.headers(rotated, 'msg_2', now, body);
    expect(during['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(secrets.secret('wh-1', 'secret-1')).verify(body, during)).toBeTruthy();
    expect(new Webhook(secrets.secret('wh-1', 'secret-2')).verify(body, during)).toBeTruthy();
    const after = secrets.headers({ ...rotated, previousSecret: { secretId: 'secret-1', validUntil: now.toISOString() } }, 'msg_3', now, body);
    expect(after['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(secrets.secret('wh-1', 'secret-1')).verify(body, after)).toThrow(WebhookVerificationError);
  });
});
