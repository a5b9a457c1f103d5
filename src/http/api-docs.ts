/**
 * The OpenAPI document (served at /docs, written to client/openapi.json). Each route declares what only it
 * knows with one decorator: what it does, its answer and examples (its body comes with `@ValidBody`). What
 * routes share is added once the document is built, from the facts the server itself acts on: the headers
 * and problems of a command (any POST or DELETE) or a read (GET), who may call a route (its access policy,
 * the one the guard enforces) and whether it needs a token at all.
 */
import { applyDecorators, HttpCode, RequestMethod, SetMetadata, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { POLICY_KEY, type AccessPolicy } from '../auth/access-policy.js';
import { isPublicRoute } from '../auth/auth.guard.js';
import { USER_ROLES } from '../core/actor.js';
import { SESSION_COOKIE } from '../users/sessions.js';
import { COMMAND_ROUTE, commandResponseSchema } from './command-response.js';
import { problem } from './problem-details.js';
import { zodToOpenApi } from './zod-validation.js';

/** What a route does (the summary, a short imperative line) and, in Markdown, how: the states that allow it, what it changes. */
export interface OperationText {
  readonly summary: string;
  readonly description: string;
}

type Status = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 414 | 415 | 422 | 429 | 500 | 503;

/** The problems the API answers with, as named responses, each saying what the caller can do about it. */
const PROBLEMS: Readonly<Record<Status, readonly [name: string, description: string]>> = {
  400: ['BadRequest', 'The request cannot be read: malformed JSON, or a malformed `Idempotency-Key`, `If-Match`, `X-Correlation-Id` or `X-Min-Position` header. `errors` names the part; fix it and send again.'],
  401: ['Unauthorized', 'No bearer token or console session, or one that is expired, not yet valid, wrongly signed, revoked, or for another issuer or audience. Send `Authorization: Bearer <token>` with a valid token (in development: `npx rujukan token --role …`), or sign in to the console again.'],
  403: ['Forbidden', 'The route is not open to your role, or you may not act on this object (`detail` says why), or a console session\'s change came without its `X-CSRF-Token`. Use a token of a role and institution the route names under "Who may call".'],
  404: ['NotFound', 'No such case, referral, consent, institution, network, subject or stream (an id that cannot be one is also not found).'],
  409: ['Conflict', 'The current state does not allow this (a referral that is no longer `requested` cannot be accepted, a referral needs consent on record, a closed case accepts only reopen…), or it changed concurrently. `detail` says which; read the resource again before retrying.'],
  412: ['PreconditionFailed', 'The resource is no longer at the revision named by `If-Match`: read it again (its `ETag`) and decide again.'],
  413: ['PayloadTooLarge', 'The body exceeds 64 KiB.'],
  414: ['UriTooLong', 'The URL (path and query string) is too long.'],
  415: ['UnsupportedMediaType', 'Send the body as `Content-Type: application/json`.'],
  422: ['ValidationFailed', 'The body or query string is invalid: `errors` names every offending field and why. Also the answer to an `Idempotency-Key` reused with a different request.'],
  429: ['TooManyRequests', 'Too many writes by this user in the last minute (`RATE_LIMIT_WRITES_PER_MINUTE`): wait `Retry-After` seconds.'],
  500: ['InternalError', 'Something failed on the server; nothing was changed unless a later read shows it. If it persists, quote the `X-Request-Id` to support.'],
  503: ['Unavailable', 'The event store or the identity provider cannot be reached, the service is not ready, or the views did not reach `X-Min-Position` in time: retry after `Retry-After` seconds.'],
};

/** Every `type` the problem responses can carry (problem() maps every status to one). */
const PROBLEM_TYPES = [...new Map(Array.from({ length: 200 }, (_, index) => problem(400 + index, '')).map((one) => [one.type, one])).values()];

const problemDetailsSchema = z.object({
  type: z.enum(PROBLEM_TYPES.map((one) => one.type) as [string, ...string[]])
    .describe(`What went wrong, as a URI reference: ${PROBLEM_TYPES.map((one) => `\`${one.type}\` (${one.title})`).join(', ')}.`),
  title: z.string().describe('A short summary of the type'),
  status: z.number().int().min(400).max(599).describe('The HTTP status'),
  detail: z.string().describe('What went wrong with this request, and what to do about it'),
  errors: z.array(z.object({
    field: z.string().describe('The offending part: a body field as a dotted path (`subject.nik`), `query.<name>`, a header name, or `body`'),
    message: z.string(),
  })).optional().describe('On 400 and 422 (and some 409s): every offending field'),
}).meta({ id: 'ProblemDetails', description: 'An RFC 9457 problem: the one error shape of the API (`application/problem+json`).' });

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }, required = false) => ({ description, schema, ...(required ? { required } : {}) });

/** Response headers, by name. */
const HEADERS = {
  'X-Request-Id': header('This request\'s id: yours when you sent a well-formed `X-Request-Id`, else generated. Quote it when reporting a problem.', { type: 'string' }, true),
  ETag: header('The revision of the case, institution or network after this command (or as read), quoted (`"7"`): send it back as `If-Match`.', { type: 'string', example: '"7"' }, true),
  'Idempotent-Replayed': header('`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`: nothing was appended.', { type: 'string', enum: ['true'] }),
  'Idempotency-Key': header('The `Idempotency-Key` you sent.'),
  'X-RateLimit-Limit': header('Writes allowed per minute for this user (when the limit is on).', { type: 'integer' }),
  'X-RateLimit-Remaining': header('Writes left in the current minute.', { type: 'integer' }),
  'X-RateLimit-Reset': header('Seconds until the current minute\'s allowance resets.', { type: 'integer' }),
  'Retry-After': header('Seconds to wait before retrying.', { type: 'integer' }),
  'WWW-Authenticate': header('`Bearer`: the scheme this API expects.'),
} as const;
type HeaderName = keyof typeof HEADERS;

const headerRefs = (...names: HeaderName[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** Request headers, by name of their `components.parameters` entry. */
const PARAMETERS = {
  IdempotencyKey: {
    name: 'Idempotency-Key', in: 'header', required: false,
    description: 'Makes the command safe to retry: a retry with the same key (by the same user) answers the first response again, marked `Idempotent-Replayed: true`, and appends nothing, even when retries race. The same key with a different request is refused (422). Any 1–200 visible ASCII characters, e.g. a UUID.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$', example: 'b3f1c9e2-6a51-4c1e-9a53-0f2c4d7e8a10' },
  },
  IfMatch: {
    name: 'If-Match', in: 'header', required: false,
    description: 'Refuse the command (412) unless the case, institution or network is still at this revision: the `ETag` you read, quoted.',
    schema: { type: 'string', pattern: '^(W/)?"\\d{1,20}"$', example: '"7"' },
  },
  CorrelationId: {
    name: 'X-Correlation-Id', in: 'header', required: false,
    description: 'Recorded as the events\' `correlationId`, to tie a series of commands together (defaults to the command id). Letters, digits, `.` `_` `:` `-`, at most 128.',
    schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
  },
  MinPosition: {
    name: 'X-Min-Position', in: 'header', required: false,
    description: 'Read your writes: a `position` a command answered with. The server waits (up to `VIEW_WAIT_MS`, 5 s by default) until the views have applied it, else answers 503.',
    schema: { type: 'string', pattern: '^\\d{1,20}$', example: '42' },
  },
  CsrfToken: {
    name: 'X-CSRF-Token', in: 'header', required: false,
    description: 'Required with a console session (the `rujukan_session` cookie): the `csrfToken` that signing in answered (`GET /auth/session` answers it again). Not needed with a bearer token.',
    schema: { type: 'string' },
  },
  RequestId: {
    name: 'X-Request-Id', in: 'header', required: false,
    description: 'Your id for this request (letters, digits, `.` `_` `:` `-`, at most 128), echoed in the response and in every log line about it.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
} as const;
type ParameterName = keyof typeof PARAMETERS;

/** What the document adds to a route beyond its decorators, read back when the document is built. */
interface RouteDocs {
  /** Problems this route can answer with besides those of its kind. */
  readonly problems?: readonly Status[];
}
const ROUTE_DOCS = 'rujukan:route-docs';

const COMMAND_SUCCESS_HEADERS: HeaderName[] = ['ETag', 'Idempotent-Replayed', 'Idempotency-Key', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id'];

export interface CommandOptions extends OperationText {
  /** An example answer. */
  readonly example?: Record<string, string>;
  /** The answer, when it says more than the command response does. */
  readonly response?: z.ZodType;
}

/** A command route (POST or DELETE): its success status, what it does, and an example answer; its CommandResult becomes the answer (ETag, idempotent-replayed, body: see answerCommands). */
export function ApiCommand(status: 200 | 201, operation: CommandOptions): MethodDecorator {
  return applyDecorators(
    HttpCode(status),
    RouteConfig(COMMAND_ROUTE),
    ApiOperation({ summary: operation.summary, description: operation.description }),
    ApiResponse({
      status,
      description: 'Done: the ids it concerns, the stream revision and the log position it reached. `ETag` carries the revision.',
      standardSchema: operation.response ?? commandResponseSchema,
      headers: headerRefs(...COMMAND_SUCCESS_HEADERS),
      ...(operation.example ? { example: operation.example } : {}),
    }),
  );
}

export interface ReadOptions extends OperationText {
  /** Another media type than JSON (CSV, NDJSON, Prometheus text). */
  readonly mediaType?: string;
  /** The answer carries the object's revision as ETag. */
  readonly etag?: boolean;
  readonly problems?: readonly Status[];
}

/** A read route (GET) answering `schema`: what it does and, beyond the problems of any read, those it declares. */
export function ApiRead(schema: z.ZodType, options: ReadOptions): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: options.summary, description: options.description }),
    ...(options.mediaType ? [ApiProduces(options.mediaType)] : []),
    ApiResponse({
      status: 200,
      description: 'OK',
      standardSchema: schema,
      headers: headerRefs(...(options.etag ? ['ETag', 'X-Request-Id'] as const : ['X-Request-Id'] as const)),
    }),
    SetMetadata(ROUTE_DOCS, { problems: options.problems ?? [] } satisfies RouteDocs),
  );
}

interface Route {
  readonly operationId: string;
  readonly method: string;
  readonly isPublic: boolean;
  readonly policy: AccessPolicy | undefined;
  readonly docs: RouteDocs;
}

/** Every route of the application with what its decorators say, by the operation id @nestjs/swagger gives it. */
function routesOf(app: INestApplication): Route[] {
  const reflector = new Reflector();
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, (...args: unknown[]) => unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name]!;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (name === 'constructor' || method === undefined) continue;
        routes.push({
          operationId: `${metatype.name}_${name}`,
          method: RequestMethod[method],
          isPublic: isPublicRoute(reflector, handler, metatype),
          policy: reflector.getAllAndOverride<AccessPolicy | undefined>(POLICY_KEY, [handler, metatype]),
          docs: reflector.get<RouteDocs | undefined>(ROUTE_DOCS, handler) ?? {},
        });
      }
    }
  }
  return routes;
}

type Operation = {
  operationId?: string;
  description?: string;
  parameters?: { in?: string; $ref?: string }[];
  responses: Record<string, unknown>;
  security?: Record<string, string[]>[];
};

/** Who may call, in words: the policy's own, and the roles it is open to. */
function whoMayCall(route: Route): string {
  if (route.isPublic) return '**Who may call:** anyone; no token needed.';
  const policy = route.policy!;
  const roles = policy.roles.length === USER_ROLES.length ? 'every role' : policy.roles.map((role) => `\`${role}\``).join(', ');
  return `**Who may call:** ${policy.who} (${roles}).`;
}

