import { Controller, Get, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { institutionOf, type Actor } from '../core/actor.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn, Ctx } from '../http/command-context.js';
import { IdParam } from '../http/id-param.js';
import { emptyBodySchema, pageQuery } from '../http/schemas.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import type { CaseDocument } from '../projections/case-summaries/case-summaries.projection.js';
import { CaseSummariesQuery } from '../projections/case-summaries/case-summaries.query.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { nikLookupKey, subjectIdFor } from '../privacy/subject-id.js';
import { caseListResponseSchema, caseResponseSchema, notesResponseSchema, reasonsResponseSchema, timelineResponseSchema } from './case.responses.js';
import { CaseTextsQuery } from './case-texts.query.js';
import { caseDecider } from './case.decider.js';
import { caseStreamId } from './case.events.js';
import {
  addNoteSchema, assessNeedsSchema, caseListQuerySchema, closeCaseSchema, escalateSchema, reasonSchema, recordConsentSchema, openCaseSchema,
} from './case.schemas.js';
import { caseView } from './case.view.js';
import { ChangeCase } from './commands/case.commands.js';

const onCase = { caseId: ['id', 'case'] } as const;
const onConsent = { caseId: ['id', 'case'], consentId: ['consentId', 'consent'] } as const;

@ApiTags('cases')
@Controller('cases')
export class CasesHttpController {
  private readonly nikKey: Buffer;

  constructor(
    private readonly bus: CommandBus,
    private readonly cases: CaseSummariesQuery,
    private readonly cipher: PersonalDataCipher,
    private readonly texts: CaseTextsQuery,
    private readonly commands: CommandHandling,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.nikKey = nikLookupKey(config.masterKey);
  }

  @Post()
  @Policy(policies.openCase)
  @ApiCommand(201, {
    summary: 'Open a case',
    description: 'Opens a case for one person (the subject) in a network, owned by the caller\'s institution (a coordinator names `ownerInstitutionId`, a member of the network). The owner must be registered and active. With a NIK the case is linked to the subject already known by it; a subject whose data was erased is refused (409 on `subject.nik`: open the case without the NIK). The case id is derived from the `Idempotency-Key` unless `id` is given.',
    example: { id: '0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', revision: '0', position: '118' },
  })
  open(@ValidBody(openCaseSchema) body: z.infer<typeof openCaseSchema>, @Ctx() context: CommandContext) {
    const ownerInstitutionId = body.ownerInstitutionId ?? institutionOf(context.actor);
    if (ownerInstitutionId === null) throw new InvalidCommandError('Name the institution that will own the case', 'ownerInstitutionId');
    const { regionCode, ...subject } = body.subject;
    return this.bus.execute(new ChangeCase({
      type: 'OpenCase',
      caseId: body.id ?? derivedId('case', context.commandId),
      networkId: body.networkId,
      ownerInstitutionId,
      subjectId: subjectIdFor(subject.nik, context.commandId, this.nikKey),
      regionCode,
      subject,
      categories: body.categories,
      urgency: body.urgency,
      description: body.description,
    }, context));
  }

  @Get()
  @Policy(policies.listCases)
  @ApiRead(caseListResponseSchema, {
    summary: 'List cases',
    description: 'The cases the caller may read (see `GET /cases/{id}`), newest first, filtered by status, network, PPKS category, institution (owner or participant) or region.',
  })
  async list(@ValidQuery(caseListQuerySchema) query: z.infer<typeof caseListQuerySchema>, @CurrentActor() actor: Actor) {
    const { cursor, limit, ...filters } = query;
    const page = await this.cases.listCases(actor, filters, { cursor: cursor ?? null, limit });
    return { items: await Promise.all(page.items.map((document) => this.view(actor, document))), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Policy(policies.readCase)
  @ApiRead(caseResponseSchema, {
    summary: 'Read a case',
    description: 'The case with its referrals, participants, consents and escalations, and the subject\'s personal data (or `{ id, erased: true }`). The `ETag` is its revision, for `If-Match`.',
    etag: true,
  })
  async get(@IdParam('id', 'case') id: string, @CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply) {
    const document = await this.cases.findCase(id);
    if (!document) throw new NotFoundError(`No case with id ${id}`);
    reply.header('etag', `"${document.revision}"`);
    return this.view(actor, document);
  }

  @Get(':id/timeline')
  @Policy(policies.readCase)
  @ApiRead(timelineResponseSchema, {
    summary: 'Read a case\'s timeline',
    description: 'Who did what and when on the case, oldest first: one entry per event, without personal data or free text.',
  })
  async timeline(@IdParam('id', 'case') id: string, @ValidQuery(z.strictObject(pageQuery)) query: { cursor?: string; limit: number }) {
    const document = await this.cases.findCase(id);
    if (!document) throw new NotFoundError(`No case with id ${id}`);
    const page = await this.cases.timeline(id, { cursor: query.cursor ?? null, limit: query.limit });
    return {
      items: page.items.map(({ revision, type, occurredAt, actor: by, details }) => ({ revision: String(revision), type, occurredAt, actor: by, details })),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id/notes')
  @Policy(policies.readCase)
  @ApiRead(notesResponseSchema, {
    summary: 'Read a case\'s notes',
    description: 'The notes the caller may read, oldest first, with their author (institution, user, role) and text (null once the subject\'s data is erased): notes for every participant to the case\'s readers, notes kept to an institution only to its own people.',
  })
  async listNotes(@IdParam('id', 'case') id: string, @CurrentActor() actor: Actor) {
    return { items: await this.texts.notes(actor, await this.existingCase(id)) };
  }

  @Get(':id/reasons')
  @Policy(policies.readCase)
  @ApiRead(reasonsResponseSchema, {
    summary: 'Read the words written with a case\'s steps',
    description: 'Why each referral was asked for (and an emergency override\'s reason), declined, put on hold, failed or cancelled, and its completion summary; why the case was escalated or reopened, and its closing summary. In log order, each with the event\'s revision and type; `text` is null once the subject\'s data is erased. Everyone who may read the case reads them: the target of a referral needs its reason to decide.',
  })
  async listReasons(@IdParam('id', 'case') id: string, @CurrentActor() actor: Actor) {
    return { items: await this.texts.reasons(actor, await this.existingCase(id)) };
  }

  /** The case as the log has it now (the policy has read it already: this is its cached fold). */
  private async existingCase(id: string) {
    const state = (await this.commands.load(caseDecider, caseStreamId(id))).state;
    if (state.status === 'none') throw new NotFoundError(`No case with id ${id}`);
    return state;
  }

  @Post(':id/consents')
  @Policy(policies.participate)
  @ApiCommand(201, {
    summary: 'Record consent',
    description: 'Records the subject\'s (or guardian\'s) consent to share the case with some institutions, or with the whole network, for referrals. A referral needs consent on record that covers its target (or an emergency override). Open cases only (409 when closed). Answers `consentId`.',
    example: { id: '0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', revision: '1', position: '119', consentId: '0193a4c3-01aa-7d1b-8c2e-5a4f3b2c1d09' },
  })
  recordConsent(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(recordConsentSchema) body: z.infer<typeof recordConsentSchema>) {
    const consentId = body.id ?? derivedId('consent', context.commandId);
    return this.bus.execute(new ChangeCase({ type: 'RecordConsent', ...ids, consentId, recipients: body.recipients, givenBy: body.givenBy, expiresAt: body.expiresAt ?? null }, context));
  }

  @Post(':id/consents/:consentId/withdraw')
  @Policy(policies.participate)
  @ApiCommand(200, {
    summary: 'Withdraw consent',
    description: 'Withdraws a consent: no new referral may rely on it; referrals already sent go on. 404 for an unknown consent, 409 when already withdrawn or the case is closed.',
  })
  withdrawConsent(@CommandOn(onConsent) { ids, context }: CommandOn<typeof onConsent>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeCase({ type: 'WithdrawConsent', ...ids }, context));
  }

  @Post(':id/notes')
  @Policy(policies.participate)
  @ApiCommand(201, {
    summary: 'Add a note',
    description: 'Adds a free-text note (stored encrypted), for every participant or only the author\'s institution. Open cases only. Answers `noteId`.',
  })
  addNote(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(addNoteSchema) body: z.infer<typeof addNoteSchema>) {
    const noteId = body.id ?? derivedId('note', context.commandId);
    return this.bus.execute(new ChangeCase({ type: 'AddNote', ...ids, noteId, text: body.text, visibility: body.visibility }, context));
  }

  @Post(':id/needs')
  @Policy(policies.participate)
  @ApiCommand(200, {
    summary: 'Re-assess needs',
    description: 'Replaces the case\'s PPKS categories and urgency. The urgency of referrals already sent does not change. Open cases only.',
  })
  assessNeeds(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(assessNeedsSchema) body: z.infer<typeof assessNeedsSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'AssessNeeds', ...ids, categories: body.categories, urgency: body.urgency }, context));
  }

  @Post(':id/escalate')
  @Policy(policies.escalateCase)
  @ApiCommand(200, {
    summary: 'Escalate a case',
    description: 'Escalates the case to a city-wide provider (usually the Dinas Sosial), which may then read and act on it; the coordinator and dinsos may then refer it to institutions of other networks. 422 for an institution of the case\'s own network (refer it instead), 409 when already escalated there or the case is closed.',
  })
  escalate(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(escalateSchema) body: z.infer<typeof escalateSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'EscalateCase', ...ids, toInstitutionId: body.toInstitutionId, reason: body.reason }, context));
  }

  @Post(':id/close')
  @Policy(policies.closeCase)
  @ApiCommand(200, {
    summary: 'Close a case',
    description: 'Closes the case with an outcome. Every referral must have ended and its outcome been acknowledged by the referrer (409 otherwise, naming them). A closed case accepts no command but reopen.',
    example: { id: '0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', revision: '7', position: '131' },
  })
  close(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(closeCaseSchema) body: z.infer<typeof closeCaseSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'CloseCase', ...ids, outcome: body.outcome, summary: body.summary }, context));
  }

  @Post(':id/reopen')
  @Policy(policies.closeCase)
  @ApiCommand(200, {
    summary: 'Reopen a case',
    description: 'Reopens a closed case (409 when it is open), with the reason.',
  })
  reopen(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'ReopenCase', ...ids, reason: body.reason }, context));
  }

  /** The case as its reader is shown it: the subject's data opened, or erased. */
  private async view(actor: Actor, { state, revision }: CaseDocument) {
    return caseView(state, BigInt(revision), await this.cipher.open(actor, state.subject.id, state.subject.personal));
  }
}
