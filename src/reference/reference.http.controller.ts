import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { ApiRead } from '../http/api-docs.js';
import { PPKS_CATEGORIES } from './ppks-categories.data.js';
import { REGION_LEVELS, REGIONS } from './regions.data.js';

const categoriesResponse = z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), gloss: z.string() })) });
const regionsResponse = z.object({ items: z.array(z.object({ code: z.string(), name: z.string(), level: z.enum(REGION_LEVELS) })) });

/** The PPKS categories and region codes the service accepts, so clients validate as the server does. */
@ApiTags('reference')
@Controller('reference')
@Policy(policies.signedIn)
export class ReferenceHttpController {
  @Get('categories')
  @ApiRead(categoriesResponse)
  categories() {
    return { items: PPKS_CATEGORIES };
  }

  @Get('regions')
  @ApiRead(regionsResponse)
  regions() {
    return { items: REGIONS };
  }
}
