/**
 * One declared command map per aggregate (docs/architecture.md, "How a command flows"), in the shape of
 * Eventuous's command service (`On<T>().GetId(...).Act(...)`): for each command type, how the decider's
 * command is built from the request's input (stamped with who and when) and the facts it loads from other
 * streams; for the aggregate, its decider, its id and stream, the one transform of events before they are
 * sealed (personal data) and the side effect that follows a stored command (an erasure's key deletion).
 * `CommandMapHandler` (command-map.handler.ts) runs any map through the generic path of command-handling.ts.
 */
import type { Actor } from './actor.js';
import type { BeforeAppend, CommandContext, CommandOutcome } from './command-handling.js';
import type { Decider, DomainEvent } from './decider.js';

/** Who issued the command and when: what every decider command carries besides its input. */
export interface Stamp {
  readonly actor: Actor;
  readonly at: string;
}

/** The members of a command union whose `type` may be `T` (a member naming several types counts for each), narrowed to `T`. */
export type CommandOfType<Command extends { readonly type: string }, T extends string> =
  Command extends unknown ? (T extends Command['type'] ? Command & { readonly type: T } : never) : never;

/**
 * What a caller gives for each command type: the decider's command without the stamp and without the facts
 * the map supplies (`Facts` names them per type).
 */
export type CommandInputs<Command extends { readonly type: string }, Facts extends { readonly [T in Command['type']]?: PropertyKey } = {}> = {
  readonly [T in Command['type']]: Omit<CommandOfType<Command, T>, keyof Stamp | (T extends keyof Facts ? Extract<Facts[T], PropertyKey> : never)>;
};

/** Any one input of a map, discriminated by `type`. */
export type CommandInput<Inputs> = { readonly [T in keyof Inputs]: Inputs[T] & { readonly type: T } }[keyof Inputs];

/** How one command type becomes the decider's command. */
export interface CommandSpec<Input, Command, State> {
  /** The decider's command: the input with its stamp, and whatever facts it needs from other streams or the configuration. */
  readonly command: (input: Input, stamp: Stamp, state: State) => Command | Promise<Command>;
  /** The ids the command creates inside the aggregate (referralId, consentId, noteId), echoed in the response. */
  readonly created?: (input: Input) => Readonly<Record<string, string>>;
}

export interface CommandMap<Inputs, Command extends { readonly type: string }, Event extends DomainEvent, State> {
  readonly decider: Decider<Command, Event, State>;
  /** The aggregate a command is about: its id is the response's `id`. */
  readonly id: (input: CommandInput<Inputs>) => string;
  readonly streamId: (id: string) => string;
  readonly on: { readonly [T in keyof Inputs]: CommandSpec<Inputs[T] & { readonly type: T }, CommandOfType<Command, T & string>, State> };
  /** Runs before the command is decided, on every attempt: a precondition outside the stream (an unknown subject is not found). */
  readonly precondition?: (input: CommandInput<Inputs>) => Promise<void>;
  /** The one transform of the decided events before the hash chain seals them (the case seals personal data). No side effects. */
  readonly beforeAppend?: BeforeAppend<State>;
  /**
   * The side effect of a stored command, run after its append and again on every replay of it (a retry with
   * the same Idempotency-Key), so it must be idempotent. A crash between the append and this step leaves the
   * request unanswered; its retry replays the command and finishes the step.
   */
  readonly afterAppend?: (input: CommandInput<Inputs>, outcome: CommandOutcome<Event>, context: CommandContext) => Promise<void>;
}

/** The spec of a command that needs nothing but its input and its stamp. */
export const stamped = { command: <Input>(input: Input, stamp: Stamp) => ({ ...input, ...stamp }) };
