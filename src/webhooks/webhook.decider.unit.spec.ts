/** Webhook subscriptions as decisions: who subscribes to whose news, the target's check, pause, 410, rotation, deletion. */
import { given } from '../core/testing/given-when-then.js';
import type { Actor } from '../core/actor.js';
import { ConflictError, ForbiddenError, InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import { mayManageWebhook, webhookDecider, type WebhookCommand } from './webhook.decider.js';
import type { WebhookEvent, WebhookScope } from './webhook.events.js';

const AT = '2026-11-02T08:00:00.000Z';
const caseworker: Actor = { userId: 'wati', role: 'caseworker', institutionId: 'rw-03' };
const admin: Actor = { userId: 'admin-1', role: 'admin' };
const system: Actor = { userId: 'system', role: 'system' };
const RW_03: WebhookScope = { level: 'institution', institutionId: 'rw-03' };
const facts = { scopeKnown: true, targetProblem: null };

const subscribe = (overrides: Partial<Extract<WebhookCommand, { type: 'Subscribe' }>> = {}): WebhookCommand => ({
  type: 'Subscribe', subscriptionId: 'wh-1', url: 'https://gateway.example.org/rujukan', eventKinds: ['referral.requested'], scope: RW_03,
  description: null, secretId: 'secret-1', actor: caseworker, at: AT, facts, ...overrides,
});
const subscribed: WebhookEvent = {
  type: 'WebhookSubscribed',
  data: { subscriptionId: 'wh-1', url: 'https://gateway.example.org/rujukan', eventKinds: ['referral.requested'], scope: RW_03, description: null, secretId: 'secret-1', at: AT },
};
const on = (type: 'Pause' | 'Resume' | 'Delete', actor: Actor = caseworker): WebhookCommand => ({ type, subscriptionId: 'wh-1', actor, at: AT });
const paused: WebhookEvent = { type: 'WebhookPaused', data: { subscriptionId: 'wh-1', at: AT } };
const disabled: WebhookEvent = { type: 'WebhookDisabled', data: { subscriptionId: 'wh-1', reason: 'gone', deliveryId: 'd-1', at: AT } };
const deleted: WebhookEvent = { type: 'WebhookDeleted', data: { subscriptionId: 'wh-1', at: AT } };
const gone: WebhookCommand = { type: 'DisableGone', subscriptionId: 'wh-1', deliveryId: 'd-1', actor: system, at: AT };

describe('webhook decider', () => {
  describe('who manages which scope', () => {
    it.each([
      [caseworker, RW_03, true],
      [caseworker, { level: 'institution', institutionId: 'posyandu' }, false],
      [caseworker, { level: 'city' }, false],
      [{ userId: 'c', role: 'coordinator', networkId: 'wksbm' }, { level: 'network', networkId: 'wksbm' }, true],
      [{ userId: 'c', role: 'coordinator', networkId: 'wksbm' }, { level: 'network', networkId: 'other' }, false],
      [{ userId: 'c', role: 'coordinator', networkId: 'wksbm' }, RW_03, false],
      [{ userId: 'd', role: 'dinsos', institutionId: 'dinsos' }, { level: 'city' }, true],
      [{ userId: 'd', role: 'dinsos', institutionId: 'dinsos' }, { level: 'institution', institutionId: 'dinsos' }, true],
      [{ userId: 'd', role: 'dinsos', institutionId: 'dinsos' }, { level: 'network', networkId: 'wksbm' }, false],
      [admin, { level: 'city' }, true],
      [{ userId: 'a', role: 'auditor' }, { level: 'city' }, false],
      [{ userId: 'a', role: 'analyst' }, RW_03, false],
    ] as [Actor, WebhookScope, boolean][])('%j on %j: %s', (actor, scope, may) => {
      expect(mayManageWebhook(actor, scope)).toBe(may);
    });
  });

  describe('subscribing', () => {
    it('records the target, the kinds, the scope and the secret by its id', () => {
      given(webhookDecider).when(subscribe()).then([subscribed]);
    });

    it("refuses a scope that is not the caller's", () => {
      given(webhookDecider).when(subscribe({ scope: { level: 'city' } })).thenThrows(ForbiddenError, { field: 'scope' });
    });

    it('refuses an institution or network that is not registered, naming the field', () => {
      given(webhookDecider).when(subscribe({ facts: { scopeKnown: false, targetProblem: null } })).thenThrows(InvalidCommandError, { field: 'scope.institutionId' });
      given(webhookDecider).when(subscribe({ actor: admin, scope: { level: 'network', networkId: 'nowhere' }, facts: { scopeKnown: false, targetProblem: null } }))
        .thenThrows(InvalidCommandError, { field: 'scope.networkId' });
    });

    it('refuses a target the check found unusable, saying why', () => {
      given(webhookDecider).when(subscribe({ facts: { scopeKnown: true, targetProblem: 'it resolves to a private address (10.0.0.7)' } }))
        .thenThrows(InvalidCommandError, { field: 'url', message: /private address \(10\.0\.0\.7\)/ });
    });

    it('refuses an id already taken', () => {
      given(webhookDecider, [subscribed]).when(subscribe()).thenThrows(ConflictError, { field: 'id' });
    });
  });

  describe('pausing and resuming', () => {
    it('pauses an active subscription once', () => {
      given(webhookDecider, [subscribed]).when(on('Pause')).then([paused]);
      given(webhookDecider, [subscribed, paused]).when(on('Pause')).thenNothing();
    });

    it('resumes a paused or disabled one, and nothing else', () => {
      given(webhookDecider, [subscribed, paused]).when(on('Resume')).then([{ type: 'WebhookResumed', data: { subscriptionId: 'wh-1', at: AT } }]);
      given(webhookDecider, [subscribed, disabled]).when(on('Resume')).then([{ type: 'WebhookResumed', data: { subscriptionId: 'wh-1', at: AT } }]);
      given(webhookDecider, [subscribed]).when(on('Resume')).thenNothing();
    });

    it('does not pause one the target disabled: it says to resume or delete', () => {
      given(webhookDecider, [subscribed, disabled]).when(on('Pause')).thenThrows(ConflictError, /resume it or delete it/);
    });

    it("refuses another institution's caseworker", () => {
      given(webhookDecider, [subscribed]).when(on('Pause', { userId: 'x', role: 'caseworker', institutionId: 'posyandu' })).thenThrows(ForbiddenError);
    });

    it('lets an admin manage any subscription', () => {
      given(webhookDecider, [subscribed]).when(on('Pause', admin)).then([paused]);
    });

    it('does not know a subscription that was never made', () => {
      given(webhookDecider).when(on('Pause')).thenThrows(NotFoundError);
    });
  });

  describe('a target that is gone (410)', () => {
    it('disables an active subscription, by the service only', () => {
      given(webhookDecider, [subscribed]).when(gone).then([disabled]);
      given(webhookDecider, [subscribed]).when({ ...gone, actor: admin }).thenThrows(ForbiddenError);
    });

    it('changes nothing on a paused or already disabled one', () => {
      given(webhookDecider, [subscribed, paused]).when(gone).thenNothing();
      given(webhookDecider, [subscribed, disabled]).when(gone).thenNothing();
    });
  });

  describe('rotating the secret', () => {
    it('keeps the previous secret signing for a day', () => {
      given(webhookDecider, [subscribed]).when({ type: 'RotateSecret', subscriptionId: 'wh-1', secretId: 'secret-2', actor: caseworker, at: AT }).then([
        { type: 'WebhookSecretRotated', data: { subscriptionId: 'wh-1', secretId: 'secret-2', previousValidUntil: '2026-11-03T08:00:00.000Z', at: AT } },
      ]);
    });
  });

  describe('deleting', () => {
    it('deletes once; a deleted subscription accepts nothing more', () => {
      given(webhookDecider, [subscribed]).when(on('Delete')).then([deleted]);
      given(webhookDecider, [subscribed, deleted]).when(on('Delete')).thenThrows(ConflictError, /was deleted/);
      given(webhookDecider, [subscribed, deleted]).when(on('Resume')).thenThrows(ConflictError);
      given(webhookDecider, [subscribed, deleted]).when({ type: 'RotateSecret', subscriptionId: 'wh-1', secretId: 's', actor: caseworker, at: AT }).thenThrows(ConflictError);
    });
  });
});