/** The problems a route can answer with: by its kind, what its path and query let go wrong, and what it declares. */
function problemsOf(route: Route, path: string, operation: Operation): Status[] {
  const statuses = new Set<Status>([400, 414, 500, ...(route.docs.problems ?? [])]);
  const add = (...more: Status[]) => more.forEach((status) => statuses.add(status));
  if (!route.isPublic) {
    add(401, 503);
    const policy = route.policy!;
    if (policy.rule || policy.roles.length < USER_ROLES.length) add(403);
    if (path.includes('{')) add(404);
    if (operation.parameters?.some((parameter) => parameter.in === 'query')) add(422);
  }
  // Every POST and DELETE has its body read and counts against the writer's rate limit; a command may also find the state against it.
  if (route.method !== 'GET') add(413, 415, 422, 429);
  if (route.method !== 'GET' && !route.isPublic) add(409, 412);
  return [...statuses].sort();
}

/** The request headers a route honours: a command's (idempotency, revision, correlation, the console's CSRF token), a read's, or only the request id. */
function parametersOf(route: Route): ParameterName[] {
  if (route.method === 'GET') return ['MinPosition', 'RequestId'];
  return route.isPublic ? ['RequestId'] : ['IdempotencyKey', 'IfMatch', 'CorrelationId', 'CsrfToken', 'RequestId'];
}

