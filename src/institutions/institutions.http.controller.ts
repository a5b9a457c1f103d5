import { Controller, Get, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { inboxResponseSchema } from '../cases/case.responses.js';
import { CLOCK, type Clock } from '../core/clock.js';
import type { CommandContext } from '../core/command-handling.js';
import { NotFoundError } from '../core/domain-error.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn, Ctx } from '../http/command-context.js';
import { IdParam } from '../http/id-param.js';
import { categoriesSchema, emptyBodySchema, idSchema, pageQuery, regionCodeSchema, text } from '../http/schemas.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import { CaseSummariesQuery } from '../projections/case-summaries/case-summaries.query.js';
import type { InstitutionDocument } from '../projections/directory/directory.projection.js';
import { DirectoryQuery } from '../projections/directory/directory.query.js';
import { isKnownCategory } from '../reference/reference.js';
import { ChangeInstitution } from './commands/institution.commands.js';
import { INSTITUTION_KINDS, INSTITUTION_SCOPES } from './institution.events.js';
import { ACTIVE_REFERRAL_STATUSES, TERMINAL_REFERRAL_STATUSES } from '../cases/case.state.js';

const capacitySchema = z.number().int().min(0).max(1_000_000);

const registerSchema = z.strictObject({
  id: idSchema.optional(),
  name: text(200),
  kind: z.enum(INSTITUTION_KINDS),
  regionCode: regionCodeSchema(),
  scope: z.enum(INSTITUTION_SCOPES),
  categoriesServed: categoriesSchema,
  capacity: capacitySchema.optional(),
}).meta({
  id: 'RegisterInstitutionRequest',
  description: '`scope: network` for a KPS that joins networks (`POST /networks/{id}/members`), `city` for a city-wide provider that serves every network.',
  examples: [{ name: 'Posyandu Mawar', kind: 'posyandu', regionCode: '33.71.01.1008', scope: 'network', categoriesServed: ['PPKS-01'], capacity: 25 }],
});
const renameSchema = z.strictObject({ name: text(200) }).meta({ id: 'RenameInstitutionRequest' });
const servicesSchema = z.strictObject({ categoriesServed: categoriesSchema, capacity: capacitySchema.optional() }).meta({ id: 'InstitutionServicesRequest' });
const suspendSchema = z.strictObject({ reason: text(2000) }).meta({ id: 'SuspendInstitutionRequest' });

const institutionResponseSchema = z.object({
  id: z.string(),
  status: z.enum(['active', 'suspended']),
  name: z.string(),
  kind: z.enum(INSTITUTION_KINDS),
  regionCode: z.string(),
  scope: z.enum(INSTITUTION_SCOPES),
  categoriesServed: z.array(z.string()),
  capacity: z.number().nullable(),
  networkIds: z.array(z.string()),
  revision: z.string(),
}).meta({ id: 'Institution' });

const listQuerySchema = z.strictObject({
  kind: z.enum(INSTITUTION_KINDS).optional(),
  category: z.string().refine(isKnownCategory, 'must be a PPKS category code').optional(),
  regionCode: regionCodeSchema().optional(),
  networkId: idSchema.optional(),
  ...pageQuery,
});

const boxQuerySchema = z.strictObject({
  status: z.enum([...ACTIVE_REFERRAL_STATUSES, ...TERMINAL_REFERRAL_STATUSES]).optional(),
  overdue: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  ...pageQuery,
});

function institutionView(document: InstitutionDocument) {
  const { id, status, name, kind, regionCode, scope, categoriesServed, capacity } = document.state;
  return { id, status, name, kind, regionCode, scope, categoriesServed, capacity, networkIds: document.networkIds, revision: document.revision };
}

const onInstitution = { institutionId: ['id', 'institution'] } as const;

@ApiTags('institutions')
@Controller('institutions')
export class InstitutionsHttpController {
  constructor(
    private readonly bus: CommandBus,
    private readonly directory: DirectoryQuery,
    private readonly cases: CaseSummariesQuery,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @Policy(policies.manageDirectory)
  @ApiCommand(201, {
    summary: 'Register an institution',
    description: 'Registers a KPS or a city-wide provider. The id is derived from the `Idempotency-Key` unless `id` is given; 409 when that id is taken.',
  })
  register(@ValidBody(registerSchema) body: z.infer<typeof registerSchema>, @Ctx() context: CommandContext) {
    const { id, capacity, ...details } = body;
    return this.bus.execute(new ChangeInstitution({
      type: 'RegisterInstitution', institutionId: id ?? derivedId('institution', context.commandId), ...details, capacity: capacity ?? null,
    }, context));
  }

  @Get()
  @Policy(policies.signedIn)
  @ApiRead(z.object({ items: z.array(institutionResponseSchema), nextCursor: z.string().nullable() }).meta({ id: 'InstitutionPage' }), {
    summary: 'List institutions',
    description: 'The directory: every registered institution, filtered by kind, PPKS category served, region or network.',
  })
  async list(@ValidQuery(listQuerySchema) query: z.infer<typeof listQuerySchema>) {
    const { cursor, limit, ...filters } = query;
    const page = await this.directory.institutions(filters, { cursor: cursor ?? null, limit });
    return { items: page.items.map(institutionView), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Policy(policies.signedIn)
  @ApiRead(institutionResponseSchema, {
    summary: 'Read an institution',
    description: 'One institution of the directory, with the networks it belongs to.',
  })
  async get(@IdParam('id', 'institution') id: string) {
    const document = await this.directory.institution(id);
    if (!document) throw new NotFoundError(`No institution with id ${id}`);
    return institutionView(document);
  }

  @Get(':id/inbox')
  @Policy(policies.readReferralBox)
  @ApiRead(inboxResponseSchema, {
    summary: 'Read an institution\'s inbox',
    description: 'The referrals sent to the institution: active ones first, the most overdue first; filter by status or `overdue`.',
  })
  inbox(@IdParam('id', 'institution') id: string, @ValidQuery(boxQuerySchema) query: z.infer<typeof boxQuerySchema>) {
    return this.box('inbox', id, query);
  }

  @Get(':id/outbox')
  @Policy(policies.readReferralBox)
  @ApiRead(inboxResponseSchema, {
    summary: 'Read an institution\'s outbox',
    description: 'The referrals the institution sent: active ones first, the most overdue first; filter by status or `overdue`.',
  })
  outbox(@IdParam('id', 'institution') id: string, @ValidQuery(boxQuerySchema) query: z.infer<typeof boxQuerySchema>) {
    return this.box('outbox', id, query);
  }

  private box(box: 'inbox' | 'outbox', id: string, query: z.infer<typeof boxQuerySchema>) {
    const { cursor, limit, ...filters } = query;
    return this.cases.referrals(box, id, filters, { cursor: cursor ?? null, limit }, this.clock.now());
  }

  @Post(':id/rename')
  @Policy(policies.manageInstitution)
  @ApiCommand(200, {
    summary: 'Rename an institution',
    description: 'Changes the institution\'s name.',
  })
  rename(@CommandOn(onInstitution) { ids, context }: CommandOn<typeof onInstitution>, @ValidBody(renameSchema) body: z.infer<typeof renameSchema>) {
    return this.bus.execute(new ChangeInstitution({ type: 'RenameInstitution', ...ids, name: body.name }, context));
  }

  @Post(':id/services')
  @Policy(policies.manageInstitution)
  @ApiCommand(200, {
    summary: 'Change an institution\'s services',
    description: 'Replaces the PPKS categories the institution serves and its capacity.',
  })
  services(@CommandOn(onInstitution) { ids, context }: CommandOn<typeof onInstitution>, @ValidBody(servicesSchema) body: z.infer<typeof servicesSchema>) {
    return this.bus.execute(new ChangeInstitution({ type: 'ChangeInstitutionServices', ...ids, categoriesServed: body.categoriesServed, capacity: body.capacity ?? null }, context));
  }

  @Post(':id/suspend')
  @Policy(policies.manageInstitution)
  @ApiCommand(200, {
    summary: 'Suspend an institution',
    description: 'A suspended institution receives no referrals and opens no cases (409 for those); its existing cases and referrals go on. 409 when already suspended.',
  })
  suspend(@CommandOn(onInstitution) { ids, context }: CommandOn<typeof onInstitution>, @ValidBody(suspendSchema) body: z.infer<typeof suspendSchema>) {
    return this.bus.execute(new ChangeInstitution({ type: 'SuspendInstitution', ...ids, reason: body.reason }, context));
  }

  @Post(':id/reactivate')
  @Policy(policies.manageInstitution)
  @ApiCommand(200, {
    summary: 'Reactivate an institution',
    description: 'Lifts a suspension (409 when the institution is not suspended).',
  })
  reactivate(@CommandOn(onInstitution) { ids, context }: CommandOn<typeof onInstitution>, @ValidBody(emptyBodySchema) _body: unknown) {
    return this.bus.execute(new ChangeInstitution({ type: 'ReactivateInstitution', ...ids }, context));
  }

}
