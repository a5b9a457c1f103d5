import { Controller, Get, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Roles } from '../auth/auth.guard.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { Ctx } from '../http/command-context.js';
import { respond, type CommandResponse } from '../http/command-response.js';
import { IdParam } from '../http/id-param.js';
import { categoriesSchema, idSchema, regionCodeSchema, text } from '../http/schemas.js';
import { ValidBody } from '../http/zod-validation.js';
import { ChangeInstitution, type InstitutionChange } from './commands/change-institution.command.js';
import { institutionDecider } from './institution.decider.js';
import { INSTITUTION_KINDS, INSTITUTION_SCOPES, institutionStreamId } from './institution.events.js';

const capacitySchema = z.number().int().min(0).max(1_000_000);

const registerSchema = z.strictObject({
  id: idSchema.optional(),
  name: text(200),
  kind: z.enum(INSTITUTION_KINDS),
  regionCode: regionCodeSchema(),
  scope: z.enum(INSTITUTION_SCOPES),
  categoriesServed: categoriesSchema,
  capacity: capacitySchema.optional(),
});
const renameSchema = z.strictObject({ name: text(200) });
const servicesSchema = z.strictObject({ categoriesServed: categoriesSchema, capacity: capacitySchema.optional() });
const suspendSchema = z.strictObject({ reason: text(2000) });
const emptySchema = z.strictObject({}).optional();

const institutionResponseSchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'suspended']),
  name: z.string(),
  kind: z.enum(INSTITUTION_KINDS),
  regionCode: z.string(),
  scope: z.enum(INSTITUTION_SCOPES),
  categoriesServed: z.array(z.string()),
  capacity: z.number().nullable(),
  revision: z.string(),
});

@ApiTags('institutions')
@Controller('institutions')
export class InstitutionsHttpController {
  constructor(private readonly bus: CommandBus, private readonly commands: CommandHandling) {}

  @Post()
  @Roles('admin', 'dinsos')
  @ApiCommand(201, 'Institution registered')
  register(@ValidBody(registerSchema) body: z.infer<typeof registerSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const { id, capacity, ...details } = body;
    return this.change(reply, context, {
      type: 'RegisterInstitution', institutionId: id ?? derivedId('institution', context.commandId), ...details, capacity: capacity ?? null,
    });
  }

  @Get(':id')
  @ApiRead(institutionResponseSchema)
  async get(@IdParam('id', 'institution') id: string) {
    const { state, revision } = await this.commands.load(institutionDecider, institutionStreamId(id));
    if (state.status === 'unregistered' || revision === null) throw new NotFoundError(`No institution with id ${id}`);
    const { id: _id, ...details } = state;
    return { id, ...details, revision: revision.toString() };
  }

  @Post(':id/rename')
  @Roles('admin', 'dinsos')
  @ApiCommand(200, 'Renamed')
  rename(@IdParam('id', 'institution') institutionId: string, @ValidBody(renameSchema) body: z.infer<typeof renameSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'RenameInstitution', institutionId, name: body.name });
  }

  @Post(':id/services')
  @Roles('admin', 'dinsos')
  @ApiCommand(200, 'Services and capacity changed')
  services(@IdParam('id', 'institution') institutionId: string, @ValidBody(servicesSchema) body: z.infer<typeof servicesSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'ChangeInstitutionServices', institutionId, categoriesServed: body.categoriesServed, capacity: body.capacity ?? null });
  }

  @Post(':id/suspend')
  @Roles('admin', 'dinsos')
  @ApiCommand(200, 'Suspended: it receives no referrals and opens no cases')
  suspend(@IdParam('id', 'institution') institutionId: string, @ValidBody(suspendSchema) body: z.infer<typeof suspendSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'SuspendInstitution', institutionId, reason: body.reason });
  }

  @Post(':id/reactivate')
  @Roles('admin', 'dinsos')
  @ApiCommand(200, 'Reactivated')
  reactivate(@IdParam('id', 'institution') institutionId: string, @ValidBody(emptySchema) _body: unknown, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'ReactivateInstitution', institutionId });
  }

  private async change(reply: FastifyReply, context: CommandContext, change: InstitutionChange): Promise<CommandResponse> {
    return respond(reply, await this.bus.execute(new ChangeInstitution(change, context)));
  }
}
