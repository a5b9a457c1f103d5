/** Reads of the subscriptions view: each caller sees the subscriptions of what they manage (auditors and admins all). */
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../../core/actor.js';
import { findPage, type Page } from '../../read-store/pagination.js';
import { READ_STORE, type Filter, type ReadStore } from '../../read-store/read-store.port.js';
import type { WebhookStatus } from '../../webhooks/webhook.state.js';
import { WEBHOOK_SUBSCRIPTIONS, type WebhookSubscriptionDocument } from './webhook-subscriptions.projection.js';

/** The subscriptions `actor` may see; a role with none sees none. */
function visibleTo(actor: Actor): Filter {
  switch (actor.role) {
    case 'admin':
    case 'auditor':
      return {};
    case 'dinsos':
      return { $or: [{ scopeLevel: 'city' }, ...(actor.institutionId ? [{ institutionId: actor.institutionId }] : [])] };
    case 'caseworker':
      return { institutionId: actor.institutionId, scopeLevel: 'institution' };
    case 'coordinator':
      return { networkId: actor.networkId, scopeLevel: 'network' };
    default:
      return { _id: { $in: [] } };
  }
}

@Injectable()
export class WebhookSubscriptionsQuery {
  constructor(@Inject(READ_STORE) private readonly views: ReadStore) {}

  /** Without a status, every subscription but the deleted ones. */
  list(actor: Actor, status: WebhookStatus | undefined, page: { cursor: string | null; limit: number }): Promise<Page<WebhookSubscriptionDocument>> {
    const filter: Filter = { $and: [visibleTo(actor), status ? { status } : { status: { $ne: 'deleted' } }] };
    return findPage(this.views.collection<WebhookSubscriptionDocument>(WEBHOOK_SUBSCRIPTIONS), filter, { sort: { _id: 1 }, ...page });
  }

  /** Subscriptions of every status, for the operator's command line. */
  all(): Promise<WebhookSubscriptionDocument[]> {
    return this.views.collection<WebhookSubscriptionDocument>(WEBHOOK_SUBSCRIPTIONS).find({}, { sort: { _id: 1 } });
  }
}
