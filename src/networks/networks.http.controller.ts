import { Controller, Delete, Get, Post, Res } from '@nestjs/common';
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
import { idSchema, regionCodeSchema, text } from '../http/schemas.js';
import { ValidBody } from '../http/zod-validation.js';
import { ChangeNetwork, type NetworkChange } from './commands/change-network.command.js';
import { networkDecider } from './network.decider.js';
import { networkStreamId } from './network.events.js';

const registerSchema = z.strictObject({ id: idSchema.optional(), name: text(200), regionCode: regionCodeSchema() });
const memberSchema = z.strictObject({ institutionId: idSchema });
const coordinatorSchema = z.strictObject({ userId: z.string().min(1).max(128) });
const networkResponseSchema = z.object({
  id: z.string(), name: z.string(), regionCode: z.string(), memberIds: z.array(z.string()), coordinatorUserIds: z.array(z.string()), revision: z.string(),
});

@ApiTags('networks')
@Controller('networks')
export class NetworksHttpController {
  constructor(private readonly bus: CommandBus, private readonly commands: CommandHandling) {}

  @Post()
  @Roles('admin', 'dinsos')
  @ApiCommand(201, 'WKSBM registered')
  register(@ValidBody(registerSchema) body: z.infer<typeof registerSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, {
      type: 'RegisterNetwork', networkId: body.id ?? derivedId('network', context.commandId), name: body.name, regionCode: body.regionCode,
    });
  }

  @Get(':id')
  @ApiRead(networkResponseSchema)
  async get(@IdParam('id', 'network') id: string) {
    const { state, revision } = await this.commands.load(networkDecider, networkStreamId(id));
    if (state.status === 'unregistered' || revision === null) throw new NotFoundError(`No network with id ${id}`);
    const { status: _status, ...network } = state;
    return { ...network, revision: revision.toString() };
  }

  @Post(':id/members')
  @Roles('admin', 'dinsos', 'coordinator')
  @ApiCommand(201, 'Institution joined the network')
  addMember(@IdParam('id', 'network') networkId: string, @ValidBody(memberSchema) body: z.infer<typeof memberSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'AddMember', networkId, institutionId: body.institutionId });
  }

  @Delete(':id/members/:institutionId')
  @Roles('admin', 'dinsos', 'coordinator')
  @ApiCommand(200, 'Institution left the network')
  removeMember(@IdParam('id', 'network') networkId: string, @IdParam('institutionId', 'institution') institutionId: string, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'RemoveMember', networkId, institutionId });
  }

  @Post(':id/coordinators')
  @Roles('admin', 'dinsos')
  @ApiCommand(200, 'Coordinator assigned')
  assignCoordinator(@IdParam('id', 'network') networkId: string, @ValidBody(coordinatorSchema) body: z.infer<typeof coordinatorSchema>, @Ctx() context: CommandContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.change(reply, context, { type: 'AssignCoordinator', networkId, userId: body.userId });
  }

  private async change(reply: FastifyReply, context: CommandContext, change: NetworkChange): Promise<CommandResponse> {
    return respond(reply, await this.bus.execute(new ChangeNetwork(change, context)));
  }
}
