/**
 * Records an auditor's read through the generic command path before anything is served. A read that
 * cannot be recorded is not served: whatever failed, the caller gets 503.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { requestHash } from '../core/event-envelope.js';
import { newId } from '../core/ids.js';
import { EventStoreUnavailableError } from '../event-store/event-store.port.js';
import { accessDecider, type AccessCommand } from './access.decider.js';
import { accessStreamId, STORE_ACCESS_STREAM } from './access.events.js';

@Injectable()
export class AccessRecorder {
  constructor(private readonly commands: CommandHandling, @Inject(CLOCK) private readonly clock: Clock) {}

  async record(actor: Actor, command: AccessCommand): Promise<void> {
    const streamId = command.type === 'RecordCaseRead' ? accessStreamId(command.caseId) : STORE_ACCESS_STREAM;
    // Every read is a new command: a read repeated is read twice, so no Idempotency-Key applies.
    const commandId = newId();
    const context: CommandContext = {
      commandId,
      requestHash: requestHash({ command, user: actor.userId }),
      actor,
      occurredAt: this.clock.now().toISOString(),
      correlationId: commandId,
      causationId: commandId,
      expectedRevision: null,
    };
    try {
      await this.commands.run(accessDecider, streamId, () => command, context);
    } catch (error) {
      throw new EventStoreUnavailableError('The read could not be recorded, so it is not served', { cause: error });
    }
  }
}
