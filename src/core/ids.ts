import { hash } from 'node:crypto';
import { parse as parseUuid, v7 as uuidv7 } from 'uuid';

/** Namespace for every name-based id Rujukan derives (RFC 9562 v5). */
const RUJUKAN_NAMESPACE = '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11';
/** The namespace as bytes, parsed once. */
const NAMESPACE_BYTES = parseUuid(RUJUKAN_NAMESPACE);
/** The variant's hex digit (RFC 9562: bits 10xx) for each digit SHA-1 put there. */
const VARIANT_DIGIT = '89ab89ab89ab89ab';

/** A new time-ordered id (UUID v7). Only the API layer and tooling call this, never domain code. */
export function newId(): string {
  return uuidv7();
}

/**
 * The same parts always give the same id: used for event ids and ids derived from Idempotency-Key.
 * UUID v5 (RFC 9562 §5.5), the bytes uuid's `v5` hashes (namespace, then the name as UTF-8), hashed by Node's
 * one-shot SHA-1 (uuid's `createHash().update().digest()` and byte handling cost several times as much on the
 * command path); ids.unit.spec.ts checks it against uuid's `v5` on random names.
 */
export function derivedId(...parts: readonly string[]): string {
  const name = parts.join('\u001f');
  const bytes = Buffer.allocUnsafe(16 + Buffer.byteLength(name));
  bytes.set(NAMESPACE_BYTES);
  bytes.write(name, 16, 'utf8');
  const hex = hash('sha1', bytes, 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${VARIANT_DIGIT[parseInt(hex[16]!, 16)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/;

/** Ids are UUIDs, ULIDs or short slugs: safe inside stream names and URLs. */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
