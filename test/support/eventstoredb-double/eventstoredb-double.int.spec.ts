import { randomUUID } from 'node:crypto';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  streamNameFilter,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AllStreamSubscription,
  type Position,
  type ResolvedEvent,
  type StreamSubscription,
} from '@eventstore/db-client';
import * as shared from '@eventstore/db-client/generated/shared_pb.js';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import * as streams from '@eventstore/db-client/generated/streams_pb.js';
import { startEventStoreDbDouble, type EventStoreDbDouble, type RecordedEvent } from './eventstoredb-double.js';

const uniqueStream = (prefix = 'case') => `${prefix}-${randomUUID()}`;
const event = (type = 'CaseOpened', data: Record<string, unknown> = { n: 1 }) =>
  jsonEvent({ id: randomUUID(), type, data, metadata: { actor: 'spec' } });

async function collect(read: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> {
  const events: ResolvedEvent[] = [];
  for await (const resolved of read) events.push(resolved);
  return events;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => Promise.reject(new Error('Expected a rejection')),
    (error: unknown) => error,
  );
}

async function eventually(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A subscription's traffic as the client surfaces it: events, `caughtUp`, checkpoints and errors. */
function watch(subscription: AllStreamSubscription | StreamSubscription) {
  const seen = { confirmed: false, caughtUpAfter: -1, events: [] as ResolvedEvent[], error: undefined as unknown };
  subscription.on('confirmation', () => (seen.confirmed = true));
  subscription.on('caughtUp', () => (seen.caughtUpAfter = seen.events.length));
  subscription.on('data', (resolved: ResolvedEvent) => seen.events.push(resolved));
  subscription.on('error', (error: unknown) => (seen.error = error));
  return seen;
}

describe('EventStoreDB test double (eventstoredb)', () => {
  let double: EventStoreDbDouble;
  let client: EventStoreDBClient;

  beforeAll(async () => {
    double = await startEventStoreDbDouble();
    client = EventStoreDBClient.connectionString(double.url);
  });

  afterAll(async () => {
    await client.dispose();
    await double.stop();
  });

  it('appends with the classic Append call and reads back ids, types, data, metadata and revisions', async () => {
    const stream = uniqueStream();
    const [opened, assigned] = [event('CaseOpened', { caseId: 'c-1' }), event('CaseAssigned', { to: 'w-7' })];

    const result = await client.appendToStream(stream, [opened, assigned], { expectedRevision: NO_STREAM });

    expect(result.success).toBe(true);
    expect(result.nextExpectedRevision).toBe(1n);
    expect(result.position!.commit).toBe(result.position!.prepare);
    expect(double.appendsReceived).toBeGreaterThan(0);
    const read = await collect(client.readStream(stream, { direction: FORWARDS, fromRevision: START }));
    expect(read.map(({ event }) => event)).toMatchObject([
      { streamId: stream, id: opened.id, revision: 0n, type: 'CaseOpened', data: { caseId: 'c-1' }, isJson: true },
      { streamId: stream, id: assigned.id, revision: 1n, type: 'CaseAssigned', data: { to: 'w-7' }, isJson: true },
    ]);
    expect(read[0]!.event!.metadata).toEqual({ actor: 'spec' });
    expect(read[1]!.event!.position).toEqual(result.position);
    expect(Math.abs(read[0]!.event!.created.getTime() - Date.now())).toBeLessThan(5_000);
    // A stream read gives positions on the recorded event only, like EventStoreDB.
    expect(read[0]!.commitPosition).toBeUndefined();
  });

  it('reads a stream backwards from the end or a revision, forwards from a revision, up to maxCount', async () => {
    const stream = uniqueStream();
    await client.appendToStream(stream, [event(), event(), event(), event()]);
    const revisions = async (options: Parameters<EventStoreDBClient['readStream']>[1]) =>
      (await collect(client.readStream(stream, options))).map(({ event }) => event!.revision);

    expect(await revisions({ direction: BACKWARDS, fromRevision: END, maxCount: 3 })).toEqual([3n, 2n, 1n]);
    expect(await revisions({ direction: BACKWARDS, fromRevision: 1n })).toEqual([1n, 0n]);
    expect(await revisions({ direction: FORWARDS, fromRevision: 2n })).toEqual([2n, 3n]);
    expect(await revisions({ direction: FORWARDS, fromRevision: 9n })).toEqual([]);
  });

  it('rejects a wrong expected revision with the client WrongExpectedVersionError and the actual version', async () => {
    const stream = uniqueStream();
    await client.appendToStream(stream, [event(), event()], { expectedRevision: NO_STREAM });

    const wrong = await rejection(client.appendToStream(stream, event(), { expectedRevision: 5n }));
    expect(wrong).toBeInstanceOf(WrongExpectedVersionError);
    expect(wrong).toMatchObject({
      streamName: stream,
      expectedVersion: 5n,
      actualVersion: 1n,
    });
    await expect(client.appendToStream(stream, event(), { expectedRevision: NO_STREAM })).rejects.toMatchObject({
      expectedVersion: NO_STREAM,
      actualVersion: 1n,
    });
    await expect(client.appendToStream(uniqueStream(), event(), { expectedRevision: 0n })).rejects.toMatchObject({
      actualVersion: NO_STREAM,
    });
    const emptyToMissing = client.appendToStream(uniqueStream(), [], { expectedRevision: 'stream_exists' });
    await expect(emptyToMissing).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('treats a retried append as EventStoreDB does: nothing written, the original revision and position', async () => {
    const stream = uniqueStream();
    const [first, second, third] = [event(), event(), event()];
    const original = await client.appendToStream(stream, [first, second], { expectedRevision: NO_STREAM });
    await client.appendToStream(stream, third, { expectedRevision: 1n });
    const count = double.eventCount;

    const retry = await client.appendToStream(stream, [first, second], { expectedRevision: NO_STREAM });
    const retryWithAny = await client.appendToStream(stream, [second, third]);

    expect(retry).toEqual(original);
    expect(retryWithAny.nextExpectedRevision).toBe(2n);
    expect(double.eventCount).toBe(count);
    const partialRetry = client.appendToStream(stream, [first, event()], { expectedRevision: NO_STREAM });
    await expect(partialRetry).rejects.toMatchObject({ actualVersion: 2n });
    await expect(client.appendToStream(stream, [second, event()])).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('answers an empty append after checking the expectation', async () => {
    const stream = uniqueStream();
    const missing = await client.appendToStream(stream, [], { expectedRevision: NO_STREAM });
    const written = await client.appendToStream(stream, event());
    const empty = await client.appendToStream(stream, [], { expectedRevision: 0n });

    expect(missing).toMatchObject({ success: true, nextExpectedRevision: 0n, position: undefined });
    expect(empty).toEqual(written);
  });

  it('reports an unknown stream as the client StreamNotFoundError', async () => {
    const stream = uniqueStream();
    const error = await rejection(collect(client.readStream(stream)));

    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ streamName: stream });
  });

  it('reads $all with system events and increasing, non-contiguous positions, from and before a position', async () => {
    await client.appendToStream(uniqueStream(), [event(), event(), event()]);
    const all = await collect(client.readAll({ direction: FORWARDS, fromPosition: START }));
    const positions = all.map(({ event }) => event!.position!.commit);

    expect(all.length).toBe(double.eventCount);
    expect(all[0]!.event!.streamId.startsWith('$')).toBe(true);
    expect(all.some(({ event }) => event!.type.startsWith('$'))).toBe(true);
    expect(all.every(({ event, commitPosition }) => commitPosition === event!.position!.commit)).toBe(true);
    expect(positions.every((position, i) => i === 0 || position > positions[i - 1]!)).toBe(true);
    expect(positions.every((position, i) => i === 0 || position - positions[i - 1]! > 1n)).toBe(true);

    const middle = all[3]!.event!.position!;
    const forwards = await collect(client.readAll({ fromPosition: middle, maxCount: 2 }));
    const backwards = await collect(client.readAll({ direction: BACKWARDS, fromPosition: middle, maxCount: 2 }));
    const fromEnd = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    expect(forwards.map(({ event }) => event!.id)).toEqual([all[3]!.event!.id, all[4]!.event!.id]);
    expect(backwards.map(({ event }) => event!.id)).toEqual([all[2]!.event!.id, all[1]!.event!.id]);
    expect(fromEnd[0]!.event!.id).toBe(all.at(-1)!.event!.id);
  });

  it('subscribes to $all: confirmation, catch-up after the start position, caughtUp, then live events', async () => {
    const all = await collect(client.readAll());
    const from: Position = all.at(-2)!.event!.position!;
    const subscription = client.subscribeToAll({ fromPosition: from });
    const seen = watch(subscription);

    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp');
    const stream = uniqueStream();
    await client.appendToStream(stream, [event(), event()]);
    await eventually(() => seen.events.length === 3, 'live events');
    await subscription.unsubscribe();

    expect(seen.confirmed).toBe(true);
    expect(seen.caughtUpAfter).toBe(1);
    expect(seen.events[0]!.event!.id).toBe(all.at(-1)!.event!.id);
    expect(seen.events.slice(1).map(({ event }) => event!.streamId)).toEqual([stream, stream]);
    await eventually(() => double.openSubscriptions === 0, 'the unsubscribe to reach the double');
  });

  it('filters a $all subscription and reports checkpoints through checkpointReached', async () => {
    const prefix = `filtered${randomUUID().slice(0, 8)}-`;
    await client.appendToStream(`${prefix}1`, event());
    await client.appendToStream(uniqueStream(), [event(), event(), event()]);
    const [last] = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({
        prefixes: [prefix],
        maxSearchWindow: 2,
        checkpointInterval: 2,
        checkpointReached: (_subscription, position) => void checkpoints.push(position),
      }),
    });
    const seen = watch(subscription);

    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp');
    const caughtUpCheckpoints = checkpoints.length;
    await client.appendToStream(uniqueStream(), [event(), event(), event(), event()]);
    await client.appendToStream(`${prefix}2`, event());
    await eventually(() => seen.events.length === 2, 'the live filtered event');
    await subscription.unsubscribe();

    expect(seen.events.map(({ event }) => event!.streamId)).toEqual([`${prefix}1`, `${prefix}2`]);
    // Every 2 × 2 scanned events, and one for the last scanned event before caughtUp.
    expect(caughtUpCheckpoints).toBe(Math.ceil((double.eventCount - 5) / 4));
    expect(checkpoints[caughtUpCheckpoints - 1]).toEqual(last!.event!.position);
    expect(checkpoints.length).toBe(caughtUpCheckpoints + 1);
    expect(checkpoints.every((position, i) => i === 0 || position.commit > checkpoints[i - 1]!.commit)).toBe(true);
    expect(checkpoints.every(({ commit, prepare }) => commit === prepare)).toBe(true);
  });

  it('takes a checkpointInterval option that overrides the filter window × multiplier', async () => {
    const frequent = await startEventStoreDbDouble({ checkpointInterval: 1 });
    const frequentClient = EventStoreDBClient.connectionString(frequent.url);
    const checkpoints: Position[] = [];
    const checkpointReached = (_subscription: unknown, position: Position) => void checkpoints.push(position);
    const seen = watch(frequentClient.subscribeToAll({ filter: excludeSystemEvents({ checkpointReached }) }));

    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp').finally(async () => {
      await frequentClient.dispose();
      await frequent.stop();
    });

    // A fresh double holds only system events: each one scanned, none delivered.
    expect(seen.events).toEqual([]);
    expect(checkpoints.length).toBe(frequent.eventCount);
  });

  it('applies the client excludeSystemEvents filter (an event-type regex) to a subscription', async () => {
    const subscription = client.subscribeToAll({ fromPosition: START, filter: excludeSystemEvents() });
    const seen = watch(subscription);

    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp');
    await subscription.unsubscribe();

    expect(seen.events.length).toBeGreaterThan(0);
    expect(seen.events.some(({ event }) => event!.type.startsWith('$'))).toBe(false);
  });

  it('subscribes to a stream after a revision', async () => {
    const stream = uniqueStream();
    await client.appendToStream(stream, [event(), event(), event()]);
    const subscription = client.subscribeToStream(stream, { fromRevision: 0n });
    const seen = watch(subscription);

    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp');
    await client.appendToStream(stream, event());
    await eventually(() => seen.events.length === 3, 'the live event');
    await subscription.unsubscribe();

    expect(seen.events.map(({ event }) => event!.revision)).toEqual([1n, 2n, 3n]);
  });

  it('catches a subscription up through 10,000 events without blocking the event loop', async () => {
    // Seeded through the `log` option: appending 10,000 events through the client would take seconds.
    const log: RecordedEvent[] = Array.from({ length: 10_000 }, (_, i) => ({
      streamName: 'bulk',
      revision: i,
      id: randomUUID(),
      type: 'Bulk',
      contentType: 'application/json',
      data: Buffer.from(`{"i":${i}}`),
      customMetadata: new Uint8Array(),
      created: 0n,
      position: 4_096 + i * 100,
    }));
    const seeded = await startEventStoreDbDouble({ log });
    const seededClient = EventStoreDBClient.connectionString(seeded.url);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    const seen = watch(seededClient.subscribeToAll({ fromPosition: START }));

    // About 1.5 s; much longer under --detectOpenHandles.
    await eventually(() => seen.caughtUpAfter >= 0, 'caughtUp', 25_000).finally(async () => {
      clearInterval(ticker);
      await seededClient.dispose();
      await seeded.stop();
    });

    expect(seen.events.length).toBe(10_000);
    expect(seen.events.map(({ event }) => (event!.data as { i: number }).i)).toEqual(log.map((_, i) => i));
    expect(ticks).toBeGreaterThan(2);
  });

  it('ends open subscriptions with UNAVAILABLE on dropSubscriptions()', async () => {
    const subscription = client.subscribeToAll({ fromPosition: END });
    const seen = watch(subscription);
    await eventually(() => seen.caughtUpAfter >= 0 && double.openSubscriptions === 1, 'the subscription');

    double.dropSubscriptions();

    await eventually(() => seen.error !== undefined, 'the subscription error');
    expect(seen.error).toBeInstanceOf(UnavailableError);
    expect(double.openSubscriptions).toBe(0);
  });

  it('answers UNIMPLEMENTED for the Streams calls it leaves out (BatchAppend)', async () => {
    const raw = new StreamsClient(`127.0.0.1:${double.port}`, credentials.createInsecure());
    const error = await new Promise<ServiceError>((resolve) => raw.batchAppend().on('error', resolve).end());
    raw.close();

    expect(error.code).toBe(status.UNIMPLEMENTED);
  });

  it('takes structured UUIDs in appends and gives them back structured when the read asks for it', async () => {
    const raw = new StreamsClient(`127.0.0.1:${double.port}`, credentials.createInsecure());
    const stream = uniqueStream();
    const id = randomUUID();
    const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
    const structured = new shared.UUID().setStructured(
      new shared.UUID.Structured()
        .setMostSignificantBits(bytes.readBigInt64BE(0).toString())
        .setLeastSignificantBits(bytes.readBigInt64BE(8).toString()),
    );
    const identifier = new shared.StreamIdentifier().setStreamName(Buffer.from(stream));
    await new Promise<void>((resolve, reject) => {
      const call = raw.append(new Metadata(), (error) => (error ? reject(error) : resolve()));
      const options = new streams.AppendReq.Options().setStreamIdentifier(identifier).setAny(new shared.Empty());
      call.write(new streams.AppendReq().setOptions(options));
      const proposed = new streams.AppendReq.ProposedMessage().setId(structured).setData(Buffer.from('{}'));
      proposed.getMetadataMap().set('type', 'Structured').set('content-type', 'application/json');
      call.write(new streams.AppendReq().setProposedMessage(proposed));
      call.end();
    });
    const fromStart = new streams.ReadReq.Options.StreamOptions().setStreamIdentifier(identifier);
    fromStart.setStart(new shared.Empty());
    const request = new streams.ReadReq().setOptions(
      new streams.ReadReq.Options()
        .setStream(fromStart)
        .setCount('1')
        .setNoFilter(new shared.Empty())
        .setUuidOption(new streams.ReadReq.Options.UUIDOption().setStructured(new shared.Empty())),
    );
    const response = await new Promise<streams.ReadResp>((resolve) => raw.read(request).once('data', resolve));
    raw.close();

    expect((await collect(client.readStream(stream)))[0]!.event!.id).toBe(id);
    const returned = response.getEvent()!.getEvent()!.getId()!;
    expect(returned.getStructured()!.toObject()).toEqual(structured.getStructured()!.toObject());
  });

  it('restarts on the same port with the previous log, as after a server outage', async () => {
    const first = await startEventStoreDbDouble();
    const stream = uniqueStream();
    const outageClient = EventStoreDBClient.connectionString(first.url);
    await outageClient.appendToStream(stream, event());
    await first.stop();

    const failed = await rejection(outageClient.appendToStream(stream, event()));
    const second = await startEventStoreDbDouble({ port: first.port, log: first.log });
    const appended = await outageClient
      .appendToStream(stream, event(), { expectedRevision: 0n })
      .finally(async () => {
        await outageClient.dispose();
        await second.stop();
      });

    expect(failed).toBeInstanceOf(UnavailableError);

    expect(appended.nextExpectedRevision).toBe(1n);
    expect(second.eventCount).toBe(first.eventCount + 1);
  });
});
