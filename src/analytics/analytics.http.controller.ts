/** Analyst figures: aggregates only, no person, small cells suppressed. */
import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { ApiRead } from '../http/api-docs.js';
import { idSchema, regionCodeSchema } from '../http/schemas.js';
import { ValidQuery } from '../http/zod-validation.js';
import { AnalyticsQuery } from '../projections/analytics/analytics.query.js';
import { isKnownCategory } from '../reference/reference.js';

const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).transform((value) => new Date(value).toISOString());

const filtersSchema = z.strictObject({
  from: instant.optional(),
  to: instant.optional(),
  regionCode: regionCodeSchema().optional(),
  networkId: idSchema.optional(),
  category: z.string().refine(isKnownCategory, 'must be a PPKS category code').optional(),
});
type Filters = z.infer<typeof filtersSchema>;

const count = z.number().int().nullable().describe('null when suppressed (below ANALYTICS_MIN_CELL)');
const suppressedBelow = z.number().int().describe('ANALYTICS_MIN_CELL: counts from 1 to this minus one are answered as null');
const month = z.string().describe('YYYY-MM (UTC)');
const loopClosureRate = z.number().nullable().describe('acknowledged ÷ ended referrals; null when fewer than ANALYTICS_MIN_CELL ended');
const summaryResponse = z.object({
  suppressedBelow,
  cases: z.object({ opened: count, closed: count, open: count }),
  referrals: z.object({ total: count, byStatus: z.record(z.string(), count), loopClosureRate, slaBreaches: count }),
  referralsByMonth: z.array(z.object({ month, referrals: count, slaBreaches: count, loopClosureRate })).describe('by the month each referral was requested'),
  byCategory: z.array(z.object({ category: z.string(), cases: count })),
  byRegion: z.array(z.object({ regionCode: z.string(), cases: count })),
  byNetwork: z.array(z.object({ networkId: z.string(), cases: count })),
  byMonth: z.array(z.object({ month, cases: count })),
  declineReasons: z.array(z.object({ reasonCode: z.string(), referrals: count })),
}).meta({ id: 'AnalyticsSummary' });
const flowsResponse = z.object({
  suppressedBelow,
  items: z.array(z.object({ fromKind: z.string(), toKind: z.string(), referrals: count, accepted: count, declined: count, completed: count })),
}).meta({ id: 'ReferralFlows' });
const distribution = z.object({ count, p50Hours: z.number().nullable(), p90Hours: z.number().nullable() });
const durationsResponse = z.object({
  suppressedBelow,
  timeToAccept: distribution,
  timeToComplete: distribution,
  byKindAndMonth: z.array(z.object({ toKind: z.string(), month, timeToAccept: distribution, timeToComplete: distribution }))
    .describe('by the kind of the target institution and the month each referral was requested'),
}).meta({ id: 'ReferralDurations' });

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

@ApiTags('analytics')
@Controller('analytics')
@Policy(policies.readAnalytics)
export class AnalyticsHttpController {
  constructor(private readonly analytics: AnalyticsQuery) {}

  @Get('summary')
  @ApiRead(summaryResponse, {
    summary: 'Summarise cases and referrals',
    description: 'Counts of cases (opened, closed, open) and referrals (by status, loop-closure rate, SLA breaches, overall and by month), by PPKS category, region, network and month, and decline reasons, for the period and filters given.',
  })
  summary(@ValidQuery(filtersSchema) filters: Filters) {
    return this.analytics.summary(filters);
  }

  @Get('referral-flows')
  @ApiRead(flowsResponse, {
    summary: 'Count referral flows',
    description: 'Referrals between kinds of institutions (e.g. `rw` → `puskesos`), with how many were accepted, declined and completed.',
  })
  referralFlows(@ValidQuery(filtersSchema) filters: Filters) {
    return this.analytics.referralFlows(filters);
  }

  @Get('durations')
  @ApiRead(durationsResponse, {
    summary: 'Measure referral durations',
    description: 'Time from request to acceptance and from request to completion: count, median (p50) and 90th percentile, in hours; overall and by the kind of the target institution and the month of the request.',
  })
  durations(@ValidQuery(filtersSchema) filters: Filters) {
    return this.analytics.durations(filters);
  }

  @Get('export.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="rujukan-analytics.csv"')
  @ApiRead(z.string().meta({ id: 'AnalyticsCsv', description: 'CSV with a header row: month, regionCode, networkId, category, status, cases' }), {
    summary: 'Export the figures as CSV',
    description: 'Case counts by month, region, network, PPKS category and status, one row each, for spreadsheets. Suppressed cells are empty.',
    mediaType: 'text/csv',
  })
  async export(@ValidQuery(filtersSchema) filters: Filters): Promise<string> {
    const rows = await this.analytics.exportRows(filters);
    return `${rows.map((row) => row.map(csvField).join(',')).join('\n')}\n`;
  }
}
