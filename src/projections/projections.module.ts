import { Module } from '@nestjs/common';
import { AnalyticsQuery } from './analytics/analytics.query.js';
import { CaseSummariesQuery } from './case-summaries/case-summaries.query.js';
import { DirectoryQuery } from './directory/directory.query.js';
import { ProjectionsService } from './projections.service.js';

/** The views: projection runners and the queries that read them. A slice that reads a view imports this module. */
@Module({
  providers: [ProjectionsService, CaseSummariesQuery, DirectoryQuery, AnalyticsQuery],
  exports: [ProjectionsService, CaseSummariesQuery, DirectoryQuery, AnalyticsQuery],
})
export class ProjectionsModule {}
