/**
 * The one generic command path (docs/architecture.md, "How a command flows"): load the stream → fold → decide → append with the revision
 * read. Commands on one stream are serialized in this process; a conflict with another process reloads
 * and retries a bounded number of times. A command whose id is already in the stream returns what it
 * produced the first time and appends nothing. Folds are cached and kept up to date with this process's
 * own appends, so a stream is read once per request (by the policy check) and each load reads only what
 * was appended since.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_STORE, WrongExpectedVersionError, type AppendResult, type EventStore,
} from '../event-store/event-store.port.js';
import type { Actor } from './actor.js';
import type { Decider, DomainEvent } from './decider.js';
import { ConflictError, InvalidCommandError, StaleRevisionError } from './domain-error.js';
import { GENESIS_HASH, sealEvents, type SealedEvent, type UnsealedEvent } from './event-envelope.js';
import { derivedId } from './ids.js';
import { CURRENT_SCHEMA_VERSION } from './upcasting.js';
import { KeyedLock } from './keyed-lock.js';

const MAX_ATTEMPTS = 5;

/** Who asked, when, and under which idempotency key: everything the metadata records. */
export interface CommandContext {
  readonly commandId: string;
  readonly requestHash: string;
  readonly actor: Actor;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** From `If-Match`: the revision the client last saw; null when the client did not say. */
  readonly expectedRevision: bigint | null;
  /**
   * When the request arrived (`performance.now()`): a stream this process read or wrote since then (the
   * request's policy check read it) is decided on without reading it again. Absent: always read.
   */
  readonly freshSince?: number;
}

/**
 * Where a command's events are in its stream, for idempotent replays: a replay reads them back (rare), so a cached
 * stream does not keep every event each of its commands produced.
 */
export interface CommandRecord {
  readonly requestHash: unknown;
  /** Revision of its first event. */
  readonly firstRevision: bigint;
  /** Revision and position of its last event. */
  readonly revision: bigint;
  readonly position: bigint;
}

/**
 * The commands seen in one stream, each with where its events are: grows with the stream and is shared by its
 * successive folds, so a load adds only the events it read (never copies what is known).
 */
export class CommandLog {
  private readonly records = new Map<string, CommandRecord>();
  /** The last revision taken in: folds racing over the same events add each once. */
  private upTo = -1n;

  add(commandId: string, requestHash: unknown, revision: bigint, position: bigint): void {
    if (revision <= this.upTo) return;
    this.upTo = revision;
    const earlier = this.records.get(commandId);
    this.records.set(commandId, { requestHash: earlier?.requestHash ?? requestHash, firstRevision: earlier?.firstRevision ?? revision, revision, position });
  }

  get(commandId: string): CommandRecord | undefined {
    return this.records.get(commandId);
  }
}

export interface LoadedStream<State> {
  readonly state: State;
  /** Revision of the last event, or null when the stream does not exist. */
  readonly revision: bigint | null;
  readonly position: bigint | null;
  readonly lastHash: string;
  /** What each command id seen in the stream produced, for idempotent replays. */
  readonly commands: CommandLog;
}

export interface CommandOutcome<Event> {
  readonly revision: bigint | null;
  readonly position: bigint | null;
  /** The events this command produced: just now, or the first time when `replayed`. */
  readonly events: readonly Event[];
  readonly replayed: boolean;
}

/** Builds the domain command once the stream is loaded: lets a handler gather facts that depend on state. */
export type CommandBuilder<Command, State> = (state: State) => Command | Promise<Command>;

/**
 * Turns the decided events, their ids known, into what is stored, before the hash chain seals them (the case's
 * command map encrypts personal data here). Runs only once the decider has accepted the command, and may run
 * again on a retry after a conflict: a pure transform, no side effects (those follow the append: command-map.ts).
 */
export type BeforeAppend<State> = (events: readonly UnsealedEvent[], state: State) => Promise<readonly UnsealedEvent[]>;

/** Folded streams kept in memory, so a command reads only the events appended since it last looked. */
const CACHED_STREAMS = 5_000;

interface CachedStream {
  readonly decider: object;
  readonly loaded: LoadedStream<unknown>;
  /** When the fold was last known to be the stream as stored (`performance.now()`): read, or appended to by us. */
  readonly confirmedAt: number;
}

@Injectable()
export class CommandHandling {
  private readonly locks = new KeyedLock();
  private readonly cache = new Map<string, CachedStream>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The stream folded to its latest event: from the cached fold plus whatever was appended since (by anyone). */
  async load<State, Event extends DomainEvent>(decider: Decider<unknown, Event, State>, streamId: string): Promise<LoadedStream<State>> {
    const readAt = performance.now();
    const cached = this.cache.get(streamId);
    const start = cached?.decider === decider ? (cached.loaded as LoadedStream<State>) : null;
    let { state, revision, position, lastHash } = start ?? { state: decider.initialState, revision: null, position: null, lastHash: GENESIS_HASH };
    const commands = start?.commands ?? new CommandLog();
    const fromRevision = revision === null ? 'start' : revision + 1n;
    for await (const recorded of this.store.readStream(streamId, { fromRevision })) {
      const event = { type: recorded.type, data: recorded.data } as Event;
      state = decider.evolve(state, event);
      ({ revision, position } = recorded);
      if (typeof recorded.metadata['hash'] === 'string') lastHash = recorded.metadata['hash'];
      const commandId = recorded.metadata['commandId'];
      if (typeof commandId === 'string') commands.add(commandId, recorded.metadata['requestHash'], recorded.revision, recorded.position);
    }
    const loaded: LoadedStream<State> = { state, revision, position, lastHash, commands };
    this.remember(streamId, { decider, loaded, confirmedAt: readAt });
    return loaded;
  }

