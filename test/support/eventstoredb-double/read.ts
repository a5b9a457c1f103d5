/**
 * The Read call of the EventStoreDB test double: stream and $all reads (server-streaming, ended when done),
 * and catch-up subscriptions to $all (optionally filtered, with checkpoints) or to a stream, which go live.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import * as streams from '@eventstore/db-client/generated/streams_pb.js';
import type { EventLog, RecordedEvent } from './event-log.js';
import { empty, streamIdentifier, streamNameOf, uuidMessage } from './messages.js';

type ReadCall = ServerWritableStream<streams.ReadReq, streams.ReadResp>;
type Options = streams.ReadReq.Options;

/** EventStoreDB's search window for a filter that asks for `count` rather than a `max`. */
const READ_BATCH_SIZE = 32;
/** Events handled between two yields to the event loop, so a long catch-up does not block it. */
const EVENTS_PER_TURN = 256;

/** Writes a Read call's responses, honouring the client's flow control, until the call ends. */
export class ReadResponder {
  private ended = false;
  private wakeUp: (() => void) | undefined;
  private handled = 0;

  constructor(
    private readonly call: ReadCall,
    private readonly onEnd: () => void,
  ) {
    call.on('drain', () => this.wake());
    call.on('close', () => this.markEnded());
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  /** Resolves a pending `sleep()`: the log grew, the client drained or the call ended. */
  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  sleep(): Promise<void> {
    return new Promise((resolve) => (this.wakeUp = resolve));
  }

  /** Sends one response and waits while the client's buffer is full. False once the call has ended. */
  async send(response: streams.ReadResp): Promise<boolean> {
    if (this.ended) return false;
    this.call.write(response);
    while (this.call.writableNeedDrain && !this.ended) await this.sleep();
    return !this.ended;
  }

  /** Called once per event handled; yields to the event loop now and then. */
  async pace(): Promise<void> {
    if (++this.handled % EVENTS_PER_TURN === 0) await nextTurn();
  }

  end(): void {
    if (this.markEnded()) this.call.end();
  }

  fail(code: status, details: string): void {
    // grpc-js turns an 'error' on a server stream into the call's status.
    if (this.markEnded()) this.call.emit('error', { code, details });
  }

  private markEnded(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.onEnd();
    this.wake();
    return true;
  }
}

export interface ReadSettings {
  readonly log: EventLog;
  /** Open subscriptions: the double wakes them on appends and may drop them. */
  readonly subscriptions: Set<ReadResponder>;
  /** Overrides EventStoreDB's events-between-checkpoints (filter window × multiplier). */
  readonly checkpointInterval: number | undefined;
}

export function read(call: ReadCall, settings: ReadSettings): void {
  const options = call.request.getOptions();
  const isSubscription = options?.hasSubscription() ?? false;
  const responder = new ReadResponder(call, () => settings.subscriptions.delete(responder));
  if (isSubscription) settings.subscriptions.add(responder);
  const reading = !options
    ? Promise.reject(new Error('ReadReq without options'))
    : isSubscription
      ? subscribe(responder, settings, options)
      : readCount(responder, settings.log, options);
  reading.catch((error: Error) => responder.fail(status.INVALID_ARGUMENT, error.message));
}

async function readCount(responder: ReadResponder, log: EventLog, options: Options): Promise<void> {
  if (options.hasFilter()) throw new Error('The EventStoreDB test double does not implement filtered reads');
  const backwards = options.getReadDirection() === streams.ReadReq.Options.ReadDirection.BACKWARDS;
  const count = Number(options.getCount());
  let events: readonly RecordedEvent[];
  let from: number;
  if (options.hasStream()) {
    const streamOptions = options.getStream()!;
    const name = streamNameOf(streamOptions.getStreamIdentifier());
    const stream = log.stream(name);
    if (!stream) {
      const notFound = new streams.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name));
      if (await responder.send(new streams.ReadResp().setStreamNotFound(notFound))) responder.end();
      return;
    }
    const revision = streamOptions.hasRevision()
      ? Number(streamOptions.getRevision())
      : streamOptions.hasStart()
        ? 0
        : Infinity;
    events = stream;
    from = backwards ? Math.min(revision, stream.length - 1) : revision;
  } else {
    const allOptions = options.getAll()!;
    // Forwards from a position includes the event at it; backwards from a position starts before it.
    const index = allOptions.hasPosition()
      ? log.indexFrom(Number(allOptions.getPosition()!.getCommitPosition()))
      : allOptions.hasStart()
        ? 0
        : log.events.length;
    events = log.events;
    from = backwards ? index - 1 : index;
  }
  for (let i = from, sent = 0; sent < count && i >= 0 && i < events.length; i += backwards ? -1 : 1, sent++) {
    if (!(await responder.send(eventResponse(events[i]!, options)))) return;
    await responder.pace();
  }
  responder.end();
}

/**
 * A catch-up subscription: `confirmation`, the events after the start, `caught_up` at the end of the log, then
 * live events. A filtered one also reports a `checkpoint` every `checkpointEvery` scanned events, and for the
 * last scanned event before `caught_up` if neither delivered nor checkpointed.
 */
