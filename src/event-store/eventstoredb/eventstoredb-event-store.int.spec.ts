/**
 * The EventStoreDB adapter with the real client over a real connection: against the gRPC test double
 * always (no EventStoreDB server can run here), and against a real server when EVENTSTORE_URL reaches one.
 */
import { randomUUID } from 'node:crypto';
import { startEventStoreDbDouble, type EventStoreDbDouble } from '../../../test/support/eventstoredb-double/eventstoredb-double.js';
import { describeWithServer, eventStoreDbForSpecs } from '../../../test/support/servers.js';
import { collect, countingEvents, describeEventStoreContract, eventsIn } from '../event-store.contract.js';
import { EventStoreUnavailableError, type NewEvent, type Subscription, type SubscriptionMessage } from '../event-store.port.js';
import { EventStoreDbEventStore } from './eventstoredb-event-store.js';
import type { EventStoreDbSubscription } from './eventstoredb-subscription.js';

let double: EventStoreDbDouble;
beforeAll(async () => {
  double = await startEventStoreDbDouble();
});
afterAll(() => double.stop());

// Small pages, so reads of `$all` cross page boundaries and the server's own events at the start of the log.
describeEventStoreContract('EventStoreDbEventStore (eventstoredb) on the gRPC test double', async () => new EventStoreDbEventStore(double.url, { pageSize: 7 }));

const real = eventStoreDbForSpecs();
describeWithServer('EventStoreDbEventStore (eventstoredb) on the server at EVENTSTORE_URL', real.skipReason, () => {
  describeEventStoreContract(`EventStoreDbEventStore (eventstoredb) on ${real.url}`, async () => new EventStoreDbEventStore(real.url!));
});

