/**
 * The one contract every event store adapter passes. It tests the port's semantics only, and
 * it tolerates a store shared with other writers (an EventStoreDB server): each test uses streams under
 * its own prefix and reads `$all` from a position it wrote itself, ignoring events of other streams.
 */
import { randomUUID } from 'node:crypto';
import {
  WrongExpectedVersionError,
  type EventFilter,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type SubscriptionMessage,
} from './event-store.port.js';

/** `makeStore` runs before each test; `cleanup` after it, once the store is closed. */
export function describeEventStoreContract(name: string, makeStore: () => Promise<EventStore>, cleanup?: () => Promise<void>): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    /** Every stream of a test starts with it, so a shared store's other events are easy to ignore. */
    let prefix: string;

    beforeEach(async () => {
      store = await makeStore();
      prefix = `contract${randomUUID().slice(0, 8)}-`;
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    const ours = (events: readonly RecordedEvent[]): RecordedEvent[] => events.filter((event) => event.streamId.startsWith(prefix));

    /** A position before everything the test appends: subscriptions start after it. */
    async function startMarker(): Promise<bigint> {
      const { position } = await store.append(`${prefix}marker`, [newEvent()], { expectedRevision: 'no_stream' });
      return position;
    }

    describe('append', () => {
      it('numbers revisions from 0 and returns the revision and position of the last event', async () => {
        const events = [newEvent('Opened', { n: 1 }), newEvent('Noted', { n: 2 }), newEvent('Closed', { n: 3 })];
        const result = await store.append(`${prefix}case`, events, { expectedRevision: 'no_stream' });

        const stored = await collect(store.readStream(`${prefix}case`));
        expect(stored.map((event) => event.revision)).toEqual([0n, 1n, 2n]);
        expect(result).toEqual({ nextRevision: 2n, position: stored[2]?.position });
        expect(stored.map(({ streamId, id, type, data, metadata }) => ({ streamId, id, type, data, metadata }))).toEqual(
          events.map(({ id, type, data, metadata }) => ({ streamId: `${prefix}case`, id, type, data, metadata })),
        );
        for (const event of stored) expect(event.recordedAt).toBeInstanceOf(Date);
      });

      it('gives every event a greater position than any event appended before it, in any stream', async () => {
        const results = [];
        for (const stream of ['a', 'b', 'a', 'c', 'b']) {
          results.push(await store.append(`${prefix}${stream}`, [newEvent(), newEvent()], { expectedRevision: 'any' }));
        }
        const positions = results.map((result) => result.position);
        expect(isStrictlyIncreasing(positions)).toBe(true);

        const stored = ours(await collect(store.readAll({ fromPosition: positions[0] })));
        expect(isStrictlyIncreasing(stored.map((event) => event.position))).toBe(true);
      });

      it("'no_stream' accepts a new stream and refuses an existing one, naming its revision", async () => {
        await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'no_stream' });

        const refused = await failure(store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'no_stream' }));

        expect(refused).toBeInstanceOf(WrongExpectedVersionError);
        expect(refused).toMatchObject({ streamId: `${prefix}s`, expected: 'no_stream', actual: 0n });
        expect(await collect(store.readStream(`${prefix}s`))).toHaveLength(1);
      });

      it("'stream_exists' refuses a new stream with actual 'no_stream' and accepts an existing one", async () => {
        const refused = await failure(store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'stream_exists' }));
        expect(refused).toBeInstanceOf(WrongExpectedVersionError);
        expect(refused).toMatchObject({ expected: 'stream_exists', actual: 'no_stream' });
        expect(await collect(store.readStream(`${prefix}s`))).toEqual([]);

        await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'no_stream' });
        const result = await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'stream_exists' });
        expect(result.nextRevision).toBe(1n);
      });

      it('an exact revision accepts the current one and refuses an older or newer one, or a missing stream', async () => {
        expect(await failure(store.append(`${prefix}s`, [newEvent()], { expectedRevision: 0n }))).toMatchObject({
          name: 'WrongExpectedVersionError',
          actual: 'no_stream',
        });
        await store.append(`${prefix}s`, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });

        for (const stale of [0n, 2n]) {
          const refused = await failure(store.append(`${prefix}s`, [newEvent()], { expectedRevision: stale }));
          expect(refused).toBeInstanceOf(WrongExpectedVersionError);
          expect(refused).toMatchObject({ expected: stale, actual: 1n });
        }
        const result = await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 1n });
        expect(result.nextRevision).toBe(2n);
      });

      it("'any' appends to a new or an existing stream", async () => {
        expect((await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'any' })).nextRevision).toBe(0n);
        expect((await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'any' })).nextRevision).toBe(1n);
      });

      it("an empty append checks the expectation and returns the stream's current revision and position", async () => {
        const written = await store.append(`${prefix}s`, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });

        expect(await store.append(`${prefix}s`, [], { expectedRevision: 1n })).toEqual(written);
        expect(await failure(store.append(`${prefix}s`, [], { expectedRevision: 0n }))).toMatchObject({ actual: 1n });
        expect(await collect(store.readStream(`${prefix}s`))).toHaveLength(2);

        await store.append(`${prefix}empty`, [], { expectedRevision: 'no_stream' });
        expect(await collect(store.readStream(`${prefix}empty`))).toEqual([]);
      });

      it('of concurrent appends expecting the same revision, exactly one wins', async () => {
        await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'no_stream' });
        const attempts = Array.from({ length: 10 }, () => newEvent());

        const outcomes = await Promise.allSettled(attempts.map((event) => store.append(`${prefix}s`, [event], { expectedRevision: 0n })));

        const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [attempts[index]?.id] : []));
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ name: 'WrongExpectedVersionError', actual: 1n });
        }
        expect((await collect(store.readStream(`${prefix}s`))).map((event) => event.id).slice(1)).toEqual(winners);
      });

      it.each([
        ['no_stream', (): 'no_stream' => 'no_stream'],
        ['an exact revision', (): bigint => 0n],
        ['any', (): 'any' => 'any'],
      ])('a retried append expecting %s returns the original result and writes nothing', async (_label, expectation) => {
        const expectedRevision = expectation();
        if (expectedRevision !== 'no_stream') await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'no_stream' });
        const events = [newEvent(), newEvent()];
        const original = await store.append(`${prefix}s`, events, { expectedRevision });
        // The stream moves on before the retry arrives, as it would when a client retries after a timeout.
        await store.append(`${prefix}s`, [newEvent()], { expectedRevision: original.nextRevision });

        const retried = await store.append(`${prefix}s`, events, { expectedRevision });

        expect(retried).toEqual(original);
        const stored = await collect(store.readStream(`${prefix}s`));
        expect(stored.filter((event) => events.some(({ id }) => id === event.id))).toHaveLength(2);
      });
    });

    describe('readStream', () => {
      const count = 50;
      beforeEach(async () => {
        await store.append(
          `${prefix}long`,
          Array.from({ length: count }, (_, n) => newEvent('Counted', { n })),
          { expectedRevision: 'no_stream' },
        );
      });
      const revisions = async (options: Parameters<EventStore['readStream']>[1]): Promise<number[]> =>
        (await collect(store.readStream(`${prefix}long`, options))).map((event) => Number(event.revision));
      const range = (from: number, to: number): number[] =>
        from <= to ? Array.from({ length: to - from + 1 }, (_, i) => from + i) : range(to, from).reverse();

      it('reads forwards from the start by default', async () => {
        expect(await revisions(undefined)).toEqual(range(0, count - 1));
      });

      it('reads forwards from a revision, inclusive, up to maxCount', async () => {
        expect(await revisions({ fromRevision: 10n, maxCount: 25 })).toEqual(range(10, 34));
        expect(await revisions({ fromRevision: 45n })).toEqual(range(45, 49));
        expect(await revisions({ fromRevision: BigInt(count) })).toEqual([]);
      });

      it('reads backwards from the end by default, or from a revision, inclusive, up to maxCount', async () => {
        expect(await revisions({ direction: 'backwards' })).toEqual(range(count - 1, 0));
        expect(await revisions({ direction: 'backwards', fromRevision: 30n, maxCount: 20 })).toEqual(range(30, 11));
        expect(await revisions({ direction: 'backwards', fromRevision: 'end', maxCount: 3 })).toEqual([49, 48, 47]);
        expect(await revisions({ direction: 'backwards', fromRevision: 'start' })).toEqual([0]);
      });

      it('reads an unknown stream as empty in either direction', async () => {
        expect(await collect(store.readStream(`${prefix}unknown`))).toEqual([]);
        expect(await collect(store.readStream(`${prefix}unknown`, { direction: 'backwards' }))).toEqual([]);
      });
    });

    describe('readAll', () => {
      it('reads every stream in global order from a position, inclusive, up to maxCount', async () => {
        const appended: bigint[] = [];
        for (const stream of ['a', 'b', 'a', 'c', 'b', 'a']) {
          appended.push((await store.append(`${prefix}${stream}`, [newEvent()], { expectedRevision: 'any' })).position);
        }

        const all = ours(await collect(store.readAll({ fromPosition: appended[0] })));
        expect(all.map((event) => event.position)).toEqual(appended);
        expect(all.map((event) => event.streamId)).toEqual(['a', 'b', 'a', 'c', 'b', 'a'].map((s) => `${prefix}${s}`));

        const page = await collect(store.readAll({ fromPosition: appended[2], maxCount: 2 }));
        expect(page).toHaveLength(2);
        expect(page[0]?.position).toBe(appended[2]);
        expect(isStrictlyIncreasing(page.map((event) => event.position))).toBe(true);
      });

      it('knows the position of the last event in the store', async () => {
        const { position } = await store.append(`${prefix}head`, [newEvent(), newEvent()], { expectedRevision: 'any' });
        expect(await store.headPosition()).toBe(position);
      });
    });

    describe('subscribeToAll', () => {
      it('catches up, says so once, then delivers live events', async () => {
        const from = await startMarker();
        await store.append(`${prefix}s`, [newEvent(), newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        const subscription = store.subscribeToAll({ fromPosition: from, filter: { streamPrefixes: [prefix] } });
        const messages = subscription[Symbol.asyncIterator]();

        const catchUp = await readUntil(messages, (message) => message.type === 'caughtUp');
        expect(eventsIn(catchUp).map((event) => event.revision)).toEqual([0n, 1n, 2n]);

        await store.append(`${prefix}s`, [newEvent(), newEvent()], { expectedRevision: 2n });
        const live = await readUntil(messages, (message) => message.type === 'event' && message.event.revision === 4n);
        expect(eventsIn(live).map((event) => event.revision)).toEqual([3n, 4n]);
        expect(live.some((message) => message.type === 'caughtUp')).toBe(false);
        await subscription.close();
      });

      it('resumes after a checkpoint position, exclusive', async () => {
        await startMarker();
        const results = [];
        for (let n = 0; n < 4; n += 1) results.push(await store.append(`${prefix}s`, [newEvent()], { expectedRevision: 'any' }));
        const subscription = store.subscribeToAll({ fromPosition: results[1]?.position, filter: { streamPrefixes: [prefix] } });

        const messages = await readUntil(subscription[Symbol.asyncIterator](), (message) => message.type === 'caughtUp');

        expect(eventsIn(messages).map((event) => event.revision)).toEqual([2n, 3n]);
        await subscription.close();
      });

      it.each([
        ['stream prefix', (prefix: string): EventFilter => ({ streamPrefixes: [`${prefix}keep-`] })],
        ['event type', (): EventFilter => ({ eventTypes: ['Kept'] })],
      ])('filters by %s, with checkpoints that let the consumer move past what it skipped', async (_label, filterFor) => {
        const from = await startMarker();
        const plan = ['drop', 'keep', 'drop', 'drop', 'keep', 'drop', 'drop', 'drop'] as const;
        const appended: Array<{ keep: boolean; position: bigint }> = [];
        for (const [index, kind] of plan.entries()) {
          const event = newEvent(kind === 'keep' ? 'Kept' : 'Dropped');
          const { position } = await store.append(`${prefix}${kind}-${index}`, [event], { expectedRevision: 'no_stream' });
          appended.push({ keep: kind === 'keep', position });
        }
        const subscription = store.subscribeToAll({ fromPosition: from, filter: filterFor(prefix) });

        const messages = await readUntil(subscription[Symbol.asyncIterator](), (message) => message.type === 'caughtUp');

        const kept = appended.filter((event) => event.keep).map((event) => event.position);
        const delivered = ours(eventsIn(messages));
        expect(delivered.map((event) => event.position)).toEqual(kept);
        expect(delivered.every((event) => event.type === 'Kept')).toBe(true);
        // A checkpoint never skips an event that is still to be delivered...
        const seen: bigint[] = [];
        for (const message of messages) {
          if (message.type === 'event') seen.push(message.event.position);
          if (message.type === 'checkpoint') expect(kept.filter((position) => position <= message.position).every((p) => seen.includes(p))).toBe(true);
        }
        // ...and the checkpoints take the consumer past the skipped tail, so a restart does not re-read it.
        expect(checkpointReached(messages)).toBeGreaterThanOrEqual(appended.at(-1)?.position ?? 0n);
        await subscription.close();
      });

      it('delivers every event exactly once, in global order, while many streams append concurrently', async () => {
        const from = await startMarker();
        const streams = 20;
        const perStream = 10;
        const subscribeAndRead = async (): Promise<RecordedEvent[]> => {
          const subscription = store.subscribeToAll({ fromPosition: from, filter: { streamPrefixes: [prefix] } });
          try {
            return eventsIn(await readUntil(subscription[Symbol.asyncIterator](), countingEvents(streams * perStream), 15_000));
          } finally {
            await subscription.close();
          }
        };
        const early = subscribeAndRead();
        let halfway!: () => void;
        // A second subscriber joins halfway, so its catch-up races the remaining appends.
        const late = new Promise<void>((resolve) => (halfway = resolve)).then(subscribeAndRead);

        let appendsDone = 0;
        await Promise.all(
          Array.from({ length: streams }, async (_, stream) => {
            for (let revision = 0; revision < perStream; revision += 1) {
              const expectedRevision = revision === 0 ? 'no_stream' : BigInt(revision - 1);
              await store.append(`${prefix}s${stream}`, [newEvent('Counted', { stream, revision })], { expectedRevision });
              appendsDone += 1;
              if (appendsDone === (streams * perStream) / 2) halfway();
            }
          }),
        );

        const expected = ours(await collect(store.readAll({ fromPosition: from }))).filter((event) => event.position > from).map((event) => event.id);
        expect(expected).toHaveLength(streams * perStream);
        for (const events of await Promise.all([early, late])) {
          expect(events.map((event) => event.id)).toEqual(expected);
          expect(isStrictlyIncreasing(events.map((event) => event.position))).toBe(true);
        }
      });

      it('close releases a consumer waiting for live events', async () => {
        const from = await startMarker();
        const subscription = store.subscribeToAll({ fromPosition: from, filter: { streamPrefixes: [prefix] } });
        const messages = subscription[Symbol.asyncIterator]();
        await readUntil(messages, (message) => message.type === 'caughtUp');
        const waiting = messages.next();
        await new Promise((resolve) => setTimeout(resolve, 50));

        await withTimeout(subscription.close(), 2_000);

        await expect(withTimeout(waiting, 2_000)).resolves.toMatchObject({ done: true });
        await expect(withTimeout(messages.next(), 2_000)).resolves.toMatchObject({ done: true });
      });
    });
  });
}

