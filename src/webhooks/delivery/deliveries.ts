/**
 * The delivery queue and log (`webhook_deliveries` in the read store): one document per message and
 * subscription, made once (its id derives from both, written with $setOnInsert) so a replay of the log never
 * queues a message twice. It keeps the exact body, whether it is still to be sent, every attempt (when, the
 * answer or the error, how long it took) and the next try. Messages of one subscription about one case form
 * a lane, sent in log order: the next is not sent before the one before it is delivered or dead-lettered.
 * Every change is a guarded update (FerretDB-safe, and a stale sender cannot overwrite a newer attempt).
 */
import { derivedId } from '../../core/ids.js';
import { findPage, type Page } from '../../read-store/pagination.js';
import type { Document, Filter, IndexSpec, ReadCollection, ReadStore, WriteOperation } from '../../read-store/read-store.port.js';
import type { WebhookEventKind } from '../webhook.events.js';
import type { WebhookMessage } from '../webhook-messages.js';

export const WEBHOOK_DELIVERIES = 'webhook_deliveries';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'dropped'] as const;
/** `pending`: to be sent (or held while its subscription is paused); `dead`: retried for the whole window; `dropped`: its subscription was deleted. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Attempt {
  readonly at: string;
  /** The target's HTTP status, or null when there was no answer. */
  readonly statusCode: number | null;
  /** Why there was no (good) answer: refused, timed out, the target's address forbidden… */
  readonly error: string | null;
  readonly latencyMs: number;
}

export interface DeliveryDocument extends Document {
  readonly subscriptionId: string;
  /** `webhook-id`. */
  readonly messageId: string;
  readonly kind: WebhookEventKind;
  readonly caseId: string;
  /** `<subscriptionId>/<caseId>`: delivered in `order`. */
  readonly lane: string;
  /** The log position of the event (an SLA warning sorts just after the case's position when it was made). */
  readonly order: number;
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
  /** Start of the retry window; reset by a manual redelivery. */
  readonly firstAttemptAt: string | null;
  readonly attemptCount: number;
  readonly attempts: readonly Attempt[];
  readonly deliveredAt: string | null;
  readonly deadAt: string | null;
}

export const DELIVERY_INDEXES: readonly IndexSpec[] = [
  { keys: { subscriptionId: 1, status: 1, nextAttemptAt: 1 } },
  { keys: { lane: 1, status: 1, order: 1 } },
  { keys: { status: 1, createdAt: 1 } },
  { keys: { subscriptionId: 1, createdAt: -1 } },
];

export const deliveryId = (subscriptionId: string, messageId: string): string => derivedId('webhook-delivery', subscriptionId, messageId);

/** Queues `message` for a subscription, once: a second write of the same message changes nothing. */
export function enqueue(subscriptionId: string, message: WebhookMessage, order: number, now: string): WriteOperation {
  const document: DeliveryDocument = {
    _id: deliveryId(subscriptionId, message.messageId),
    subscriptionId,
    messageId: message.messageId,
    kind: message.kind,
    caseId: message.caseId,
    lane: `${subscriptionId}/${message.caseId}`,
    order,
    body: message.body,
    status: 'pending',
    createdAt: now,
    nextAttemptAt: now,
    firstAttemptAt: null,
    attemptCount: 0,
    attempts: [],
    deliveredAt: null,
    deadAt: null,
  };
  const { _id, ...fields } = document;
  return { updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } };
}

export interface DeliveryCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
  /** When the oldest message still to be sent was queued, or null. */
  readonly oldestPendingAt: string | null;
  readonly lastDeliveredAt: string | null;
}

export class Deliveries {
  readonly collection: ReadCollection<DeliveryDocument>;

  constructor(views: ReadStore) {
    this.collection = views.collection<DeliveryDocument>(WEBHOOK_DELIVERIES);
  }

  async createIndexes(): Promise<void> {
    for (const index of DELIVERY_INDEXES) await this.collection.createIndex(index);
  }

  /** Messages of a subscription due now, soonest first. */
  due(subscriptionId: string, now: string, limit: number): Promise<DeliveryDocument[]> {
    return this.collection.find({ subscriptionId, status: 'pending', nextAttemptAt: { $lte: now } }, { sort: { nextAttemptAt: 1, order: 1 }, limit });
  }

  /** The first message of the lane still to be sent before `delivery`, if any: it goes first. */
  async before(delivery: DeliveryDocument): Promise<DeliveryDocument | null> {
    const [first] = await this.collection.find({ lane: delivery.lane, status: 'pending', order: { $lt: delivery.order } }, { sort: { order: 1 }, limit: 1 });
    return first ?? null;
  }

