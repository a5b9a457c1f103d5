/**
 * Data subjects' rights under UU 27/2022, for dinsos: erasure by crypto-shredding and the access
 * report. The erasure's reason never reaches a log: request logs carry no bodies.
 */
import { Controller, Get, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import type { Actor } from '../core/actor.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn } from '../http/command-context.js';
import { IdParam } from '../http/id-param.js';
import { ValidBody } from '../http/zod-validation.js';
import { AccessReportQuery } from './access-report.query.js';
import { EraseSubjectData } from './commands/subject.commands.js';
import { accessReportResponseSchema, erasureSchema } from './subject.schemas.js';

const onSubject = { subjectId: ['subjectId', 'subject'] } as const;

@ApiTags('subjects')
@Controller('subjects')
@Policy(policies.subjectRights)
export class SubjectsHttpController {
  constructor(private readonly bus: CommandBus, private readonly reports: AccessReportQuery) {}

  /** Deletes the subject's data key and records the erasure; a second erasure is refused (409), a retry with the same Idempotency-Key replayed. */
  @Post(':subjectId/erasure')
  @ApiCommand(200, {
    summary: 'Erase a subject\'s personal data',
    description: 'Deletes the subject\'s data key (crypto-shredding) and records `SubjectDataErased` in `subject-<id>`: from then on every read, view and replay shows the subject as `{ id, erased: true }` and their personal data as `{ erased: true }`, while the hash chains still verify. 409 when already erased (a retry with the same `Idempotency-Key` is replayed instead). No new case is linked to the erased NIK.',
  })
  erase(@CommandOn(onSubject) { ids, context }: CommandOn<typeof onSubject>, @ValidBody(erasureSchema) body: z.infer<typeof erasureSchema>) {
    return this.bus.execute(new EraseSubjectData({ type: 'EraseSubjectData', ...ids, reason: body.reason }, context));
  }

  @Get(':subjectId/access-report')
  @ApiRead(accessReportResponseSchema, {
    summary: 'Report what is held on a subject',
    description: 'For a data subject\'s access request: their cases, the personal fields each holds (names, never values), every recorded read of those cases\' histories, and the erasure if any.',
  })
  accessReport(@IdParam('subjectId', 'subject') subjectId: string, @CurrentActor() actor: Actor) {
    return this.reports.report(actor, subjectId);
  }
}