function newEvent(type = 'Happened', data: unknown = { at: 'kelurahan Potrobangsan' }): NewEvent {
  return { id: randomUUID(), type, data, metadata: { correlationId: randomUUID(), actor: { userId: 'u1', role: 'caseworker' } } };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('Expected the append to be refused');
    },
    (error: unknown) => error,
  );
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pulls messages until `isLast` accepts one (included in the result). */
async function readUntil(
  messages: AsyncIterator<SubscriptionMessage>,
  isLast: (message: SubscriptionMessage) => boolean,
  timeoutMs = 5_000,
): Promise<SubscriptionMessage[]> {
  const deadline = Date.now() + timeoutMs;
  const received: SubscriptionMessage[] = [];
  for (;;) {
    const next = await withTimeout(messages.next(), Math.max(deadline - Date.now(), 1));
    if (next.done) throw new Error('The subscription ended early');
    received.push(next.value);
    if (isLast(next.value)) return received;
  }
}

export function countingEvents(count: number): (message: SubscriptionMessage) => boolean {
  let seen = 0;
  return (message) => message.type === 'event' && ++seen === count;
}

export function eventsIn(messages: readonly SubscriptionMessage[]): RecordedEvent[] {
  return messages.flatMap((message) => (message.type === 'event' ? [message.event] : []));
}

/** The furthest position a consumer may store as its checkpoint after handling these events and checkpoints. */
function checkpointReached(messages: readonly SubscriptionMessage[]): bigint {
  let reached = -1n;
  for (const message of messages) {
    const position = message.type === 'event' ? message.event.position : message.type === 'checkpoint' ? message.position : reached;
    if (position > reached) reached = position;
  }
  return reached;
}

function isStrictlyIncreasing(values: readonly bigint[]): boolean {
  return values.every((value, index) => index === 0 || value > (values[index - 1] ?? value));
}