describe('EventStoreDbEventStore (eventstoredb) on the gRPC test double', () => {
  const stores: EventStoreDbEventStore[] = [];
  const open = (url = double.url, options = {}): EventStoreDbEventStore => {
    const store = new EventStoreDbEventStore(url, { backoffMs: 20, maxBackoffMs: 200, ...options });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  it("keeps the server's own events out of reads, the head position and subscriptions", async () => {
    const fresh = await startEventStoreDbDouble();
    try {
      const store = open(fresh.url, { pageSize: 2 });
      const systemOnly = fresh.eventCount;
      expect(systemOnly).toBeGreaterThan(0);
      expect(await collect(store.readAll())).toEqual([]);
      expect(await store.headPosition()).toBeNull();

      const { position } = await store.append('case-1', [newEvent(), newEvent()], { expectedRevision: 'no_stream' });

      const all = await collect(store.readAll());
      expect(all.map((event) => event.streamId)).toEqual(['case-1', 'case-1']);
      expect(await store.headPosition()).toBe(position);
      const subscription = store.subscribeToAll();
      const messages = await readUntil(subscription, (message) => message.type === 'caughtUp');
      expect(eventsIn(messages).map((event) => event.id)).toEqual(all.map((event) => event.id));
      await subscription.close();
    } finally {
      await fresh.stop();
    }
  });

  it('closes promptly after readers stopped part-way through a stream', async () => {
    const store = new EventStoreDbEventStore(double.url);
    const prefix = `early${randomUUID().slice(0, 8)}-`;
    await appendMany(store, `${prefix}s`, 3);
    for await (const event of store.readStream(`${prefix}s`, { fromRevision: 2n, direction: 'backwards', maxCount: 1 })) {
      expect(event.revision).toBe(2n);
      break;
    }
    for await (const event of store.readStream(`${prefix}s`)) {
      expect(event.revision).toBe(0n);
      break;
    }
    await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 2n });

    await expect(Promise.race([store.close().then(() => 'closed'), new Promise((resolve) => setTimeout(resolve, 3_000, 'hung'))])).resolves.toBe('closed');
  });

  it('resubscribes after a drop from the last position it delivered: nothing missed, nothing repeated', async () => {
    const store = open();
    const prefix = `drop${randomUUID().slice(0, 8)}-`;
    const before = await appendMany(store, `${prefix}s`, 40);
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });

    const first = await readUntil(subscription, countingEvents(15));
    double.dropSubscriptions();
    const during = await appendMany(store, `${prefix}s`, 40, 40n);
    let caughtUp = false;
    let last = false;
    const rest = await readUntil(subscription, (message) => {
      caughtUp ||= message.type === 'caughtUp';
      last ||= message.type === 'event' && message.event.id === during.at(-1);
      return caughtUp && last;
    });

    const delivered = eventsIn([...first, ...rest]).map((event) => event.id);
    expect(delivered).toEqual([...before, ...during]);
    expect([...first, ...rest].filter((message) => message.type === 'caughtUp')).toHaveLength(1);
    expect((subscription as EventStoreDbSubscription).reconnections).toBeGreaterThanOrEqual(1);
    await subscription.close();
  });

  it('takes a filtered subscription across 10,000 foreign events and a drop, with checkpoints, missing and repeating nothing', async () => {
    const ours = `ours${randomUUID().slice(0, 8)}-`;
    // The server filters out the other application's events and reports its progress through them in checkpoints.
    const store = open(double.url, { serviceStreamPrefixes: [ours] });
    const foreign = `other${randomUUID().slice(0, 8)}-`;
    const start = (await store.append(`${foreign}marker`, [newEvent()], { expectedRevision: 'no_stream' })).position;
    const expected: string[] = [];
    let lastForeign = start;
    for (let round = 0; round < 20; round += 1) {
      // 500 foreign events in five streams, then one of ours.
      for (let stream = 0; stream < 5; stream += 1) {
        const events = Array.from({ length: 100 }, () => newEvent('Elsewhere'));
        lastForeign = (await store.append(`${foreign}${round}-${stream}`, events, { expectedRevision: 'no_stream' })).position;
      }
      const event = newEvent('Ours');
      await store.append(`${ours}${round}`, [event], { expectedRevision: 'no_stream' });
      expected.push(event.id);
    }
    // ...and a foreign tail after our last event, which only checkpoints can take the consumer past.
    for (let stream = 0; stream < 5; stream += 1) {
      lastForeign = (await store.append(`${foreign}tail-${stream}`, Array.from({ length: 100 }, () => newEvent('Elsewhere')), { expectedRevision: 'no_stream' })).position;
    }
    const subscription = store.subscribeToAll({ fromPosition: start, filter: { streamPrefixes: [ours] } });

    const first = await readUntil(subscription, countingEvents(8));
    double.dropSubscriptions();
    const rest = await readUntil(subscription, (message) => message.type === 'caughtUp', 20_000);
    const messages = [...first, ...rest];

    expect(eventsIn(messages).map((event) => event.id)).toEqual(expected);
    const checkpoints = messages.flatMap((message) => (message.type === 'checkpoint' ? [message.position] : []));
    expect(checkpoints.length).toBeGreaterThan(10);
    expect(checkpoints.every((position, index) => index === 0 || position > checkpoints[index - 1]!)).toBe(true);
    // A checkpoint never passes one of our events that was still to come.
    const seen = new Set<bigint>();
    for (const message of messages) {
      if (message.type === 'event') seen.add(message.event.position);
      if (message.type === 'checkpoint') expect(eventsIn(messages).filter((event) => event.position <= message.position).every((event) => seen.has(event.position))).toBe(true);
    }
    expect(checkpoints.at(-1)).toBe(lastForeign);
    await subscription.close();
  }, 60_000);

  it('fails calls to an unreachable server fast, as unavailable, and a subscription resumes once it is back', async () => {
    const server = await startEventStoreDbDouble();
    const port = server.port;
    const store = open(server.url, { deadlineMs: 1_000 });
    const prefix = `outage${randomUUID().slice(0, 8)}-`;
    await appendMany(store, `${prefix}s`, 3);
    const subscription = store.subscribeToAll({ filter: { streamPrefixes: [prefix] } });
    await readUntil(subscription, (message) => message.type === 'caughtUp');
    const log = server.log;
    await server.stop();

    const started = Date.now();
    await expect(store.append(`${prefix}s`, [newEvent()], { expectedRevision: 2n })).rejects.toBeInstanceOf(EventStoreUnavailableError);
    await expect(collect(store.readStream(`${prefix}s`))).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);

    const restarted = await startEventStoreDbDouble({ port, log });
    try {
      const after = await appendMany(store, `${prefix}s`, 2, 3n);
      const resumed = await readUntil(subscription, (message) => message.type === 'event' && message.event.id === after.at(-1), 10_000);
      expect(eventsIn(resumed).map((event) => event.id)).toEqual(after);
      await subscription.close();
    } finally {
      await restarted.stop();
    }
  });
});

function newEvent(type = 'Happened'): NewEvent {
  return { id: randomUUID(), type, data: { kelurahan: 'Jurangombo Utara' }, metadata: { correlationId: randomUUID() } };
}

/** Appends `count` events one at a time from `revision` (a new stream by default); returns their ids. */
async function appendMany(store: EventStoreDbEventStore, streamId: string, count: number, revision = 0n): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0n; n < BigInt(count); n += 1n) {
    const event = newEvent();
    await store.append(streamId, [event], { expectedRevision: revision + n === 0n ? 'no_stream' : revision + n - 1n });
    ids.push(event.id);
  }
  return ids;
}

const iterators = new WeakMap<Subscription, AsyncIterator<SubscriptionMessage>>();

/** Pulls from the subscription (one iterator per subscription) until `isLast` accepts a message. */
async function readUntil(subscription: Subscription, isLast: (message: SubscriptionMessage) => boolean, timeoutMs = 10_000): Promise<SubscriptionMessage[]> {
  let messages = iterators.get(subscription);
  if (!messages) iterators.set(subscription, (messages = subscription[Symbol.asyncIterator]()));
  const received: SubscriptionMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No matching message within ${timeoutMs} ms (got ${received.length})`)), Math.max(deadline - Date.now(), 1));
    });
    const next = await Promise.race([messages.next(), timeout]).finally(() => clearTimeout(timer));
    if (next.done) throw new Error('The subscription ended early');
    received.push(next.value);
    if (isLast(next.value)) return received;
  }
}
