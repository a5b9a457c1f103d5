/**
 * The one place where errors become HTTP responses: domain errors by code, validation errors with their
 * fields, store failures as 503. Nothing internal (stack, SQL, ids of other subjects) reaches the client.
 */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { UnauthorizedError } from '../auth/auth.guard.js';
import { DomainError, type DomainErrorCode } from '../core/domain-error.js';
import { EventStoreUnavailableError, WrongExpectedVersionError } from '../event-store/event-store.port.js';
import { problem, PROBLEM_CONTENT_TYPE, RequestValidationError, type ProblemDetails } from './problem-details.js';

const STATUS_OF: Readonly<Record<DomainErrorCode, number>> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 422,
  precondition_failed: 412,
};

/** Errors Fastify raises before a route runs (body parsing, limits), by their code. */
const FASTIFY_DETAILS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body exceeds the 64 KiB limit',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Send the request body as application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty but declared as JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
};

function isFastifyError(error: unknown): error is Error & { statusCode: number; code?: string } {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

export function toProblem(error: unknown): ProblemDetails {
  if (error instanceof RequestValidationError) return problem(error.status, error.message, { errors: error.errors });
  if (error instanceof DomainError) {
    const status = STATUS_OF[error.code];
    return problem(status, error.message, error.field ? { errors: [{ field: error.field, message: error.message }] } : {});
  }
  if (error instanceof UnauthorizedError) return problem(401, error.message);
  if (error instanceof WrongExpectedVersionError) return problem(409, 'The resource changed concurrently; please retry');
  if (error instanceof EventStoreUnavailableError) return problem(503, 'The event store is unavailable; retry shortly');
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const detail = status === 404 ? 'No such route' : error.message;
    return problem(status, detail);
  }
  if (error instanceof SyntaxError && isFastifyError(error)) {
    return problem(400, FASTIFY_DETAILS['FST_ERR_CTP_INVALID_JSON_BODY']!, { errors: [{ field: 'body', message: 'malformed JSON' }] });
  }
  if (isFastifyError(error) && error.statusCode < 500) {
    const detail = (error.code && FASTIFY_DETAILS[error.code]) ?? 'The request could not be read';
    return problem(error.statusCode, detail, { errors: [{ field: 'body', message: detail }] });
  }
  return problem(500, 'An unexpected error occurred');
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const body = toProblem(error);
    if (body.status >= 500) this.logger.error(error instanceof Error ? `${error.name}: ${error.message}` : 'non-error thrown', error instanceof Error ? error.stack : undefined);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE);
    if (body.status === 503) reply.header('retry-after', '5');
    if (body.status === 401) reply.header('www-authenticate', 'Bearer');
    void reply.send(body);
  }
}
