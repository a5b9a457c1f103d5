/**
 * Typed domain errors. One exception filter (src/http/problem-details.filter.ts) maps each code to an
 * HTTP status: not_found 404, forbidden 403, conflict 409, invalid 422, precondition_failed 412, unauthenticated 401.
 */
export type DomainErrorCode = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'precondition_failed' | 'unauthenticated';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  /** The request field the error is about, when there is one. */
  readonly field?: string;

  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    if (field !== undefined) this.field = field;
  }
}

/** Something named in the request does not exist (or the caller may not know it exists). */
export class NotFoundError extends DomainError {
  readonly code = 'not_found' as const;
}

/** The actor may not do this to this object. */
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden' as const;
}

/** The command is well-formed but the current state does not allow it. */
export class ConflictError extends DomainError {
  readonly code = 'conflict' as const;
}

/** The command is well-formed JSON but its content breaks a rule (unknown reference, bad value). */
export class InvalidCommandError extends DomainError {
  readonly code = 'invalid' as const;
}

/** The client's If-Match revision is not the current one. */
export class StaleRevisionError extends DomainError {
  readonly code = 'precondition_failed' as const;
}

/** The person could not be signed in: a sign-in link that is unknown, used, expired, or of a revoked user. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated' as const;
}
