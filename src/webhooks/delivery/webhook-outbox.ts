/**
 * The reactor that turns the log into deliveries (DESIGN §7's runner, for webhooks): it follows the case and
 * webhook streams from its own checkpoint and, for each case event some subscription wants, queues one
 * delivery per subscription (deliveries.ts). It keeps what it needs of each subscription (its "route": the
 * folded state, and the positions between which it receives news) beside its checkpoint, so it decides, at
 * every position, exactly as the log says things were then: a subscription made after an event never receives
 * it, a deleted one receives nothing after its deletion. Writes go deliveries first, routes next, checkpoint
 * last; a crash in between replays the batch, which queues nothing twice (deliveries are made once) and
 * decides the same (routes are position-exact). Paused and disabled subscriptions still get their deliveries
 * queued: they are held, not lost, until resumed.
 */
import { Logger } from '@nestjs/common';
import { caseDecider } from '../../cases/case.decider.js';
import { CASE_STREAM_PREFIX, caseStreamId, type CaseEventType } from '../../cases/case.events.js';
import type { ExistingCase } from '../../cases/case.state.js';
import { loadInstitution } from '../../cases/commands/case-facts.js';
import type { CommandHandling } from '../../core/command-handling.js';
import { logged } from '../../core/error-log.js';
import { EventStoreUnavailableError, type EventStore, type RecordedEvent, type Subscription, type SubscriptionMessage } from '../../event-store/event-store.port.js';
import { ReadStoreUnavailableError, type Document, type ReadStore, type WriteOperation } from '../../read-store/read-store.port.js';
import { WEBHOOK_STREAM_PREFIX, type WebhookEvent, type WebhookEventKind } from '../webhook.events.js';
import { caseEventMessage, messageKind, namedInstitutions, scopeCovers, type InstitutionNames, type WebhookMessage } from '../webhook-messages.js';
import { evolveWebhook, initialWebhookState, type ExistingWebhook } from '../webhook.state.js';
import { enqueue, WEBHOOK_DELIVERIES } from './deliveries.js';

export const WEBHOOK_ROUTES = 'webhook_routes';
export const WEBHOOK_OUTBOX = 'webhook_outbox';
const CHECKPOINT_ID = 'checkpoint';
const BATCH = 200;
/**
 * How long the checkpoint of batches that queue nothing and change no route may stay unwritten (it is kept in
 * memory meanwhile, then written on its own, and on stop): under a steady load of commands nobody subscribed
 * to, a write of the views database per batch cost the API more than its own appends. A crash then replays at
 * most this much more of the log, which queues nothing twice.
 */
const QUIET_CHECKPOINT_MS = 1_000;

export interface Route extends Document {
  readonly state: ExistingWebhook;
  /** Receives news of events after this position… */
  readonly subscribedPosition: number;
  /** …and before this one, once deleted. */
  readonly deletedPosition: number | null;
  readonly lastPosition: number;
}

interface CheckpointDocument extends Document {
  readonly position: string;
}

/** How far the outbox has queued the log (for the command line: the running one knows it in memory). */
export async function outboxCheckpoint(views: ReadStore): Promise<bigint | null> {
  const stored = await views.collection<CheckpointDocument>(WEBHOOK_OUTBOX).findOne({ _id: CHECKPOINT_ID });
  return stored ? BigInt(stored.position) : null;
}

/** Whether a subscription receives news of `kind` recorded at `position`, before its scope is looked at. */
export function receivesAt(route: Route, kind: WebhookEventKind, position: number): boolean {
  return route.subscribedPosition < position && (route.deletedPosition === null || position < route.deletedPosition) && route.state.eventKinds.includes(kind);
}

/** The names of institutions as their streams hold them now. */
export async function institutionNames(commands: CommandHandling, ids: readonly string[]): Promise<InstitutionNames> {
  const names = new Map<string, string>();
  for (const id of new Set(ids)) {
    const institution = await loadInstitution(commands, id);
    if (institution.status !== 'unregistered') names.set(id, institution.name);
  }
  return names;
}