async function subscribe(responder: ReadResponder, settings: ReadSettings, options: Options): Promise<void> {
  const { log } = settings;
  const { from, selects } = options.hasAll() ? allSubscription(log, options) : streamSubscription(log, options);
  const filter = options.getFilter();
  const checkpointEvery = filter && (settings.checkpointInterval ?? checkpointInterval(filter));

  const confirmation = new streams.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
  if (!(await responder.send(new streams.ReadResp().setConfirmation(confirmation)))) return;
  let next = from;
  let caughtUp = false;
  let scanned = 0;
  let unreported: RecordedEvent | undefined;
  while (responder.isOpen) {
    const event = log.events[next];
    if (!event) {
      if (caughtUp) {
        await responder.sleep();
        continue;
      }
      if (checkpointEvery && unreported && !(await responder.send(checkpointResponse(unreported)))) return;
      [scanned, unreported] = [0, undefined];
      if (!(await responder.send(new streams.ReadResp().setCaughtUp(new streams.ReadResp.CaughtUp())))) return;
      caughtUp = true;
      continue;
    }
    next++;
    if (selects(event)) {
      if (!(await responder.send(eventResponse(event, options)))) return;
      unreported = undefined;
    } else {
      unreported = event;
    }
    if (checkpointEvery && ++scanned >= checkpointEvery) {
      if (!(await responder.send(checkpointResponse(event)))) return;
      [scanned, unreported] = [0, undefined];
    }
    await responder.pace();
  }
}

interface SubscriptionStart {
  /** Index in the log of the first event to scan. */
  readonly from: number;
  readonly selects: (event: RecordedEvent) => boolean;
}

/** From a position, a subscription to $all starts after it (unlike a read). */
function allSubscription(log: EventLog, options: Options): SubscriptionStart {
  const allOptions = options.getAll()!;
  const from = allOptions.hasPosition()
    ? log.indexFrom(Number(allOptions.getPosition()!.getCommitPosition()) + 1)
    : allOptions.hasStart()
      ? 0
      : log.events.length;
  const filter = options.getFilter();
  return { from, selects: filter ? eventFilter(filter) : () => true };
}

/** From a revision, a subscription to a stream starts after it. */
function streamSubscription(log: EventLog, options: Options): SubscriptionStart {
  if (options.hasFilter()) throw new Error('Stream subscriptions take no filter');
  const streamOptions = options.getStream()!;
  const name = streamNameOf(streamOptions.getStreamIdentifier());
  const after = streamOptions.hasRevision() ? Number(streamOptions.getRevision()) : -1;
  return {
    from: streamOptions.hasEnd() ? log.events.length : 0,
    selects: (event) => event.streamName === name && event.revision > after,
  };
}

/** EventStoreDB's events-between-checkpoints: the filter's search window × its checkpoint interval multiplier. */
function checkpointInterval(filter: streams.ReadReq.Options.FilterOptions): number {
  const window = filter.hasMax() ? filter.getMax() : READ_BATCH_SIZE;
  return Math.max(1, window * filter.getCheckpointintervalmultiplier());
}

/** A stream-name or event-type filter, by prefixes or by a regular expression (matched anywhere, as .NET does). */
function eventFilter(filter: streams.ReadReq.Options.FilterOptions): (event: RecordedEvent) => boolean {
  const onStreamName = filter.hasStreamIdentifier();
  const expression = onStreamName ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) throw new Error('Filter on neither stream name nor event type');
  const pattern = expression.getRegex();
  const regex = pattern ? new RegExp(pattern) : undefined;
  const prefixes = expression.getPrefixList();
  return (event) => {
    const subject = onStreamName ? event.streamName : event.type;
    return regex ? regex.test(subject) : prefixes.some((prefix) => subject.startsWith(prefix));
  };
}

function eventResponse(event: RecordedEvent, options: Options): streams.ReadResp {
  const position = String(event.position);
  const recorded = new streams.ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(event.id, !options.getUuidOption()?.hasString()))
    .setStreamIdentifier(streamIdentifier(event.streamName))
    .setStreamRevision(String(event.revision))
    .setCommitPosition(position)
    .setPreparePosition(position)
    .setData(event.data)
    .setCustomMetadata(event.customMetadata);
  recorded
    .getMetadataMap()
    .set('type', event.type)
    .set('content-type', event.contentType)
    .set('created', String(event.created));
  const readEvent = new streams.ReadResp.ReadEvent().setEvent(recorded);
  // Like EventStoreDB, only reads of $all give the event's position in $all on the ReadEvent itself.
  if (options.hasAll()) readEvent.setCommitPosition(position);
  else readEvent.setNoPosition(empty());
  return new streams.ReadResp().setEvent(readEvent);
}

function checkpointResponse(event: RecordedEvent): streams.ReadResp {
  const position = String(event.position);
  return new streams.ReadResp().setCheckpoint(
    new streams.ReadResp.Checkpoint().setCommitPosition(position).setPreparePosition(position),
  );
}
