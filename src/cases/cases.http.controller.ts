import { Controller, Get, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Actor } from '../core/actor.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { InvalidCommandError, NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { Ctx } from '../http/command-context.js';
import { respond, type CommandResponse } from '../http/command-response.js';
import { IdParam } from '../http/id-param.js';
import { pageQuery } from '../http/schemas.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import type { CaseDocument } from '../projections/case-summaries/case-summaries.projection.js';
import { CaseSummariesQuery } from '../projections/case-summaries/case-summaries.query.js';
import { PersonalDataCipher } from '../privacy/personal-data.cipher.js';
import { nikLookupKey, subjectIdFor } from '../privacy/subject-id.js';
import { caseListResponseSchema, caseResponseSchema, notesResponseSchema, timelineResponseSchema } from './case.responses.js';
import { CaseNotesQuery } from './case-notes.query.js';
import { caseDecider } from './case.decider.js';
import { caseStreamId } from './case.events.js';
import {
  addNoteSchema, assessNeedsSchema, caseListQuerySchema, closeCaseSchema, escalateSchema, reasonSchema, recordConsentSchema, openCaseSchema, emptySchema,
} from './case.schemas.js';
import { caseView } from './case.view.js';
import { ChangeCase, type CaseChange } from './commands/change-case.command.js';
import { EscalateCase } from './commands/escalate-case.command.js';
import { OpenCase } from './commands/open-case.command.js';

@ApiTags('cases')
@Controller('cases')
export class CasesHttpController {
  private readonly nikKey: Buffer;

  constructor(
    private readonly bus: CommandBus,
    private readonly cases: CaseSummariesQuery,
    private readonly cipher: PersonalDataCipher,
    private readonly notes: CaseNotesQuery,
    private readonly commands: CommandHandling,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.nikKey = nikLookupKey(config.masterKey);
  }

  @Post()
  @Policy(policies.openCase)
  @ApiCommand(201, 'Case opened')
  async open(
    @ValidBody(openCaseSchema) body: z.infer<typeof openCaseSchema>,
    @Ctx() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CommandResponse> {
    const ownerInstitutionId = body.ownerInstitutionId ?? context.actor.institutionId;
    if (ownerInstitutionId === undefined) throw new InvalidCommandError('Name the institution that will own the case', 'ownerInstitutionId');
    const { regionCode, ...subject } = body.subject;
    const result = await this.bus.execute(new OpenCase({
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
    return respond(reply, result);
  }

  @Get()
  @Policy(policies.listCases)
  @ApiRead(caseListResponseSchema)
  async list(@ValidQuery(caseListQuerySchema) query: z.infer<typeof caseListQuerySchema>, @CurrentActor() actor: Actor) {
    const { cursor, limit, ...filters } = query;
    const page = await this.cases.listCases(actor, filters, { cursor: cursor ?? null, limit });
    return { items: await Promise.all(page.items.map((document) => this.view(actor, document))), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Policy(policies.readCase)
  @ApiRead(caseResponseSchema)
  async get(@IdParam('id', 'case') id: string, @CurrentActor() actor: Actor, @Res({ passthrough: true }) reply: FastifyReply) {
    const document = await this.cases.findCase(id);
    if (!document) throw new NotFoundError(`No case with id ${id}`);
    reply.header('etag', `"${document.revision}"`);
    return this.view(actor, document);
  }

  @Get(':id/timeline')
  @Policy(policies.readCase)
  @ApiRead(timelineResponseSchema)
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
  @ApiRead(notesResponseSchema)
  async listNotes(@IdParam('id', 'case') id: string, @CurrentActor() actor: Actor) {
    const state = (await this.commands.load(caseDecider, caseStreamId(id))).state;
    if (state.status === 'none') throw new NotFoundError(`No case with id ${id}`);
    return { items: await this.notes.notes(actor, state) };
  }

  @Post(':id/consents')
  @Policy(policies.participate)
  @ApiCommand(201, 'Consent recorded')
  recordConsent(@IdParam('id', 'case') caseId: string, @ValidBody(recordConsentSchema) body: z.infer<typeof recordConsentSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const consentId = body.id ?? derivedId('consent', context.commandId);
    return this.change(reply, context, {
      type: 'RecordConsent', caseId, consentId, recipients: body.recipients, givenBy: body.givenBy, expiresAt: body.expiresAt ?? null,
    });
  }

  @Post(':id/consents/:consentId/withdraw')
  @Policy(policies.participate)
  @ApiCommand(200, 'Consent withdrawn')
  withdrawConsent(@IdParam('id', 'case') caseId: string, @IdParam('consentId', 'consent') consentId: string, @ValidBody(emptySchema.optional()) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'WithdrawConsent', caseId, consentId });
  }

  @Post(':id/notes')
  @Policy(policies.participate)
  @ApiCommand(201, 'Note added')
  addNote(@IdParam('id', 'case') caseId: string, @ValidBody(addNoteSchema) body: z.infer<typeof addNoteSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const noteId = body.id ?? derivedId('note', context.commandId);
    return this.change(reply, context, { type: 'AddNote', caseId, noteId, text: body.text, visibility: body.visibility });
  }

  @Post(':id/needs')
  @Policy(policies.participate)
  @ApiCommand(200, 'Needs re-assessed')
  assessNeeds(@IdParam('id', 'case') caseId: string, @ValidBody(assessNeedsSchema) body: z.infer<typeof assessNeedsSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'AssessNeeds', caseId, categories: body.categories, urgency: body.urgency });
  }

  @Post(':id/escalate')
  @Policy(policies.escalateCase)
  @ApiCommand(200, 'Case escalated')
  async escalate(@IdParam('id', 'case') caseId: string, @ValidBody(escalateSchema) body: z.infer<typeof escalateSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return respond(reply, await this.bus.execute(new EscalateCase({ caseId, toInstitutionId: body.toInstitutionId, reason: body.reason }, context)));
  }

  @Post(':id/close')
  @Policy(policies.closeCase)
  @ApiCommand(200, 'Case closed')
  close(@IdParam('id', 'case') caseId: string, @ValidBody(closeCaseSchema) body: z.infer<typeof closeCaseSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'CloseCase', caseId, outcome: body.outcome, summary: body.summary });
  }

  @Post(':id/reopen')
  @Policy(policies.closeCase)
  @ApiCommand(200, 'Case reopened')
  reopen(@IdParam('id', 'case') caseId: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'ReopenCase', caseId, reason: body.reason });
  }

  /** The case as its reader is shown it: the subject's data opened, or erased. */
  private async view(actor: Actor, { state, revision }: CaseDocument) {
    return caseView(state, BigInt(revision), await this.cipher.open(actor, state.subject.id, state.subject.personal));
  }

  private async change(reply: FastifyReply, context: CommandContext, change: CaseChange): Promise<CommandResponse> {
    return respond(reply, await this.bus.execute(new ChangeCase(change, context)));
  }
}
