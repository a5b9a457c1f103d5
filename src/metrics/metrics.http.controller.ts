import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../auth/auth.guard.js';
import { ApiRead } from '../http/api-docs.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('health')
@Controller('metrics')
@Public()
export class MetricsHttpController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text exposition format. */
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiRead(z.string().meta({ id: 'PrometheusMetrics', description: 'Prometheus text exposition format' }), {
    summary: 'Scrape metrics',
    description: 'Prometheus metrics: HTTP requests and their durations by route template and status, each projection\'s position, running state and lag, and the process\'s own. No personal data, no ids.',
    mediaType: 'text/plain',
  })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
