/**
 * The one place where errors become HTTP responses: domain errors by code, validation errors with their
 * fields, store failures as 503. Nothing internal (stack, SQL, ids of other subjects) reaches the client:
 * a 500 says only that something failed and the request id to quote. Its log line names the error and
 * where it was thrown, never its message, which may quote what was sent (a driver echoing a duplicate key).
 */
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../auth/auth.guard.js';
import { KeySetUnavailableError } from '../auth/jwks.js';
import { DomainError, type DomainErrorCode } from '../core/domain-error.js';
import { logged } from '../core/error-log.js';
import { EventStoreUnavailableError, WrongExpectedVersionError } from '../event-store/event-store.port.js';
import { ViewsBehindError } from '../projections/read-your-writes.guard.js';
import { InvalidCursorError } from '../read-store/pagination.js';
import { ReadStoreUnavailableError } from '../read-store/read-store.port.js';
import { TooManyRequestsError } from './hardening.js';
import { problem, PROBLEM_CONTENT_TYPE, RequestValidationError, type ProblemDetails } from './problem-details.js';
import { logFor } from './request-logging.js';

const STATUS_OF: Readonly<Record<DomainErrorCode, number>> = {
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  invalid: 422,
  precondition_failed: 412,
  unauthenticated: 401,
};

/** Errors Fastify raises before a route runs (body parsing, limits), by their code: the detail and the field at fault. */
const FASTIFY_PROBLEMS: Readonly<Record<string, readonly [detail: string, field: string, message: string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['The request body exceeds the 64 KiB limit', 'body', 'larger than 64 KiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['Send the request body as application/json', 'Content-Type', 'must be application/json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['The request body is empty but declared as JSON', 'body', 'empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['The request body is not valid JSON', 'body', 'malformed JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['The request body does not match its Content-Length', 'body', 'truncated or too long'],
};

function isFastifyError(error: unknown): error is Error & { statusCode: number; code?: string } {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number';
}

/** Fastify's own wording names its internals ("content-type is set to…"); answer in the API's words instead. */
function fastifyProblem(error: Error & { statusCode: number; code?: string }): ProblemDetails {
  const known = error.code === undefined ? undefined : FASTIFY_PROBLEMS[error.code];
  if (!known) return problem(error.statusCode, 'The request could not be read');
  const [detail, field, message] = known;
  return problem(error.statusCode, detail, { errors: [{ field, message }] });
}

export function toProblem(error: unknown, requestId: string): ProblemDetails {
  if (error instanceof RequestValidationError) return problem(error.status, error.message, { errors: error.errors });
  if (error instanceof DomainError) {
    const status = STATUS_OF[error.code];
    return problem(status, error.message, error.field ? { errors: [{ field: error.field, message: error.message }] } : {});
  }
  if (error instanceof UnauthorizedError) return problem(401, error.message);
  if (error instanceof KeySetUnavailableError) return problem(503, 'The token cannot be checked now: the identity provider is unreachable; retry shortly');
  if (error instanceof TooManyRequestsError) return problem(429, error.message);
  if (error instanceof InvalidCursorError) return problem(422, error.message, { errors: [{ field: 'query.cursor', message: error.message }] });
  if (error instanceof ViewsBehindError) return problem(503, error.message);
  if (error instanceof WrongExpectedVersionError) return problem(409, 'The resource changed concurrently; please retry');
  if (error instanceof EventStoreUnavailableError) return problem(503, 'The event store is unavailable; retry shortly');
  if (error instanceof ReadStoreUnavailableError) return problem(503, 'The read store (views, subject keys) is unavailable; retry shortly');
  if (error instanceof HttpException) {
    // Nest's Fastify adapter hands over Fastify's 4xx errors (body parsing, limits) wrapped in an
    // HttpException carrying Fastify's message; the original, with its code, is the cause.
    if (isFastifyError(error.cause) && error.cause.statusCode < 500) return fastifyProblem(error.cause);
    const status = error.getStatus();
    const detail = status === 404 ? 'No such route: /docs lists the API\'s routes' : error.message;
    return problem(status, detail);
  }
  if (isFastifyError(error) && error.statusCode < 500) return fastifyProblem(error);
  return problem(500, `An unexpected error occurred; if it persists, quote request id ${requestId} to support`);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const body = toProblem(error, request.id);
    // A 503 is a state the service knows (a store unreachable, views behind, shutting down): a warning naming it and
    // its causes. Anything else from 500 up is a fault: an error with its stack frames.
    if (body.status === 503) logFor(request, 'HTTP').warn(logged(error)[0]);
    else if (body.status >= 500) logFor(request, 'HTTP').error(...logged(error));
    const reply = http.getResponse<FastifyReply>();
    reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE);
    if (body.status === 503) reply.header('retry-after', '5');
    if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfterSeconds));
    if (body.status === 401) reply.header('www-authenticate', 'Bearer');
    void reply.send(body);
  }
}