export class WebhookOutbox {
  private readonly logger = new Logger('WebhookOutbox');
  private readonly routeMap = new Map<string, Route>();
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private checkpoint: bigint | null = null;
  /** The checkpoint as last written, and when (`performance.now()`). */
  private written: { position: bigint | null; at: number } = { position: null, at: 0 };
  private quietWrite: NodeJS.Timeout | undefined;
  /** Checkpoint writes, one after another, so a late one never puts the stored checkpoint back. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: EventStore,
    private readonly views: ReadStore,
    private readonly commands: CommandHandling,
    private readonly options: { readonly publicUrl: string; readonly now: () => Date; readonly onQueued: () => void },
  ) {}

  get running(): boolean {
    return this.loop !== null;
  }

  /** The last position the outbox has queued everything up to. */
  get position(): bigint | null {
    return this.checkpoint;
  }

  routes(): readonly Route[] {
    return [...this.routeMap.values()];
  }

  route(subscriptionId: string): Route | undefined {
    return this.routeMap.get(subscriptionId);
  }

  async start(): Promise<void> {
    if (this.loop) return;
    const [checkpoint, routes] = await Promise.all([outboxCheckpoint(this.views), this.views.collection<Route>(WEBHOOK_ROUTES).find({})]);
    this.checkpoint = checkpoint;
    this.written = { position: checkpoint, at: performance.now() };
    this.routeMap.clear();
    for (const route of routes) this.routeMap.set(route._id, route);
    const subscription = this.events.subscribeToAll({
      fromPosition: this.checkpoint ?? 'start', filter: { streamPrefixes: [CASE_STREAM_PREFIX, WEBHOOK_STREAM_PREFIX] },
    });
    this.subscription = subscription;
    this.loop = this.follow(subscription).catch(async (error: unknown) => {
      const [summary, frames] = logged(error);
      const message = `stopped at position ${this.checkpoint ?? 'start'} (restarts on the next tick): ${summary}`;
      // A store out of reach is waited out: a warning; anything else is a fault.
      if (error instanceof ReadStoreUnavailableError || error instanceof EventStoreUnavailableError) this.logger.warn(message);
      else this.logger.error(message, frames);
      await subscription.close();
    }).finally(() => {
      this.loop = null;
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = null;
    clearTimeout(this.quietWrite);
    this.quietWrite = undefined;
    await this.writeQuietCheckpoint();
  }

  private async follow(subscription: Subscription): Promise<void> {
    const messages = subscription[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<SubscriptionMessage>> | null = null;
    for (;;) {
      const batch: RecordedEvent[] = [];
      let upTo: bigint | null = null;
      // Take what is there (waiting only for the first message), up to a batch.
      for (;;) {
        const next: Promise<IteratorResult<SubscriptionMessage>> = pending ?? messages.next();
        pending = null;
        const result: IteratorResult<SubscriptionMessage> | null = batch.length === 0 && upTo === null ? await next : await Promise.race([next, new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
        if (result === null) {
          pending = next;
          break;
        }
        if (result.done) {
          await this.commit(batch, upTo);
          return;
        }
        const message: SubscriptionMessage = result.value;
        if (message.type === 'event') {
          batch.push(message.event);
          upTo = message.event.position;
        } else if (message.type === 'checkpoint') {
          upTo = message.position;
        }
        if (batch.length >= BATCH || message.type === 'caughtUp') break;
      }
      await this.commit(batch, upTo);
    }
  }

  private async commit(batch: readonly RecordedEvent[], upTo: bigint | null): Promise<void> {
    const deliveries: WriteOperation[] = [];
    const changed = new Set<string>();
    for (const event of batch) {
      if (event.streamId.startsWith(WEBHOOK_STREAM_PREFIX)) {
        const route = this.apply(event);
        if (route) changed.add(route._id);
      } else {
        deliveries.push(...await this.queue(event));
      }
    }
    if (deliveries.length === 0 && changed.size === 0 && upTo !== null && performance.now() - this.written.at < QUIET_CHECKPOINT_MS) {
      this.checkpoint = upTo;
      this.quietWrite ??= setTimeout(() => {
        this.quietWrite = undefined;
        void this.writeQuietCheckpoint();
      }, QUIET_CHECKPOINT_MS);
      return;
    }
    // In this order, in one transaction where the store has them: a crash between two leaves a replay to repair it.
    await this.serialized(() => this.views.writeTogether([
      { collection: WEBHOOK_DELIVERIES, operations: deliveries },
      { collection: WEBHOOK_ROUTES, operations: [...changed].map((id) => ({ replaceOne: { filter: { _id: id }, replacement: this.routeMap.get(id)!, upsert: true } })) },
      ...(upTo === null ? [] : [{
        collection: WEBHOOK_OUTBOX,
        operations: [{ replaceOne: { filter: { _id: CHECKPOINT_ID }, replacement: { _id: CHECKPOINT_ID, position: upTo.toString() }, upsert: true } }],
      }]),
    ]));
    if (upTo !== null) {
      this.checkpoint = upTo;
      this.written = { position: upTo, at: performance.now() };
    }
    if (deliveries.length > 0) this.options.onQueued();
  }

  /** Writes the checkpoint kept in memory for quiet batches, if it is ahead of the stored one. */
  private async writeQuietCheckpoint(): Promise<void> {
    try {
      await this.serialized(async () => {
        const position = this.checkpoint;
        if (position === null || (this.written.position !== null && position <= this.written.position)) return;
        await this.views.collection(WEBHOOK_OUTBOX).bulkWrite([
          { replaceOne: { filter: { _id: CHECKPOINT_ID }, replacement: { _id: CHECKPOINT_ID, position: position.toString() }, upsert: true } },
        ]);
        this.written = { position, at: performance.now() };
      });
    } catch (error) {
      // The next batch's write, or the next quiet one, carries it.
      this.logger.warn(`could not write the checkpoint: ${logged(error)[0]}`);
    }
  }

  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const done = this.writing.then(write);
    this.writing = done.then(() => undefined, () => undefined);
    return done;
  }

  private apply(event: RecordedEvent): Route | null {
    const subscriptionId = event.streamId.slice(WEBHOOK_STREAM_PREFIX.length);
    const position = Number(event.position);
    const known = this.routeMap.get(subscriptionId);
    if (known && position <= known.lastPosition) return null;
    const typed = { type: event.type, data: event.data } as WebhookEvent;
    const state = evolveWebhook(known?.state ?? initialWebhookState, typed);
    if (state.status === 'none') return null;
    const route: Route = {
      _id: subscriptionId,
      state,
      subscribedPosition: typed.type === 'WebhookSubscribed' ? position : known!.subscribedPosition,
      deletedPosition: typed.type === 'WebhookDeleted' ? position : known?.deletedPosition ?? null,
      lastPosition: position,
    };
    this.routeMap.set(subscriptionId, route);
    return route;
  }

  /** The deliveries of one case event: one per subscription that receives it. */
  private async queue(event: RecordedEvent): Promise<WriteOperation[]> {
    const kind = messageKind(event.type as CaseEventType);
    const position = Number(event.position);
    if (kind === null) return [];
    const candidates = [...this.routeMap.values()].filter((route) => receivesAt(route, kind, position));
    if (candidates.length === 0) return [];
    const { state } = await this.commands.load(caseDecider, caseStreamId(event.streamId.slice(CASE_STREAM_PREFIX.length)));
    if (state.status === 'none') return [];
    const message = await this.message(event, state);
    if (message === null) return [];
    const now = this.options.now().toISOString();
    return candidates
      .filter((route) => scopeCovers(route.state.scope, message.networkId, message.institutionIds))
      .map((route) => enqueue(route._id, message, position, now));
  }

  private async message(event: RecordedEvent, state: ExistingCase): Promise<WebhookMessage | null> {
    const kind = messageKind(event.type as CaseEventType)!;
    const names = await institutionNames(this.commands, namedInstitutions(kind, state, event));
    const occurredAt = typeof event.metadata['occurredAt'] === 'string' ? event.metadata['occurredAt'] : event.recordedAt.toISOString();
    return caseEventMessage({ id: event.id, type: event.type, data: event.data, occurredAt }, state, names, this.options.publicUrl);
  }
}
