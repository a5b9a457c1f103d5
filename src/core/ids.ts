import { parse as parseUuid, v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Namespace for every name-based id Rujukan derives (RFC 9562 v5). */
const RUJUKAN_NAMESPACE = '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11';
/** The namespace as bytes, parsed once (given as a string, uuid parses it on every call). */
const NAMESPACE_BYTES = parseUuid(RUJUKAN_NAMESPACE);
const utf8 = new TextEncoder();

/** A new time-ordered id (UUID v7). Only the API layer and tooling call this, never domain code. */
export function newId(): string {
  return uuidv7();
}

/** The same parts always give the same id: used for event ids and ids derived from Idempotency-Key. */
export function derivedId(...parts: readonly string[]): string {
  // The name as UTF-8 bytes: the same bytes uuid makes of a string, without its slower escape-and-unescape.
  return uuidv5(utf8.encode(parts.join('\u001f')), NAMESPACE_BYTES);
}

const ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/** Ids are UUIDs, ULIDs or short slugs: safe inside stream names and URLs. */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
