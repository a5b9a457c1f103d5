/**
 * Read-your-writes: a GET carrying `X-Min-Position` (the position a command returned) waits,
 * bounded, until every view has applied the log that far, so the client sees its own write.
 * A guard rather than an interceptor, though it refuses nothing but a malformed header: it runs at the same
 * point (after the AuthGuard, before the route's parameters are read), and with no interceptor at all a
 * route skips the Observables Nest otherwise builds around every request.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
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
export class ReadYourWritesGuard implements CanActivate {
  constructor(private readonly projections: ProjectionsService, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers['x-min-position'];
    if (request.method !== 'GET' || header === undefined) return true;
    const value = Array.isArray(header) ? header[0] : header;
    if (!value || !/^\d{1,20}$/.test(value)) {
      throw new RequestValidationError(400, 'Invalid X-Min-Position header: a decimal position', [{ field: 'X-Min-Position', message: 'a decimal position' }]);
    }
    return this.waitFor(BigInt(value));
  }

  private async waitFor(position: bigint): Promise<boolean> {
    const waitMs = this.config.viewWaitMs;
    if (!(await this.projections.reached(position, waitMs))) throw new ViewsBehindError(position, waitMs);
    return true;
  }
}
