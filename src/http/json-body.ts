/**
 * How a request body is read (DESIGN §9: every body is a JSON object). Replaces Fastify's JSON parser so
 * that everything a later step could choke on is refused here, before authentication's command context,
 * the request fingerprint or validation run: a charset other than UTF-8 (415), bytes that are not UTF-8,
 * malformed JSON, prototype-poisoning keys and nesting deeper than MAX_DEPTH (400), and, naming the field,
 * strings or keys with an unpaired surrogate, numbers beyond a double (`1e999`), a top level that is not
 * an object, and anything in the body of a DELETE (422).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { RequestValidationError } from './problem-details.js';

/** Far deeper than any body the API takes (about 4), far shallower than any recursion limit. */
export const MAX_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function unreadable(status: 400 | 415 | 422, detail: string, field: string, message: string): RequestValidationError {
  return new RequestValidationError(status, detail, [{ field, message }]);
}

/** `charset` of a Content-Type, lower case and unquoted, or null when it has none. */
function charsetOf(contentType: string | undefined): string | null {
  const match = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(contentType ?? '');
  return match ? match[2]!.toLowerCase() : null;
}

const at = (path: string, key: string | number): string => {
  // Keys are shown as JSON shows them, so one holding an unpaired surrogate reads as its escape.
  const shown = typeof key === 'number' ? String(key) : JSON.stringify(key).slice(1, -1);
  return path === '' ? shown : `${path}.${shown}`;
};

/** The first thing in `value` no later step may receive, as a field error; null when there is none. */
function firstProblem(value: unknown, path: string, depth: number): RequestValidationError | null {
  if (typeof value === 'string') {
    return value.isWellFormed() ? null : unreadable(422, `Invalid body: ${path}`, path, 'contains an unpaired surrogate (not valid Unicode)');
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : unreadable(422, `Invalid body: ${path}`, path, 'a number too large to represent');
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_DEPTH) return unreadable(400, `The request body is nested deeper than ${MAX_DEPTH} levels`, 'body', `nested deeper than ${MAX_DEPTH} levels`);
  const entries: Iterable<[string | number, unknown]> = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, item] of entries) {
    const field = at(path, key);
    if (typeof key === 'string' && !key.isWellFormed()) return unreadable(422, `Invalid body: ${field}`, field, 'a key with an unpaired surrogate (not valid Unicode)');
    const problem = firstProblem(item, field, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** The body as the routes receive it: a plain JSON object (an empty one on DELETE), or an error saying why not. */
export function readJsonBody(method: string, contentType: string | undefined, body: Buffer): Record<string, unknown> {
  const charset = charsetOf(contentType);
  if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
    throw unreadable(415, 'Send the request body as UTF-8 JSON (charset=utf-8, or no charset)', 'Content-Type', 'charset must be utf-8');
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw unreadable(400, 'The request body is not valid UTF-8', 'body', 'not UTF-8');
  }
  if (text.trim() === '') throw unreadable(400, 'The request body is empty but declared as JSON', 'body', 'empty');
  let value: unknown;
  try {
    value = secureJson.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw unreadable(400, 'The request body is not valid JSON', 'body', 'malformed JSON');
  }
  const problem = firstProblem(value, '', 1);
  if (problem) throw problem;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unreadable(422, 'The request body must be a JSON object', 'body', 'must be a JSON object');
  // The API documents no body for DELETE: `{}` is tolerated, anything in it would be ignored, so it is refused.
  if (method === 'DELETE' && Object.keys(value).length > 0) throw unreadable(422, 'A DELETE takes no request body', 'body', 'must be empty');
  return value as Record<string, unknown>;
}

/** Replaces Fastify's JSON parser with `readJsonBody` (the body limit still applies first). */
export function readJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer | string, done) => {
    try {
      done(null, readJsonBody(request.method, request.headers['content-type'], Buffer.isBuffer(body) ? body : Buffer.from(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
