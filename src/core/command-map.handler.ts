/**
 * The one command handler: runs any aggregate's command map (command-map.ts) through the generic path
 * (command-handling.ts). Each aggregate sends one kind of message, a `MapCommand` naming its map; the bus
 * finds this handler for all of them (a message class inherits the command id of `MapCommand`).
 */
import { Injectable, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { commandResult, type CommandResult } from './command-result.js';
import { CommandHandling, type CommandContext } from './command-handling.js';
import type { CommandInput, CommandMap } from './command-map.js';
import type { DomainEvent } from './decider.js';

/** Runs a command map: builds the decider's command with its facts, decides, transforms, appends, then runs the map's side effect. */
@Injectable()
export class CommandMapRunner {
  constructor(private readonly commands: CommandHandling) {}

  async run<Inputs, Command extends { readonly type: string }, Event extends DomainEvent, State>(
    map: CommandMap<Inputs, Command, Event, State>,
    input: CommandInput<Inputs>,
    context: CommandContext,
  ): Promise<CommandResult> {
    await map.precondition?.(input);
    const id = map.id(input);
    const spec = map.on[input.type];
    const stamp = { actor: context.actor, at: context.occurredAt };
    const outcome = await this.commands.run(map.decider, map.streamId(id), (state) => spec.command(input, stamp, state), context, map.beforeAppend);
    // Only once the events are stored, and again on a replay: a crash before this step is finished by the retry.
    if (outcome.events.length > 0) await map.afterAppend?.(input, outcome, context);
    return commandResult(id, outcome, spec.created?.(input));
  }
}

/** A command for one aggregate: its input, the request's context and the map that handles it. */
export abstract class MapCommand<Inputs, Command extends { readonly type: string }, Event extends DomainEvent, State> extends Command<CommandResult> {
  protected abstract readonly map: Type<CommandMap<Inputs, Command, Event, State>>;

  constructor(readonly input: CommandInput<Inputs>, readonly context: CommandContext) {
    super();
  }

  /** Runs this command with its map as the application provides it. */
  runWith(runner: CommandMapRunner, provided: <Map>(type: Type<Map>) => Map): Promise<CommandResult> {
    return runner.run(provided(this.map), this.input, this.context);
  }
}

@CommandHandler(MapCommand)
export class CommandMapHandler implements ICommandHandler<Pick<MapCommand<never, never, never, never>, 'runWith'>, CommandResult> {
  /** Each map as the application provides it (one instance each), looked up once rather than on every command. */
  private readonly maps = new Map<Type<unknown>, unknown>();

  constructor(private readonly runner: CommandMapRunner, private readonly modules: ModuleRef) {}

  execute(command: Pick<MapCommand<never, never, never, never>, 'runWith'>): Promise<CommandResult> {
    return command.runWith(this.runner, this.provided);
  }

  private readonly provided = <Map>(type: Type<Map>): Map => {
    if (!this.maps.has(type)) this.maps.set(type, this.modules.get(type, { strict: false }));
    return this.maps.get(type) as Map;
  };
}
