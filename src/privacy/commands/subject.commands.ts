/**
 * The subject's command map: erasure by crypto-shredding. A subject is known by a key or by a case; an
 * unknown one is not found (404). Once `SubjectDataErased` is stored in `subject-<id>`, the subject's data key
 * is deleted, as its own step after the append (docs/architecture.md, "Side effects after the append").
 *
 * Crash safety: should the process die between the append and the key deletion, the erasure is recorded but
 * the request was never answered, so its client retries it with the same Idempotency-Key; the retry is
 * replayed (nothing appended twice) and the replay runs the deletion again, which is idempotent (the first
 * time stays the time of the tombstone). A request with another key is refused as already erased (409) after
 * finishing the deletion too, so no path leaves a recorded erasure with the key in place once anyone asks again.
 */
import { Injectable } from '@nestjs/common';
import { CommandHandling, type CommandOutcome } from '../../core/command-handling.js';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import { NotFoundError } from '../../core/domain-error.js';
import { CaseSummariesQuery } from '../../projections/case-summaries/case-summaries.query.js';
import { subjectDecider, type EraseSubjectDataCommand, type SubjectState } from '../subject.decider.js';
import { subjectStreamId, type SubjectEvent } from '../subject.events.js';
import { SubjectKeyStore } from '../subject-key.store.js';

export type SubjectInputs = CommandInputs<EraseSubjectDataCommand>;

export class EraseSubjectData extends MapCommand<SubjectInputs, EraseSubjectDataCommand, SubjectEvent, SubjectState> {
  protected readonly map = SubjectCommands;
}

@Injectable()
export class SubjectCommands implements CommandMap<SubjectInputs, EraseSubjectDataCommand, SubjectEvent, SubjectState> {
  readonly decider = subjectDecider;
  readonly id = ({ subjectId }: { readonly subjectId: string }) => subjectId;
  readonly streamId = subjectStreamId;
  readonly on = { EraseSubjectData: stamped };

  constructor(private readonly commands: CommandHandling, private readonly keys: SubjectKeyStore, private readonly cases: CaseSummariesQuery) {}

  readonly precondition = async ({ subjectId }: { readonly subjectId: string }): Promise<void> => {
    const known = (await this.keys.find(subjectId)).status !== 'unknown' || (await this.cases.subjectCases(subjectId)).length > 0;
    if (!known) throw new NotFoundError(`No subject with id ${subjectId}`);
    // An erasure stored by a process that died before deleting the key: finish it before the decider refuses a second one.
    const { state } = await this.commands.load(subjectDecider, subjectStreamId(subjectId));
    if (state.erasedAt !== null) await this.keys.erase(subjectId, state.erasedAt);
  };

  /** Deletes the key once the erasure is stored, at the time the event records. */
  readonly afterAppend = async ({ subjectId }: { readonly subjectId: string }, { events }: CommandOutcome<SubjectEvent>): Promise<void> => {
    for (const event of events) await this.keys.erase(subjectId, event.data.erasedAt);
  };
}
