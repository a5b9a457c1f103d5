/** RFC 9457 problem details: the one error shape of the API. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Readonly<Record<number, [slug: string, title: string]>> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Authentication required'],
  403: ['forbidden', 'Not allowed'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'State conflict'],
  412: ['precondition-failed', 'Precondition failed'],
  413: ['payload-too-large', 'Request body too large'],
  414: ['uri-too-long', 'Request URL too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['validation-failed', 'Invalid request'],
  428: ['precondition-required', 'Precondition required'],
  429: ['too-many-requests', 'Too many requests'],
  431: ['headers-too-large', 'Request headers too large'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Service unavailable'],
};

export function problem(status: number, detail: string, extensions: Record<string, unknown> = {}): ProblemDetails {
  const [slug, title] = TITLES[status] ?? (status >= 500 ? TITLES[500]! : TITLES[400]!);
  return { type: `/problems/${slug}`, title, status, detail, ...extensions };
}

/** Thrown by validation: becomes a 400/422 naming every offending field. */
export class RequestValidationError extends Error {
  constructor(
    readonly status: 400 | 415 | 422,
    message: string,
    readonly errors: readonly FieldError[],
  ) {
    super(message);
    this.name = 'RequestValidationError';
  }
}
