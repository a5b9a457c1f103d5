/** The closed-loop referral steps (docs/architecture.md): sent by the holder, answered by the target, closed by the referrer. */
import { Controller, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand } from '../http/api-docs.js';
import { CommandOn } from '../http/command-context.js';
import { ValidBody } from '../http/zod-validation.js';
import { emptyBodySchema } from '../http/schemas.js';
import { completeSchema, declineSchema, reasonSchema, requestReferralSchema } from './case.schemas.js';
import { ChangeCase } from './commands/case.commands.js';

const onCase = { caseId: ['id', 'case'] } as const;
const onReferral = { caseId: ['id', 'case'], referralId: ['rid', 'referral'] } as const;

@ApiTags('referrals')
@Controller('cases/:id/referrals')
export class ReferralsHttpController {
  constructor(private readonly bus: CommandBus) {}

  @Post()
  @Policy(policies.referCase)
  @ApiCommand(201, {
    summary: 'Refer a case',
    description: 'Asks another institution to take on (part of) the case: a member of the case\'s network or a city-wide provider (another network\'s institution only once the case is escalated, by its coordinator or dinsos; 422 otherwise). The target must be registered and active (409 when suspended), and not already hold an open referral of this case (409). Consent on record must cover the target, or `emergencyOverride` gives the reason to go without (409 otherwise: record consent first). The referral is due after the SLA of its urgency (emergency 24 h, high 3 d, normal 7 d, low 14 d) and expires, by the system, if still `requested` then. Answers `referralId`.',
    example: { id: '0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', revision: '2', position: '120', referralId: '0193a4c3-5b10-7f2a-a1c4-9d8e7f6a5b02' },
  })
  request(@CommandOn(onCase) { ids, context }: CommandOn<typeof onCase>, @ValidBody(requestReferralSchema) body: z.infer<typeof requestReferralSchema>) {
    return this.bus.execute(new ChangeCase({
      type: 'RequestReferral',
      ...ids,
      referralId: body.id ?? derivedId('referral', context.commandId),
      toInstitutionId: body.toInstitutionId,
      reason: body.reason,
      urgency: body.urgency ?? null,
      emergencyOverride: body.emergencyOverride ?? null,
    }, context));
  }

  @Post(':rid/accept')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Accept a referral',
    description: 'The target takes the referral on and becomes a participant of the case (it may then read it and add notes). Only while the referral is `requested` (409 otherwise).',
  })
  accept(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeCase({ type: 'AcceptReferral', ...ids }, context));
  }

  @Post(':rid/decline')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Decline a referral',
    description: 'The target declines, with a reason code (`no_capacity`, `not_eligible`, `outside_area`, `missing_documents`, `duplicate`, `other`) and a reason. Only while `requested` (409 otherwise). The referrer then acknowledges the outcome.',
  })
  decline(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(declineSchema) body: z.infer<typeof declineSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'DeclineReferral', ...ids, reasonCode: body.reasonCode, reason: body.reason }, context));
  }

  @Post(':rid/start')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Start work on a referral',
    description: 'Moves an `accepted` referral to `in_progress` (409 from any other status).',
  })
  start(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeCase({ type: 'StartReferral', ...ids }, context));
  }

  @Post(':rid/hold')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Put a referral on hold',
    description: 'Moves an `in_progress` referral to `on_hold`, with the reason (409 from any other status).',
  })
  hold(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'PutReferralOnHold', ...ids, reason: body.reason }, context));
  }

  @Post(':rid/resume')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Resume a referral',
    description: 'Moves an `on_hold` referral back to `in_progress` (409 from any other status).',
  })
  resume(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeCase({ type: 'ResumeReferral', ...ids }, context));
  }

  @Post(':rid/complete')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Complete a referral',
    description: 'The target reports the work done, with an outcome (`resolved`, `partially_resolved`, `not_resolved`) and a summary. From `accepted`, `in_progress` or `on_hold` (409 otherwise). The referrer then acknowledges the outcome.',
    example: { id: '0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', revision: '5', position: '127' },
  })
  complete(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(completeSchema) body: z.infer<typeof completeSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'CompleteReferral', ...ids, outcome: body.outcome, summary: body.summary }, context));
  }

  @Post(':rid/fail')
  @Policy(policies.answerReferral)
  @ApiCommand(200, {
    summary: 'Fail a referral',
    description: 'The target reports that the work could not be done, with the reason. From `accepted`, `in_progress` or `on_hold` (409 otherwise).',
  })
  fail(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'FailReferral', ...ids, reason: body.reason }, context));
  }

  @Post(':rid/cancel')
  @Policy(policies.closeReferralLoop)
  @ApiCommand(200, {
    summary: 'Cancel a referral',
    description: 'The referrer withdraws the referral, with the reason, while it is `requested`, `accepted`, `in_progress` or `on_hold` (409 once it has ended).',
  })
  cancel(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(reasonSchema) body: z.infer<typeof reasonSchema>) {
    return this.bus.execute(new ChangeCase({ type: 'CancelReferral', ...ids, reason: body.reason }, context));
  }

  @Post(':rid/acknowledge')
  @Policy(policies.closeReferralLoop)
  @ApiCommand(200, {
    summary: 'Acknowledge a referral\'s outcome',
    description: 'The referrer acknowledges how the referral ended (declined, cancelled, expired, completed or failed): the loop is closed. 409 while it is still active, or when already acknowledged. A case closes only once every referral\'s outcome is acknowledged.',
  })
  acknowledge(@CommandOn(onReferral) { ids, context }: CommandOn<typeof onReferral>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeCase({ type: 'AcknowledgeReferralOutcome', ...ids }, context));
  }
}
