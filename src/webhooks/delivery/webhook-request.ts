/**
 * One attempt: a POST of the body with its Standard Webhooks headers, over node:http(s) so that the connection
 * goes to the address the target check just approved (webhook-target.ts). Redirects are not followed (a 3xx
 * is a failure), the answer's body is not kept, and the whole attempt is bounded by WEBHOOK_TIMEOUT_SECONDS.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, TargetRefusedError, urlProblem, type Resolve, type TargetPolicy } from '../webhook-target.js';

export interface AttemptResult {
  /** The target's status, or null when it did not answer. */
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
  /** The service was stopping: the attempt does not count (the delivery stays as it was, and goes again). */
  readonly interrupted: boolean;
}

export interface RequestOptions {
  readonly policy: TargetPolicy;
  readonly timeoutMs: number;
  /** Aborted when the service stops. */
  readonly signal: AbortSignal;
  readonly resolve?: Resolve;
}

const USER_AGENT = 'Rujukan-Webhooks/1';

/** What went wrong, in words an operator can act on; never anything a request carried. */
function describe(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  if (error instanceof TargetRefusedError) return error.message;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused';
    case 'ECONNRESET': return 'connection reset';
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found';
    case 'EHOSTUNREACH': case 'ENETUNREACH': return 'host unreachable';
    default: return typeof code === 'string' ? code : (error as Error).name ?? 'request failed';
  }
}

export function postWebhook(url: string, headers: Readonly<Record<string, string>>, body: string, options: RequestOptions): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refused = urlProblem(url, options.policy);
  if (refused !== null) return Promise.resolve({ statusCode: null, error: `Refused to connect: ${refused}`, latencyMs: 0, interrupted: false });
  const target = new URL(url);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'latencyMs' | 'interrupted'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, latencyMs: elapsed(), interrupted: options.signal.aborted && !timeout.aborted });
    };
    const request = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': USER_AGENT },
      lookup: guardedLookup(options.policy, target.protocol === 'http:', options.resolve),
      signal: AbortSignal.any([options.signal, timeout]),
    }, (response: IncomingMessage) => {
      // The status is the answer; the body is read and thrown away (bounded by the timeout), so the connection can be reused.
      response.on('error', () => undefined);
      response.resume();
      finish({ statusCode: response.statusCode ?? null, error: null });
    });
    request.on('error', (error) => finish({ statusCode: null, error: describe(error, options.timeoutMs, timeout.aborted) }));
    request.end(body);
  });
}
