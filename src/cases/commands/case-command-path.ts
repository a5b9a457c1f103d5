/**
 * The path of every case command: the generic one (load → fold → decide → append), with each event's
 * `personal` field sealed under the subject's data key once the event's id is known and before the hash
 * chain is computed. The chain covers the ciphertext, so erasing the key later never breaks it.
 */
import { Injectable } from '@nestjs/common';
import { CommandHandling, type CommandBuilder, type CommandContext, type CommandOutcome } from '../../core/command-handling.js';
import type { UnsealedEvent } from '../../core/event-envelope.js';
import { PersonalDataCipher } from '../../privacy/personal-data.cipher.js';
import { caseDecider, type CaseCommand } from '../case.decider.js';
import { caseStreamId, type CaseEvent } from '../case.events.js';
import type { CaseState } from '../case.state.js';

@Injectable()
export class CaseCommandPath {
  constructor(private readonly commands: CommandHandling, private readonly cipher: PersonalDataCipher) {}

  run(caseId: string, build: CommandBuilder<CaseCommand, CaseState>, context: CommandContext): Promise<CommandOutcome<CaseEvent>> {
    return this.commands.run(caseDecider, caseStreamId(caseId), build, context, (events, state) => this.sealPersonal(events, state));
  }

  private sealPersonal(events: readonly UnsealedEvent[], state: CaseState): Promise<UnsealedEvent[]> {
    return Promise.all(events.map(async (event) => {
      const data = event.data as CaseEvent['data'];
      if (!('personal' in data)) return event;
      // A case's first event names its subject; every later one is about the subject the state holds.
      const subjectId = 'subjectId' in data ? data.subjectId : state.status === 'none' ? null : state.subject.id;
      if (subjectId === null) throw new Error(`${event.type} on a case that does not exist`);
      return { ...event, data: { ...data, personal: await this.cipher.seal(subjectId, event.metadata.eventId, data.personal) } };
    }));
  }
}
