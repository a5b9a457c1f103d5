/**
 * Event metadata and the per-stream hash chain that lets an auditor prove nothing was altered:
 * hash = sha256(prevHash ‖ canonical JSON (RFC 8785) of { type, data, metadata without hash }).
 */
import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { configure } from 'safe-stable-stringify';
import type { Actor } from './actor.js';

export const GENESIS_HASH = '0'.repeat(64);

/** A type alias (not an interface) so it fits the store's `Record<string, unknown>` metadata. */
export type EventMetadata = {
  readonly eventId: string;
  readonly schemaVersion: number;
  /** ISO-8601, from the command. */
  readonly occurredAt: string;
  readonly actor: Actor;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** Fingerprint of the request that caused the command: a reused Idempotency-Key with another body is refused. */
  readonly requestHash: string;
  readonly hash: string;
};

export interface UnsealedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Omit<EventMetadata, 'hash'>;
}

export interface SealedEvent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

/** Sorted keys, and an error (not a placeholder) for what JSON cannot hold: NaN, Infinity, functions, symbols, cycles. */
const sortedJson = configure({ strict: true, circularValue: Error });

/**
 * RFC 8785 canonical JSON. safe-stable-stringify writes the same bytes for JSON values (keys in UTF-16 code unit
 * order, ECMAScript number form, JSON.stringify's escapes) in about 40 % of `canonicalize`'s time; but it escapes
 * a lone surrogate, where RFC 8785 requires an error. Output holding any `\u` escape (control characters, lone
 * surrogates: rare in events) is therefore made again by `canonicalize`, the reference, which throws for those.
 */
export function canonicalJson(value: unknown): string | undefined {
  const fast = sortedJson(value);
  return fast === undefined || fast.includes('\\u') ? canonicalize(value) : fast;
}

export function hashEvent(prevHash: string, event: { type: string; data: unknown; metadata: object }): string {
  // Copied without its hash only when it has one (an unsealed event, the command path's, has none).
  const metadata = Object.hasOwn(event.metadata, 'hash') ? withoutHash(event.metadata as Record<string, unknown>) : event.metadata;
  const body = canonicalJson({ type: event.type, data: event.data, metadata });
  if (body === undefined) throw new Error('Event cannot be canonicalized');
  return sha256Hex(prevHash + body);
}

function withoutHash({ hash: _ignored, ...metadata }: Record<string, unknown>): Record<string, unknown> {
  return metadata;
}

/** An event's metadata (its hash included) as JSON text, written while sealing it. */
export interface EventJson {
  readonly metadata: string;
}

/** A sealed event as the command path appends it: its metadata also as JSON text, for a store that keeps text. */
export interface SealedForStore extends SealedEvent {
  readonly json: EventJson | undefined;
}

/**
 * Adds the chained hash to each event, starting from the hash of the stream's last event, writing each event's
 * metadata once on the way: the canonical JSON the hash covers is
 * `{"data":…,"metadata":…,"type":…}` (keys in order), so the text of its metadata, with the hash added at the end,
 * is also what the store keeps, instead of serializing it again. (Not the data's: the store keeps the data's keys in
 * the order the domain wrote them, as readers and the API show them.) Anything the fast path would not write exactly
 * as `canonicalJson` does (an undefined part, a `\u` escape) is hashed by `hashEvent` and leaves `json` undefined.
 */
export function sealEvents(prevHash: string, events: readonly UnsealedEvent[]): SealedForStore[] {
  let previous = prevHash;
  return events.map((event) => {
    const data = typeof event.type === 'string' && !Object.hasOwn(event.metadata, 'hash') ? sortedJson(event.data) : undefined;
    const metadata = data === undefined ? undefined : sortedJson(event.metadata);
    // Each part is looked at apart: that leaves each in one piece, as the store will write it.
    const body = metadata === undefined || !metadata.startsWith('{"') || data!.includes('\\u') || metadata.includes('\\u') ? undefined
      : `{"data":${data},"metadata":${metadata},"type":${JSON.stringify(event.type)}}`;
    if (body === undefined || body.includes('\\u')) {
      const hash = hashEvent(previous, event);
      previous = hash;
      return { type: event.type, data: event.data, metadata: withHash(event.metadata, hash), json: undefined };
    }
    const hash = sha256Hex(previous + body);
    previous = hash;
    return { type: event.type, data: event.data, metadata: withHash(event.metadata, hash), json: { metadata: `${metadata!.slice(0, -1)},"hash":"${hash}"}` } };
  });
}

/** The metadata with its hash, copied by `Object.assign`: Node 20 builds `{ ...metadata, hash }` several times slower. */
function withHash(metadata: UnsealedEvent['metadata'], hash: string): EventMetadata {
  return Object.assign({}, metadata, { hash });
}

function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export interface ChainBreak {
  readonly revision: bigint;
  readonly eventId: string;
  readonly reason: string;
}

/** Checks a stream's chain in order; returns the first event where it breaks, or null. */
export function findChainBreak(
  events: Iterable<{ revision: bigint; id: string; type: string; data: unknown; metadata: Readonly<Record<string, unknown>> }>,
): ChainBreak | null {
  let previous = GENESIS_HASH;
  for (const event of events) {
    const stored = event.metadata['hash'];
    if (typeof stored !== 'string') return { revision: event.revision, eventId: event.id, reason: 'missing hash' };
    const expected = hashEvent(previous, event);
    if (stored !== expected) return { revision: event.revision, eventId: event.id, reason: 'hash mismatch' };
    previous = stored;
  }
  return null;
}

/** Request fingerprint: the same route, actor and body always give the same value. */
export function requestHash(parts: unknown): string {
  return hash('sha256', canonicalJson(parts) ?? '', 'hex');
}
