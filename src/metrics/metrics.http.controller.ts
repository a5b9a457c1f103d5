import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../auth/auth.guard.js';
import { ApiPublicRead } from '../http/api-docs.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('health')
@Controller('metrics')
@Public()
export class MetricsHttpController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text exposition format. */
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiPublicRead(z.string().describe('Prometheus text format'), { mediaType: 'text/plain' })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
