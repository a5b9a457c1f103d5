import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Namespace for every name-based id Rujukan derives (RFC 9562 v5). */
const RUJUKAN_NAMESPACE = '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11';

/** A new time-ordered id (UUID v7). Only the API layer and tooling call this, never domain code. */
export function newId(): string {
  return uuidv7();
}

/** The same parts always give the same id: used for event ids and ids derived from Idempotency-Key. */
export function derivedId(...parts: readonly string[]): string {
  return uuidv5(parts.join('\u001f'), RUJUKAN_NAMESPACE);
}

const ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/** Ids are UUIDs, ULIDs or short slugs: safe inside stream names and URLs. */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