const PROBLEM_HEADERS: Partial<Record<Status, HeaderName[]>> = { 401: ['WWW-Authenticate'], 429: ['Retry-After'], 503: ['Retry-After'] };

function components(): NonNullable<OpenAPIObject['components']> {
  const problemJson = zodToOpenApi(problemDetailsSchema)!;
  return {
    schemas: problemJson.components as Record<string, never>,
    responses: Object.fromEntries(Object.entries(PROBLEMS).map(([status, [name, description]]) => [name, {
      description,
      headers: headerRefs(...(PROBLEM_HEADERS[Number(status) as Status] ?? []), 'X-Request-Id'),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    }])),
    headers: HEADERS,
    parameters: PARAMETERS,
  };
}

const TAGS: readonly (readonly [name: string, description: string])[] = [
  ['cases', 'A case: one person helped, its consents, notes, needs, escalation and closing.'],
  ['referrals', 'The closed loop: a referral is requested by an institution holding the case, answered by its target, and its outcome acknowledged by the referrer.'],
  ['institutions', 'The KPS and city-wide providers, with their referral inbox and outbox.'],
  ['networks', 'The WKSBM networks, their member institutions and coordinators.'],
  ['reference', 'The PPKS categories and region codes the service accepts.'],
  ['audit', 'For auditors: full histories, states as of any moment, integrity checks and exports, every read recorded.'],
  ['subjects', 'Data subjects\' rights under UU 27/2022: erasure and the access report.'],
  ['analytics', 'Aggregates for analysts and dinsos: no personal data, small counts suppressed.'],
  ['health', 'Liveness, readiness and Prometheus metrics, for operators; no token needed.'],
  ['sign-in', 'The console\'s sessions: signing in with an invitation link, who the caller is, signing out.'],
  ['users', 'The people invited to the console, for admins (and auditors, who read who had access when).'],
  ['webhooks', 'Notifications: subscriptions of a target to news of referrals and cases, delivered from the log, signed per Standard Webhooks; the delivery log.'],
];

