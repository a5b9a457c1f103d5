/**
 * Read-your-writes: a GET carrying `X-Min-Position` (the position a command returned) waits,
 * bounded, until every view has applied the log that far, so the client sees its own write.
 */
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, mergeMap, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RequestValidationError } from '../http/problem-details.js';
import { ProjectionsService } from './projections.service.js';

export class ViewsBehindError extends Error {
  constructor(readonly position: bigint, waitedMs: number) {
    super(`The views have not reached position ${position} within ${waitedMs / 1000} s; retry shortly`);
    this.name = 'ViewsBehindError';
  }
}

@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(private readonly projections: ProjectionsService, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['x-min-position'];
    if (request.method !== 'GET' || header === undefined) return next.handle();
    const value = Array.isArray(header) ? header[0] : header;
    if (!value || !/^\d{1,20}$/.test(value)) {
      throw new RequestValidationError(400, 'Invalid X-Min-Position header: a decimal position', [{ field: 'X-Min-Position', message: 'a decimal position' }]);
    }
    const position = BigInt(value);
    const waitMs = this.config.viewWaitMs;
    return from(this.projections.reached(position, waitMs)).pipe(mergeMap((reached) => {
      if (!reached) throw new ViewsBehindError(position, waitMs);
      return next.handle();
    }));
  }
}
