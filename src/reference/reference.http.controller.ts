import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { ApiRead } from '../http/api-docs.js';
import { PPKS_CATEGORIES } from './ppks-categories.data.js';
import { REGION_LEVELS, REGIONS } from './regions.data.js';

const categoriesResponse = z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), gloss: z.string() })) }).meta({ id: 'CategoryList' });
const regionsResponse = z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), level: z.enum(REGION_LEVELS) })) }).meta({ id: 'RegionList' });

/** The PPKS categories and region codes the service accepts, so clients validate as the server does. */
@ApiTags('reference')
@Controller('reference')
@Policy(policies.signedIn)
export class ReferenceHttpController {
  @Get('categories')
  @ApiRead(categoriesResponse, {
    summary: 'List the PPKS categories',
    description: 'The 26 categories of people needing social-welfare services (Permensos 8/2012) as `PPKS-01`…`PPKS-26`, with their Indonesian name and an English gloss.',
  })
  categories() {
    return { items: PPKS_CATEGORIES };
  }

  @Get('regions')
  @ApiRead(regionsResponse, {
    summary: 'List the region codes',
    description: 'The Kemendagri codes the service accepts (province, city, kecamatan, kelurahan), with their names and levels.',
  })
  regions() {
    return { items: REGIONS };
  }
}
