/** The closed-loop referral steps (DESIGN §4, §9): sent by the holder, answered by the target, closed by the referrer. */
import { Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import type { CommandContext } from '../core/command-handling.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand } from '../http/api-docs.js';
import { Ctx } from '../http/command-context.js';
import { respond, type CommandResponse } from '../http/command-response.js';
import { IdParam } from '../http/id-param.js';
import { ValidBody } from '../http/zod-validation.js';
import { completeSchema, declineSchema, emptySchema, reasonSchema, requestReferralSchema } from './case.schemas.js';
import { ChangeCase, type CaseChange } from './commands/change-case.command.js';
import { RequestReferral } from './commands/request-referral.command.js';

type Step = Extract<CaseChange, { referralId: string }>;
type Reply = FastifyReply;

@ApiTags('referrals')
@Controller('cases/:id/referrals')
export class ReferralsHttpController {
  constructor(private readonly bus: CommandBus) {}

  @Post()
  @Policy(policies.referCase)
  @ApiCommand(201, 'Referral requested')
  async request(@IdParam('id', 'case') caseId: string, @ValidBody(requestReferralSchema) body: z.infer<typeof requestReferralSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply): Promise<CommandResponse> {
    const result = await this.bus.execute(new RequestReferral({
      caseId,
      referralId: body.id ?? derivedId('referral', context.commandId),
      toInstitutionId: body.toInstitutionId,
      reason: body.reason,
      urgency: body.urgency ?? null,
      emergencyOverride: body.emergencyOverride ?? null,
    }, context));
    return respond(reply, result);
  }

  @Post(':rid/accept')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Accepted: the target joins the case')
  accept(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(emptySchema.optional()) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'AcceptReferral', caseId, referralId });
  }

  @Post(':rid/decline')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Declined with a reason code')
  decline(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(declineSchema) body: z.infer<typeof declineSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'DeclineReferral', caseId, referralId, reasonCode: body.reasonCode, reason: body.reason });
  }

  @Post(':rid/start')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Work started')
  start(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(emptySchema.optional()) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'StartReferral', caseId, referralId });
  }

  @Post(':rid/hold')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Put on hold')
  hold(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'PutReferralOnHold', caseId, referralId, reason: body.reason });
  }

  @Post(':rid/resume')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Resumed')
  resume(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(emptySchema.optional()) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'ResumeReferral', caseId, referralId });
  }

  @Post(':rid/complete')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Completed with an outcome')
  complete(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(completeSchema) body: z.infer<typeof completeSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'CompleteReferral', caseId, referralId, outcome: body.outcome, summary: body.summary });
  }

  @Post(':rid/fail')
  @Policy(policies.answerReferral)
  @ApiCommand(200, 'Failed')
  fail(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'FailReferral', caseId, referralId, reason: body.reason });
  }

  @Post(':rid/cancel')
  @Policy(policies.closeReferralLoop)
  @ApiCommand(200, 'Cancelled by the referrer')
  cancel(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'CancelReferral', caseId, referralId, reason: body.reason });
  }

  @Post(':rid/acknowledge')
  @Policy(policies.closeReferralLoop)
  @ApiCommand(200, 'Outcome acknowledged: the loop is closed')
  acknowledge(@IdParam('id', 'case') caseId: string, @IdParam('rid', 'referral') referralId: string, @ValidBody(emptySchema.optional()) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: Reply) {
    return this.step(reply, context, { type: 'AcknowledgeReferralOutcome', caseId, referralId });
  }

  private async step(reply: Reply, context: CommandContext, step: Step): Promise<CommandResponse> {
    return respond(reply, await this.bus.execute(new ChangeCase(step, context)));
  }
}
