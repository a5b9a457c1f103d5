/**
 * Errors Fastify and Node answer before a request reaches the application (no route, hook or filter runs):
 * a path segment longer than the router takes (414), bad percent-encoding (400), and requests Node's HTTP
 * parser cannot read (400, 408, 431). They too are answered as problem details, in the API's words.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem-details.js';

/** What every response of the API carries (hardening.ts adds the rest on routed requests). */
const BASE_HEADERS = {
  'content-type': PROBLEM_CONTENT_TYPE,
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
};

function routerProblem(error: FastifyError): ProblemDetails {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'A segment of the request path is too long', { errors: [{ field: 'path', message: 'a path segment longer than 100 characters' }] });
    case 'FST_ERR_BAD_URL':
      return problem(400, 'The request path is not a valid URL: bad percent-encoding', { errors: [{ field: 'path', message: 'bad percent-encoding' }] });
    default:
      return problem(500, 'The request could not be routed');
  }
}

/** Fastify's `frameworkErrors`: the router's own refusals. */
export function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = routerProblem(error);
  void reply.code(body.status).headers({ ...BASE_HEADERS, 'x-request-id': request.id }).send(body);
}

/** Fastify's `clientErrorHandler`: requests Node's HTTP parser refused, answered on the socket itself. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? problem(408, 'The request was not received in time')
    : error.code === 'HPE_HEADER_OVERFLOW' ? problem(431, 'The request line and headers exceed 16 KiB', { errors: [{ field: 'headers', message: 'larger than 16 KiB' }] })
    : problem(400, 'The request is not valid HTTP');
  const text = JSON.stringify(body);
  if (socket.writable) {
    const headers = Object.entries({ ...BASE_HEADERS, 'content-length': String(Buffer.byteLength(text)), connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`HTTP/1.1 ${body.status} ${body.title}\r\n${headers}\r\n${text}`);
  }
  socket.destroy(error);
}
