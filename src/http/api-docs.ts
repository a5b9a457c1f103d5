/** OpenAPI decorators shared by the controllers: one line per route documents its answers. */
import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { commandResponseSchema } from './command-response.js';
import { toOpenApi } from './zod-validation.js';

const problemSchema = toOpenApi(z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
}));

const problems = (...statuses: number[]) =>
  statuses.map((status) => ApiResponse({ status, description: 'Problem details (RFC 9457)', content: { 'application/problem+json': { schema: problemSchema } } }));

/** A command route: its success status, the command response, and the problems it can answer with. */
export function ApiCommand(status: 200 | 201, summary?: string, response: z.ZodType = commandResponseSchema): MethodDecorator {
  return applyDecorators(
    HttpCode(status),
    ApiBearerAuth(),
    ApiResponse({ status, description: summary ?? 'Done; ETag carries the new revision', schema: toOpenApi(response) }),
    ...problems(400, 401, 403, 404, 409, 412, 413, 422),
  );
}

/** A read route answering `schema` (as JSON unless it produces another media type). */
export function ApiRead(schema: z.ZodType, mediaType = 'application/json'): MethodDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiResponse({ status: 200, description: 'OK', content: { [mediaType]: { schema: toOpenApi(schema) } } }),
    ...problems(401, 403, 404, 422, 503),
  );
}

/** A public read route (no token: health, metrics) answering `schema`, or a problem with one of `statuses`. */
export function ApiPublicRead(schema: z.ZodType, options: { mediaType?: string; statuses?: number[] } = {}): MethodDecorator {
  return applyDecorators(
    ApiResponse({ status: 200, description: 'OK', content: { [options.mediaType ?? 'application/json']: { schema: toOpenApi(schema) } } }),
    ...problems(...(options.statuses ?? [])),
  );
}

/** A route a browser navigates to, answered by a redirect (sign-in at the identity provider), or a problem with one of `statuses`. */
export function ApiRedirect(description: string, statuses: number[] = []): MethodDecorator {
  return applyDecorators(
    ApiResponse({ status: 302, description, headers: { Location: { description: 'where the browser goes next', schema: { type: 'string' } } } }),
    ...problems(...statuses),
  );
}