  /** The cached fold, if it is known to be the stream as stored at some moment since `since`. */
  private fresh<State>(decider: object, streamId: string, since: number | undefined): LoadedStream<State> | null {
    const cached = this.cache.get(streamId);
    return since !== undefined && cached?.decider === decider && cached.confirmedAt >= since ? (cached.loaded as LoadedStream<State>) : null;
  }

  /** Keeps the newest fold of a stream (a slower load finishing late must not replace a newer one). */
  private remember(streamId: string, entry: CachedStream): void {
    const current = this.cache.get(streamId);
    if (current?.decider === entry.decider && (current.loaded.revision ?? -1n) > (entry.loaded.revision ?? -1n)) return;
    this.cache.delete(streamId);
    this.cache.set(streamId, current?.decider === entry.decider && current.loaded.revision === entry.loaded.revision
      ? { ...entry, confirmedAt: Math.max(entry.confirmedAt, current.confirmedAt) }
      : entry);
    if (this.cache.size > CACHED_STREAMS) this.cache.delete(this.cache.keys().next().value!);
  }

  /** What the command produced the first time, read back from its stream (as stored, like a load's). */
  private async replay<Event>(streamId: string, earlier: CommandRecord, context: CommandContext): Promise<CommandOutcome<Event>> {
    if (earlier.requestHash !== context.requestHash) {
      throw new InvalidCommandError('This Idempotency-Key was already used for a different request', 'Idempotency-Key');
    }
    const events: Event[] = [];
    const maxCount = Number(earlier.revision - earlier.firstRevision) + 1;
    for await (const recorded of this.store.readStream(streamId, { fromRevision: earlier.firstRevision, maxCount })) {
      if (recorded.metadata['commandId'] === context.commandId) events.push({ type: recorded.type, data: recorded.data } as Event);
    }
    return { revision: earlier.revision, position: earlier.position, events, replayed: true };
  }

  run<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    streamId: string,
    build: CommandBuilder<Command, State>,
    context: CommandContext,
    beforeAppend?: BeforeAppend<State>,
  ): Promise<CommandOutcome<Event>> {
    return this.locks.run(streamId, async () => {
      for (let attempt = 1; ; attempt++) {
        // The fold this request's policy check read (or newer); on a retry, the stream as stored now.
        const loaded = (attempt === 1 ? this.fresh<State>(decider, streamId, context.freshSince) : null) ?? await this.load(decider, streamId);
        const earlier = loaded.commands.get(context.commandId);
        if (earlier) return this.replay<Event>(streamId, earlier, context);
        if (context.expectedRevision !== null && context.expectedRevision !== loaded.revision) {
          throw new StaleRevisionError(`The stream is at revision ${String(loaded.revision ?? 'none')}, not ${context.expectedRevision}`, 'If-Match');
        }
        const events = decider.decide(await build(loaded.state), loaded.state);
        if (events.length === 0) return { revision: loaded.revision, position: loaded.position, events, replayed: false };
        const unsealed = envelopes(streamId, events, context);
        const stored = beforeAppend ? await beforeAppend(unsealed, loaded.state) : unsealed;
        const sealed = sealEvents(loaded.lastHash, stored);
        const appendedAt = performance.now();
        try {
          const result = await this.store.append(streamId, sealed.map((event) => ({
            id: event.metadata.eventId, type: event.type, data: event.data, metadata: event.metadata, json: event.json,
          })), { expectedRevision: loaded.revision ?? 'no_stream' });
          // As stored, like a replay's.
          const appended = stored.map(({ type, data }) => ({ type, data }) as Event);
          this.remember(streamId, { decider, loaded: afterAppend(decider, loaded, appended, sealed, context, result), confirmedAt: appendedAt });
          return { revision: result.nextRevision, position: result.position, events: appended, replayed: false };
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw new ConflictError('The case changed concurrently too many times; please retry');
        }
      }
    });
  }
}

/** The fold after our own append, without reading it back: the store took it at the revision we read. */
function afterAppend<State, Event extends DomainEvent>(
  decider: Decider<unknown, Event, State>,
  loaded: LoadedStream<State>,
  appended: readonly Event[],
  sealed: readonly SealedEvent[],
  context: CommandContext,
  result: AppendResult,
): LoadedStream<State> {
  const first = result.nextRevision - BigInt(appended.length) + 1n;
  for (let index = 0; index < appended.length; index++) loaded.commands.add(context.commandId, context.requestHash, first + BigInt(index), result.position);
  return {
    state: appended.reduce(decider.evolve, loaded.state),
    revision: result.nextRevision,
    position: result.position,
    lastHash: sealed[sealed.length - 1]!.metadata.hash,
    commands: loaded.commands,
  };
}

function envelopes(streamId: string, events: readonly DomainEvent[], context: CommandContext): UnsealedEvent[] {
  return events.map((event, index) => ({
    type: event.type,
    data: event.data,
    metadata: {
      eventId: derivedId('event', streamId, context.commandId, String(index)),
      schemaVersion: CURRENT_SCHEMA_VERSION,
      occurredAt: context.occurredAt,
      actor: context.actor,
      commandId: context.commandId,
      correlationId: context.correlationId,
      causationId: context.causationId,
      requestHash: context.requestHash,
    },
  }));
}
