import { Controller, Delete, Get, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import type { CommandContext } from '../core/command-handling.js';
import { NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn, Ctx } from '../http/command-context.js';
import { IdParam } from '../http/id-param.js';
import { idSchema, pageQuery, regionCodeSchema, text } from '../http/schemas.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import type { NetworkDocument } from '../projections/directory/directory.projection.js';
import { DirectoryQuery } from '../projections/directory/directory.query.js';
import { ChangeNetwork } from './commands/network.commands.js';

const registerSchema = z.strictObject({ id: idSchema.optional(), name: text(200), regionCode: regionCodeSchema() })
  .meta({ id: 'RegisterNetworkRequest', examples: [{ name: 'WKSBM Jurangombo Selatan', regionCode: '33.71.01.1009' }] });
const memberSchema = z.strictObject({ institutionId: idSchema }).meta({ id: 'AddMemberRequest' });
const coordinatorSchema = z.strictObject({ userId: z.string().min(1).max(128).describe('the `sub` of the coordinator\'s tokens') }).meta({ id: 'AssignCoordinatorRequest' });
const networkResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  regionCode: z.string(),
  memberIds: z.array(z.string()),
  members: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), regionCode: z.string() })),
  coordinatorUserIds: z.array(z.string()),
  revision: z.string(),
}).meta({ id: 'Network' });

const onNetwork = { networkId: ['id', 'network'] } as const;
const onMember = { networkId: ['id', 'network'], institutionId: ['institutionId', 'institution'] } as const;

@ApiTags('networks')
@Controller('networks')
export class NetworksHttpController {
  constructor(private readonly bus: CommandBus, private readonly directory: DirectoryQuery) {}

  @Post()
  @Policy(policies.manageDirectory)
  @ApiCommand(201, {
    summary: 'Register a network',
    description: 'Registers a WKSBM for a kelurahan or desa. The id is derived from the `Idempotency-Key` unless `id` is given; 409 when that id is taken.',
  })
  register(@ValidBody(registerSchema) body: z.infer<typeof registerSchema>, @Ctx() context: CommandContext) {
    return this.bus.execute(new ChangeNetwork({
      type: 'RegisterNetwork', networkId: body.id ?? derivedId('network', context.commandId), name: body.name, regionCode: body.regionCode,
    }, context));
  }

  @Get()
  @Policy(policies.signedIn)
  @ApiRead(z.object({ items: z.array(networkResponseSchema), nextCursor: z.string().nullable() }).meta({ id: 'NetworkPage' }), {
    summary: 'List networks',
    description: 'Every registered WKSBM with its member institutions.',
  })
  async list(@ValidQuery(z.strictObject(pageQuery)) query: { cursor?: string; limit: number }) {
    const page = await this.directory.networks({ cursor: query.cursor ?? null, limit: query.limit });
    return { items: await Promise.all(page.items.map((document) => this.networkView(document))), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Policy(policies.signedIn)
  @ApiRead(networkResponseSchema, {
    summary: 'Read a network',
    description: 'One WKSBM with its member institutions and coordinators.',
  })
  async get(@IdParam('id', 'network') id: string) {
    const document = await this.directory.network(id);
    if (!document) throw new NotFoundError(`No network with id ${id}`);
    return this.networkView(document);
  }

  /** A network with its member institutions. */
  private async networkView(document: NetworkDocument) {
    const { id, name, regionCode, memberIds, coordinatorUserIds } = document.state;
    const members = (await this.directory.institutions({ networkId: id }, { cursor: null, limit: 100 })).items
      .map(({ _id, name: memberName, kind, regionCode: memberRegion }) => ({ id: _id, name: memberName, kind, regionCode: memberRegion }));
    return { id, name, regionCode, memberIds, members, coordinatorUserIds, revision: document.revision };
  }

  @Post(':id/members')
  @Policy(policies.manageMembership)
  @ApiCommand(201, {
    summary: 'Add a member institution',
    description: 'A registered institution of `scope: network` joins the WKSBM (422 for a city-wide provider, which serves every network without joining; 409 when already a member).',
  })
  addMember(@CommandOn(onNetwork) { ids, context }: CommandOn<typeof onNetwork>, @ValidBody(memberSchema) body: z.infer<typeof memberSchema>) {
    return this.bus.execute(new ChangeNetwork({ type: 'AddMember', ...ids, institutionId: body.institutionId }, context));
  }

  @Delete(':id/members/:institutionId')
  @Policy(policies.manageMembership)
  @ApiCommand(200, {
    summary: 'Remove a member institution',
    description: 'The institution leaves the WKSBM (404 when it is not a member). Its cases and referrals go on.',
  })
  removeMember(@CommandOn(onMember) { ids, context }: CommandOn<typeof onMember>) {
    return this.bus.execute(new ChangeNetwork({ type: 'RemoveMember', ...ids }, context));
  }

  @Post(':id/coordinators')
  @Policy(policies.manageDirectory)
  @ApiCommand(200, {
    summary: 'Assign a coordinator',
    description: 'Lists the user (the `sub` of their tokens) among the WKSBM\'s `coordinatorUserIds`. What they may do comes from their token: `role: coordinator` with this `networkId`.',
  })
  assignCoordinator(@CommandOn(onNetwork) { ids, context }: CommandOn<typeof onNetwork>, @ValidBody(coordinatorSchema) body: z.infer<typeof coordinatorSchema>) {
    return this.bus.execute(new ChangeNetwork({ type: 'AssignCoordinator', ...ids, userId: body.userId }, context));
  }

}
