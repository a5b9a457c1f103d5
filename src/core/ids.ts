import { createHash } from 'node:crypto';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Namespace for every name-based id Rujukan derives (RFC 9562 v5). */
const RUJUKAN_NAMESPACE = '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11';
const NAMESPACE_BYTES = Buffer.from(RUJUKAN_NAMESPACE.replaceAll('-', ''), 'hex');

/** A new time-ordered id (UUID v7). Only the API layer and tooling call this, never domain code. */
export function newId(): string {
  return uuidv7();
}

/** The same parts always give the same id: used for event ids and ids derived from Idempotency-Key. */
export function derivedId(...parts: readonly string[]): string {
  const name = parts.join('\u001f');
  // The uuid package's v5, without parsing the namespace and copying the name byte by byte on every call (each
  // command derives its event ids). A name with a lone surrogate goes to the package, which refuses it.
  if (!name.isWellFormed()) return uuidv5(name, RUJUKAN_NAMESPACE);
  const bytes = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/** Ids are UUIDs, ULIDs or short slugs: safe inside stream names and URLs. */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
