/** Builds the HTTP application; shared by main.ts and the end-to-end tests so they run the same thing. */
import fastifyCookie from '@fastify/cookie';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import { AppModule, type AppDependencies } from './app.module.js';
import { TokenVerifier } from './auth/token.js';
import { buildApiDocument } from './http/api-docs.js';
import { hasConsole, serveConsole } from './http/console.js';
import { answerCommands } from './http/command-response.js';
import { refuseWhileClosing, ShutdownState } from './http/draining.js';
import { addSecurityHeaders, allowOrigins, limitWrites } from './http/hardening.js';
import { readJsonBodies } from './http/json-body.js';
import { answerClientError, answerRouterError } from './http/transport-errors.js';
import { NestLogBridge, requestIdOf, trackRequestIds } from './http/request-logging.js';
import { MetricsService } from './metrics/metrics.service.js';
import { Sessions } from './users/sessions.js';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface AppOptions {
  /** false: no logs at all (the tests' default). */
  readonly logger?: boolean;
  /** Where log lines go instead of stdout (a test reads them). */
  readonly logStream?: { write(line: string): void };
  /** The console's build (dist/console) to serve at `/`; none when absent. */
  readonly consoleDir?: string;
}

export async function createApp(dependencies: AppDependencies, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const { config } = dependencies;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    frameworkErrors: answerRouterError,
    // Requests arriving while the application closes are answered by refuseWhileClosing, as problems.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    logger: options.logger === false || config.logLevel === 'silent' ? false : {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      // Request logs carry method, route, status and timing: never bodies, tokens or query strings.
      redact: ['req.headers.authorization'],
      serializers: {
        req: (request: { method: string; url: string; id: string }) => ({ id: request.id, method: request.method, path: request.url.split('?')[0] }),
      },
    },
  });
  const fastify = adapter.getInstance();
  // Every body is JSON. Nest's body parsers would add a form parser and Fastify keeps a
  // text/plain one: without them, any other media type is refused with 415 before a route runs, rather
  // than reaching validation as a string or a form-shaped object.
  fastify.removeContentTypeParser('text/plain');
  readJsonBodies(fastify);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(dependencies), adapter, {
    bodyParser: false,
    logger: new NestLogBridge(fastify.log),
  });
  trackRequestIds(fastify);
  answerCommands(fastify);
  refuseWhileClosing(fastify, app.get(ShutdownState));
  await fastify.register(fastifyCookie);
  const withConsole = options.consoleDir !== undefined && hasConsole(options.consoleDir);
  addSecurityHeaders(fastify, withConsole);
  allowOrigins(app, config.corsOrigins);
  await limitWrites(fastify, config.rateLimitWritesPerMinute, app.get(TokenVerifier), app.get(Sessions), dependencies.readStore);
  if (withConsole) await serveConsole(fastify, options.consoleDir);
  app.setGlobalPrefix(API_PREFIX);
  // One address for the UI: its page refers to its assets relative to /docs, which /docs/ (or /docs/?…) would break.
  fastify.get('/docs/', (request, reply) => reply.redirect(`/docs${request.url.slice('/docs/'.length)}`, 301));
  SwaggerModule.setup('docs', app, buildApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  const metrics = app.get(MetricsService);
  // Labelled by the route template (never the URL itself, which carries ids); unknown routes as one label.
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  await app.init();
  await fastify.ready();
  return app;
}
