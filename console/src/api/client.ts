/**
 * The console talks to the public API only, through the client generated from its OpenAPI document
 * (client/): every path, body and answer is typed, so a change of the API that breaks a screen fails the
 * build. Three things ride on every request: the session's CSRF token on writes, `X-Min-Position` on reads
 * (once a command has answered, every screen reads at least what it wrote), and a sign-out when the server
 * says the session is over.
 */
import { createRujukanClient } from '../../../client/index';

export const api = createRujukanClient({ baseUrl: '' });

let csrfToken: string | null = null;
let seenPosition = 0n;
const signedOutListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The highest log position a command of this tab returned: later reads wait for the views to reach it. */
export function seePosition(position: string | undefined): void {
  if (position !== undefined && /^\d+$/.test(position) && BigInt(position) > seenPosition) seenPosition = BigInt(position);
}

export function minPosition(): string | null {
  return seenPosition > 0n ? seenPosition.toString() : null;
}

export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

api.use({
  onRequest({ request }) {
    if (request.method === 'GET') {
      const position = minPosition();
      if (position !== null && !request.headers.has('x-min-position')) request.headers.set('x-min-position', position);
    } else if (csrfToken !== null) {
      request.headers.set('x-csrf-token', csrfToken);
    }
    return request;
  },
  async onResponse({ request, response }) {
    if (request.method !== 'GET' && response.ok && response.headers.get('content-type')?.includes('json')) {
      const body = (await response.clone().json().catch(() => null)) as { position?: string } | null;
      seePosition(body?.position);
    }
    if (response.status === 401 && !new URL(request.url, location.origin).pathname.endsWith('/auth/sign-in')) {
      for (const listener of signedOutListeners) listener();
    }
    return response;
  },
});

/** An RFC 9457 problem document, as every error of the API is (its schema is in the OpenAPI document). */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).status === 'number';
}

/** The data of a read, or a thrown problem (TanStack Query shows it and retries what is worth retrying). */
export async function read<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await request;
  if (data !== undefined && response.ok) return data;
  throw isProblem(error) ? new ProblemError(error) : new ProblemError({ status: response.status, detail: response.statusText });
}

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = 'ProblemError';
  }
}
