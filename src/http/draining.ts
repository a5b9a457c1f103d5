/**
 * Shutdown, as seen by clients: once the application starts closing (SIGTERM), requests still arriving on
 * open connections get a 503 problem with `Retry-After` and `Connection: close`, while those already in
 * flight run to their end and then close their connection too; then the server stops listening and closes
 * the idle ones (src/shutdown.ts bounds how long all this takes).
 */
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE } from './problem-details.js';

/** Set as the application starts closing: the first of Nest's shutdown steps, before the HTTP server closes. */
@Injectable()
export class ShutdownState implements OnModuleDestroy {
  closing = false;

  onModuleDestroy(): void {
    this.closing = true;
  }
}

export function refuseWhileClosing(fastify: FastifyInstance, state: ShutdownState): void {
  // A connection whose request was in flight must not stay open once answered: the server's close waits for it.
  // Callback hooks, not async ones: they run on every request, and an async hook costs a promise each time.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (state.closing) reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!state.closing) {
      done();
      return;
    }
    // Answered here: Fastify runs no further hook nor the route once a hook has sent the reply.
    void reply.code(503).headers({ 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '5', connection: 'close', 'x-request-id': request.id })
      .send(problem(503, 'The service is shutting down; retry shortly'));
  });
}
