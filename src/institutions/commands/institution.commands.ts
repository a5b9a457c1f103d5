/** The institution's command map: registering and maintaining an institution needs nothing beyond its own stream. */
import { Injectable } from '@nestjs/common';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInput, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import { institutionDecider, type InstitutionCommand } from '../institution.decider.js';
import { institutionStreamId, type InstitutionEvent } from '../institution.events.js';
import type { InstitutionState } from '../institution.state.js';

export type InstitutionInputs = CommandInputs<InstitutionCommand>;
export type InstitutionInput = CommandInput<InstitutionInputs>;

export class ChangeInstitution extends MapCommand<InstitutionInputs, InstitutionCommand, InstitutionEvent, InstitutionState> {
  protected readonly map = InstitutionCommands;
}

@Injectable()
export class InstitutionCommands implements CommandMap<InstitutionInputs, InstitutionCommand, InstitutionEvent, InstitutionState> {
  readonly decider = institutionDecider;
  readonly id = ({ institutionId }: { readonly institutionId: string }) => institutionId;
  readonly streamId = institutionStreamId;
  readonly on = {
    RegisterInstitution: stamped,
    RenameInstitution: stamped,
    ChangeInstitutionServices: stamped,
    SuspendInstitution: stamped,
    ReactivateInstitution: stamped,
  };
}