  /** Holds a message back until the one before it in its lane is due again. */
  async park(delivery: DeliveryDocument, until: string): Promise<void> {
    await this.collection.bulkWrite([{ updateOne: { filter: { _id: delivery._id, status: 'pending', attemptCount: delivery.attemptCount }, update: { $set: { nextAttemptAt: until } } } }]);
  }

  /** Records one attempt; `outcome` says what follows. False when someone else recorded this attempt first. */
  async recordAttempt(
    delivery: DeliveryDocument,
    attempt: Attempt,
    outcome: { readonly status: 'delivered' } | { readonly status: 'dead' } | { readonly status: 'pending'; readonly nextAttemptAt: string },
  ): Promise<boolean> {
    const result = await this.collection.bulkWrite([{
      updateOne: {
        filter: { _id: delivery._id, status: 'pending', attemptCount: delivery.attemptCount },
        update: {
          $set: {
            status: outcome.status,
            firstAttemptAt: delivery.firstAttemptAt ?? attempt.at,
            ...(outcome.status === 'pending' ? { nextAttemptAt: outcome.nextAttemptAt } : {}),
            ...(outcome.status === 'delivered' ? { deliveredAt: attempt.at } : {}),
            ...(outcome.status === 'dead' ? { deadAt: attempt.at } : {}),
          },
          $inc: { attemptCount: 1 },
          $push: { attempts: attempt },
        },
      },
    }]);
    return result.modified === 1;
  }

  /** Once a message is delivered or dead-lettered, the next of its lane may go at once. */
  async wakeNext(delivery: DeliveryDocument, now: string): Promise<void> {
    const [next] = await this.collection.find({ lane: delivery.lane, status: 'pending', order: { $gt: delivery.order } }, { sort: { order: 1 }, limit: 1 });
    if (next && next.nextAttemptAt > now) {
      await this.collection.bulkWrite([{ updateOne: { filter: { _id: next._id, status: 'pending', attemptCount: next.attemptCount }, update: { $set: { nextAttemptAt: now } } } }]);
    }
  }

  /** A deleted subscription's messages are not sent: marked dropped, some at a time. Returns how many. */
  async drop(subscriptionId: string, limit = 500): Promise<number> {
    const pending = await this.collection.find({ subscriptionId, status: 'pending' }, { limit });
    if (pending.length === 0) return 0;
    const result = await this.collection.bulkWrite(pending.map((delivery) => ({
      updateOne: { filter: { _id: delivery._id, status: 'pending' }, update: { $set: { status: 'dropped' } } },
    })));
    return result.modified;
  }

  /**
   * Sends again: one message (whatever became of it), or every dead-lettered one of the subscription. Same
   * body, same `webhook-id`; a new retry window. Returns the messages queued again.
   */
  async redeliver(subscriptionId: string, now: string, messageDeliveryId?: string): Promise<number> {
    const filter: Filter = messageDeliveryId === undefined
      ? { subscriptionId, status: 'dead' }
      : { _id: messageDeliveryId, subscriptionId, status: { $in: ['delivered', 'dead', 'pending'] } };
    const chosen = await this.collection.find(filter, { limit: 10_000 });
    if (chosen.length === 0) return 0;
    const result = await this.collection.bulkWrite(chosen.map((delivery) => ({
      updateOne: {
        filter: { _id: delivery._id, status: delivery.status, attemptCount: delivery.attemptCount },
        update: { $set: { status: 'pending', nextAttemptAt: now, firstAttemptAt: null, deadAt: null } },
      },
    })));
    return result.modified;
  }

  find(subscriptionId: string, messageDeliveryId: string): Promise<DeliveryDocument | null> {
    return this.collection.findOne({ _id: messageDeliveryId, subscriptionId });
  }

  /** A subscription's delivery log, newest first. */
  page(subscriptionId: string, status: DeliveryStatus | undefined, page: { cursor: string | null; limit: number }): Promise<Page<DeliveryDocument>> {
    return findPage(this.collection, { subscriptionId, ...(status ? { status } : {}) }, { sort: { createdAt: -1 }, ...page });
  }

  async counts(subscriptionId?: string): Promise<DeliveryCounts> {
    const scope: Filter = subscriptionId === undefined ? {} : { subscriptionId };
    const [pending, delivered, dead, [oldest], [last]] = await Promise.all([
      this.collection.countDocuments({ ...scope, status: 'pending' }),
      this.collection.countDocuments({ ...scope, status: 'delivered' }),
      this.collection.countDocuments({ ...scope, status: 'dead' }),
      this.collection.find({ ...scope, status: 'pending' }, { sort: { createdAt: 1 }, limit: 1 }),
      this.collection.find({ ...scope, status: 'delivered' }, { sort: { deliveredAt: -1 }, limit: 1 }),
    ]);
    return { pending, delivered, dead, oldestPendingAt: oldest?.createdAt ?? null, lastDeliveredAt: last?.deliveredAt ?? null };
  }
}
