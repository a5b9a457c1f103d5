/**
 * The one generic command path (docs/architecture.md, "How a command flows"): load the stream → fold → decide → append with the revision
 * read. Commands on one stream are serialized in this process; a conflict with another process reloads
 * and retries a bounded number of times. A command whose id is already in the stream returns what it
 * produced the first time and appends nothing.
 */
import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_STORE, WrongExpectedVersionError, type EventStore, type RecordedEvent,
} from '../event-store/event-store.port.js';
import type { Actor } from './actor.js';
import type { Decider, DomainEvent } from './decider.js';
import { ConflictError, InvalidCommandError, StaleRevisionError } from './domain-error.js';
import { GENESIS_HASH, sealEvents, type UnsealedEvent } from './event-envelope.js';
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
}

export interface LoadedStream<State> {
  readonly state: State;
  /** Revision of the last event, or null when the stream does not exist. */
  readonly revision: bigint | null;
  readonly position: bigint | null;
  readonly lastHash: string;
  /** Events of each command id seen in the stream, for idempotent replays. */
  readonly commands: ReadonlyMap<string, readonly RecordedEvent[]>;
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
 * Turns the decided events, their ids known, into what is stored, before the hash chain seals them (the case
 * path encrypts personal data here). Runs only once the decider has accepted the command.
 */
export type BeforeAppend<State> = (events: readonly UnsealedEvent[], state: State) => Promise<readonly UnsealedEvent[]>;

/** Folded streams kept in memory, so a command reads only the events appended since it last looked. */
const CACHED_STREAMS = 5_000;

interface CachedStream {
  readonly decider: object;
  readonly loaded: LoadedStream<unknown>;
}

@Injectable()
export class CommandHandling {
  private readonly locks = new KeyedLock();
  private readonly cache = new Map<string, CachedStream>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** The stream folded to its latest event: from the cached fold plus whatever was appended since (by anyone). */
  async load<State, Event extends DomainEvent>(decider: Decider<unknown, Event, State>, streamId: string): Promise<LoadedStream<State>> {
    const cached = this.cache.get(streamId);
    const start = cached?.decider === decider ? (cached.loaded as LoadedStream<State>) : null;
    let { state, revision, position, lastHash } = start ?? { state: decider.initialState, revision: null, position: null, lastHash: GENESIS_HASH };
    const commands = new Map(start?.commands);
    const fromRevision = revision === null ? 'start' : revision + 1n;
    for await (const recorded of this.store.readStream(streamId, { fromRevision })) {
      state = decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
      ({ revision, position } = recorded);
      if (typeof recorded.metadata['hash'] === 'string') lastHash = recorded.metadata['hash'];
      const commandId = recorded.metadata['commandId'];
      if (typeof commandId === 'string') commands.set(commandId, [...(commands.get(commandId) ?? []), recorded]);
    }
    const loaded: LoadedStream<State> = { state, revision, position, lastHash, commands };
    this.remember(streamId, { decider, loaded });
    return loaded;
  }

  private remember(streamId: string, entry: CachedStream): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, entry);
    if (this.cache.size > CACHED_STREAMS) this.cache.delete(this.cache.keys().next().value!);
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
        const loaded = await this.load(decider, streamId);
        const earlier = loaded.commands.get(context.commandId);
        if (earlier) return replay<Event>(earlier, context);
        if (context.expectedRevision !== null && context.expectedRevision !== loaded.revision) {
          throw new StaleRevisionError(`The stream is at revision ${String(loaded.revision ?? 'none')}, not ${context.expectedRevision}`, 'If-Match');
        }
        const events = decider.decide(await build(loaded.state), loaded.state);
        if (events.length === 0) return { revision: loaded.revision, position: loaded.position, events, replayed: false };
        const unsealed = envelopes(streamId, events, context);
        const stored = beforeAppend ? await beforeAppend(unsealed, loaded.state) : unsealed;
        try {
          const result = await this.store.append(streamId, sealEvents(loaded.lastHash, stored).map((sealed) => ({
            id: sealed.metadata.eventId, type: sealed.type, data: sealed.data, metadata: sealed.metadata,
          })), { expectedRevision: loaded.revision ?? 'no_stream' });
          // As stored, like a replay's.
          return { revision: result.nextRevision, position: result.position, events: stored.map(({ type, data }) => ({ type, data }) as Event), replayed: false };
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw new ConflictError('The case changed concurrently too many times; please retry');
        }
      }
    });
  }
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

function replay<Event>(earlier: readonly RecordedEvent[], context: CommandContext): CommandOutcome<Event> {
  if (earlier[0]?.metadata['requestHash'] !== context.requestHash) {
    throw new InvalidCommandError('This Idempotency-Key was already used for a different request', 'Idempotency-Key');
  }
  const last = earlier[earlier.length - 1]!;
  return {
    revision: last.revision,
    position: last.position,
    events: earlier.map((recorded) => ({ type: recorded.type, data: recorded.data }) as Event),
    replayed: true,
  };
}
