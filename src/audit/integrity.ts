/**
 * Integrity check (docs/architecture.md, "Streams and events"), shared by `GET /audit/verify` and `npx rujukan verify`: re-computes each
 * stream's SHA-256 chain in one pass and reports the first event where it breaks. A stream must also run
 * 0, 1, 2, … without gaps or reordering, or an event could be removed (or two swapped) unnoticed.
 */
import { GENESIS_HASH, hashEvent } from '../core/event-envelope.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';

export interface IntegrityReport {
  readonly ok: boolean;
  /** Events examined, the broken one included. */
  readonly checked: number;
  readonly firstBroken: null | { readonly stream: string; readonly revision: string; readonly eventId: string; readonly reason: string };
}

export interface VerifyOptions {
  /** One stream instead of the whole store. */
  readonly stream?: string;
  /** Called every PROGRESS_EVERY events and once at the end, with the count so far. */
  readonly onProgress?: (checked: number) => void;
}

const PROGRESS_EVERY = 1_000;

/** Where a stream's chain has got to: updated in place, one per stream, never one per event. */
interface ChainTip {
  hash: string;
  nextRevision: bigint;
}

/** Why `event` does not continue `tip`, or null when it does (then `tip` has moved on to it). */
function breakIn(tip: ChainTip, event: RecordedEvent): string | null {
  if (event.revision !== tip.nextRevision) return `expected revision ${tip.nextRevision}: an event is missing or out of order`;
  const stored = event.metadata['hash'];
  if (typeof stored !== 'string') return 'missing hash';
  if (stored !== hashEvent(tip.hash, event)) return 'hash mismatch';
  tip.hash = stored;
  tip.nextRevision += 1n;
  return null;
}

export async function verifyIntegrity(store: EventStore, options: VerifyOptions = {}): Promise<IntegrityReport> {
  const events = options.stream === undefined ? store.readAll() : store.readStream(options.stream);
  const tips = new Map<string, ChainTip>();
  let checked = 0;
  for await (const event of events) {
    checked += 1;
    let tip = tips.get(event.streamId);
    if (tip === undefined) tips.set(event.streamId, (tip = { hash: GENESIS_HASH, nextRevision: 0n }));
    const reason = breakIn(tip, event);
    if (reason !== null) {
      options.onProgress?.(checked);
      return { ok: false, checked, firstBroken: { stream: event.streamId, revision: event.revision.toString(), eventId: event.id, reason } };
    }
    if (checked % PROGRESS_EVERY === 0) options.onProgress?.(checked);
  }
  options.onProgress?.(checked);
  return { ok: true, checked, firstBroken: null };
}
