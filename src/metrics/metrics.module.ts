/** One Prometheus registry for the application: the metrics route reads it, and a slice that adds its own metrics imports this module. */
import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module.js';
import { MetricsService } from './metrics.service.js';

@Module({ imports: [ProjectionsModule], providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