const DESCRIPTION = `Case referrals between the institutions of WKSBM social-welfare networks, recorded as an immutable, hash-chained event log.

- **Authentication:** \`Authorization: Bearer <JWT>\` with the claims \`sub\`, \`role\` (caseworker, coordinator, dinsos, auditor, analyst, admin), \`institutionId\` (caseworker), \`networkId\` (coordinator) and \`exp\`. In development \`npx rujukan token --role caseworker --institution <id>\` mints one. The web console signs in with an invitation link instead and holds a session cookie.
- **Commands** (POST, DELETE) answer \`{ id, revision, position }\` with the revision as \`ETag\`. Send an \`Idempotency-Key\` to retry safely and \`If-Match\` to guard against lost updates.
- **Reads** (GET) come from views built from the log; send a command's \`position\` as \`X-Min-Position\` to read your own write.
- **Errors** are RFC 9457 problem details (\`application/problem+json\`) naming the offending fields; every response carries an \`X-Request-Id\`.
- Positions and revisions are decimal strings (64-bit). Lists page with \`cursor\` and \`limit\` and answer \`nextCursor\` (null on the last page).`;

/** The document, complete: built by @nestjs/swagger from the routes, then given what routes share. */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Rujukan API')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'The server this document is served by (`npm start` listens on http://localhost:3000)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT signed with `AUTH_JWT_SECRET` (HS256) or by the OIDC provider at `AUTH_JWKS_URL`.' }, 'bearer')
    .addCookieAuth(SESSION_COOKIE, {
      type: 'apiKey', in: 'cookie', name: SESSION_COOKIE,
      description: 'The console\'s session, set by `POST /auth/sign-in`; its POSTs and DELETEs also send `X-CSRF-Token`.',
    }, 'session');
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { standardSchemaConverter: zodToOpenApi });
  const shared = components();
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...shared.schemas },
    responses: shared.responses,
    headers: shared.headers,
    parameters: shared.parameters,
  };
  const routes = new Map(routesOf(app).map((route) => [route.operationId, route]));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      const route = routes.get(operation.operationId ?? '');
      if (!route) throw new Error(`No route behind the operation ${method.toUpperCase()} ${path}`);
      operation.description = [operation.description, whoMayCall(route)].filter(Boolean).join('\n\n');
      operation.security = route.isPublic ? [] : [{ bearer: [] }, { session: [] }];
      operation.parameters = [...(operation.parameters ?? []), ...parametersOf(route).map((name) => ({ $ref: `#/components/parameters/${name}` }))];
      for (const status of problemsOf(route, path, operation)) {
        operation.responses[status] = { $ref: `#/components/responses/${PROBLEMS[status][0]}` };
      }
    }
  }
  return document;
}

/** A route a browser navigates to, answered by a redirect (sign-in at the identity provider): what it does and where it sends the browser. */
export function ApiRedirect(operation: OperationText & { readonly location: string; readonly problems?: readonly Status[] }): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: operation.summary, description: operation.description }),
    ApiResponse({ status: 302, description: operation.location, headers: { Location: { description: 'where the browser goes next', schema: { type: 'string' } } } }),
    SetMetadata(ROUTE_DOCS, { problems: operation.problems ?? [] } satisfies RouteDocs),
  );
}
