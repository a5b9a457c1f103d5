/**
 * Serves the web console's build (dist/console, from console/) at `/`: hashed assets under /assets/ cached for
 * a year, the few fixed files beside index.html for a day, and index.html (never cached) for every other
 * path that is not the API or the docs, so the console's own routes (/cases/…, /sign-in) load in the
 * browser. The Content-Security-Policy for these pages is set in hardening.ts.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Paths the console never answers: the API and its documentation keep their own 404s. */
const NOT_CONSOLE = /^\/(api|docs)(\/|$)/;

export function hasConsole(directory: string): boolean {
  return existsSync(join(directory, 'index.html'));
}

export async function serveConsole(fastify: FastifyInstance, directory: string): Promise<void> {
  const index = readFileSync(join(directory, 'index.html'));
  await fastify.register(fastifyStatic, {
    root: join(directory, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    wildcard: true,
    maxAge: '365d',
    immutable: true,
  });
  for (const name of readdirSync(directory)) {
    if (name === 'index.html' || name === 'assets' || !statSync(join(directory, name)).isFile()) continue;
    const file = readFileSync(join(directory, name));
    const type = name.endsWith('.svg') ? 'image/svg+xml' : name.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'application/octet-stream';
    fastify.get(`/${name}`, (_request, reply) => reply.header('cache-control', 'public, max-age=86400').type(type).send(file));
  }
  const page = (request: FastifyRequest, reply: FastifyReply) => {
    if (NOT_CONSOLE.test(request.url)) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  };
  fastify.get('/', page);
  fastify.get('/*', page);
}
