/**
 * The case's command map: every case command, the facts it loads from other streams, and the sealing of
 * each event's `personal` field under the subject's data key once the event's id is known and before the hash
 * chain is computed. The chain covers the ciphertext, so erasing the key later never breaks it.
 */
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { CommandHandling } from '../../core/command-handling.js';
import { MapCommand } from '../../core/command-map.handler.js';
import { stamped, type CommandInputs, type CommandMap } from '../../core/command-map.js';
import type { UnsealedEvent } from '../../core/event-envelope.js';
import { PersonalDataCipher } from '../../privacy/personal-data.cipher.js';
import { subjectDecider } from '../../privacy/subject.decider.js';
import { subjectStreamId } from '../../privacy/subject.events.js';
import { caseDecider, type CaseCommand } from '../case.decider.js';
import { caseStreamId, type CaseEvent } from '../case.events.js';
import type { CaseState } from '../case.state.js';
import { loadInstitution, loadNetwork, targetFacts } from './case-facts.js';

/** What a caller gives for each case command: the facts named here are the map's to load. */
export type CaseInputs = CommandInputs<CaseCommand, {
  OpenCase: 'network' | 'owner' | 'subjectErased';
  RequestReferral: 'target' | 'slaHours';
  EscalateCase: 'target';
}>;

/** Every case command goes by this message. */
export class ChangeCase extends MapCommand<CaseInputs, CaseCommand, CaseEvent, CaseState> {
  protected readonly map = CaseCommands;
}

/** A referral step answers the referral's id. */
const referralStep = { ...stamped, created: ({ referralId }: { readonly referralId: string }) => ({ referralId }) };

@Injectable()
export class CaseCommands implements CommandMap<CaseInputs, CaseCommand, CaseEvent, CaseState> {
  readonly decider = caseDecider;
  readonly id = ({ caseId }: { readonly caseId: string }) => caseId;
  readonly streamId = caseStreamId;

  readonly on: CommandMap<CaseInputs, CaseCommand, CaseEvent, CaseState>['on'] = {
    OpenCase: {
      command: async (input, stamp) => {
        const [network, owner, subject] = await Promise.all([
          loadNetwork(this.commands, input.networkId),
          loadInstitution(this.commands, input.ownerInstitutionId),
          this.commands.load(subjectDecider, subjectStreamId(input.subjectId)),
        ]);
        return { ...input, ...stamp, network, owner, subjectErased: subject.state.erasedAt !== null };
      },
    },
    RequestReferral: {
      command: async (input, stamp, state) => ({
        ...input, ...stamp, slaHours: this.config.slaHours, target: await targetFacts(this.commands, state, input.toInstitutionId),
      }),
      created: ({ referralId }) => ({ referralId }),
    },
    EscalateCase: {
      command: async (input, stamp, state) => ({ ...input, ...stamp, target: await targetFacts(this.commands, state, input.toInstitutionId) }),
    },
    RecordConsent: { ...stamped, created: ({ consentId }) => ({ consentId }) },
    WithdrawConsent: stamped,
    AssessNeeds: stamped,
    AddNote: { ...stamped, created: ({ noteId }) => ({ noteId }) },
    AcceptReferral: referralStep,
    DeclineReferral: referralStep,
    StartReferral: referralStep,
    PutReferralOnHold: referralStep,
    ResumeReferral: referralStep,
    CompleteReferral: referralStep,
    FailReferral: referralStep,
    CancelReferral: referralStep,
    AcknowledgeReferralOutcome: referralStep,
    ExpireReferral: referralStep,
    CloseCase: stamped,
    ReopenCase: stamped,
  };

  constructor(
    private readonly commands: CommandHandling,
    private readonly cipher: PersonalDataCipher,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'slaHours'>,
  ) {}

  readonly beforeAppend = (events: readonly UnsealedEvent[], state: CaseState): Promise<UnsealedEvent[]> => Promise.all(events.map(async (event) => {
    const data = event.data as CaseEvent['data'];
    if (!('personal' in data)) return event;
    // A case's first event names its subject; every later one is about the subject the state holds.
    const subjectId = 'subjectId' in data ? data.subjectId : state.status === 'none' ? null : state.subject.id;
    if (subjectId === null) throw new Error(`${event.type} on a case that does not exist`);
    return { ...event, data: { ...data, personal: await this.cipher.seal(subjectId, event.metadata.eventId, data.personal) } };
  }));
}
