/**
 * Erasure by crypto-shredding: once the decider accepts, the subject's data key is deleted,
 * then `SubjectDataErased` is appended to `subject-<id>`. In that order, a failed append leaves the data
 * unreadable and a retry records it; the reverse could record an erasure with the data still readable.
 * A subject is known by a key or by a case; an unknown one is not found (404).
 */
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CommandHandling, type CommandContext } from '../../core/command-handling.js';
import { NotFoundError } from '../../core/domain-error.js';
import { commandResult, type CommandResult } from '../../core/command-result.js';
import { CaseSummariesQuery } from '../../projections/case-summaries/case-summaries.query.js';
import { subjectDecider } from '../subject.decider.js';
import { subjectStreamId } from '../subject.events.js';
import { SubjectKeyStore } from '../subject-key.store.js';

export class EraseSubjectData extends Command<CommandResult> {
  constructor(readonly input: { readonly subjectId: string; readonly reason: string }, readonly context: CommandContext) {
    super();
  }
}

@CommandHandler(EraseSubjectData)
export class EraseSubjectDataHandler implements ICommandHandler<EraseSubjectData> {
  constructor(private readonly commands: CommandHandling, private readonly keys: SubjectKeyStore, private readonly cases: CaseSummariesQuery) {}

  async execute({ input: { subjectId, reason }, context }: EraseSubjectData): Promise<CommandResult> {
    const known = (await this.keys.find(subjectId)).status !== 'unknown' || (await this.cases.subjectCases(subjectId)).length > 0;
    if (!known) throw new NotFoundError(`No subject with id ${subjectId}`);
    const outcome = await this.commands.run(
      subjectDecider,
      subjectStreamId(subjectId),
      () => ({ type: 'EraseSubjectData', subjectId, reason, actor: context.actor, at: context.occurredAt }),
      context,
      async (events) => {
        await this.keys.erase(subjectId, context.occurredAt);
        return events;
      },
    );
    return commandResult(subjectId, outcome);
  }
}
