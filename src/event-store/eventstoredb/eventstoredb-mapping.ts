/** Translations between the client's shapes and errors and the port's. */
import type { AllStreamResolvedEvent, ResolvedEvent } from '@eventstore/db-client';
import { EventStoreUnavailableError, type RecordedEvent } from '../event-store.port.js';

/** Error types of the client that mean "the server could not be reached or did not answer in time". */
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'cancelled']);

/** The port's view of a resolved event; links without their target (none in this service) are dropped. */
export function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | null {
  const event = resolved.event;
  if (!event) return null;
  return {
    streamId: event.streamId,
    revision: event.revision,
    // Old servers leave stream reads without a position (or give 2^64 − 1): -1 says "unknown".
    position: event.position && event.position.commit < 2n ** 63n ? event.position.commit : -1n,
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: (event.metadata ?? {}) as Readonly<Record<string, unknown>>,
    recordedAt: event.created instanceof Date ? event.created : new Date(Number(event.created)),
  };
}


export function isStreamNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'stream-not-found';
}

/** Connection failures become the port's unavailable error; anything else is a bug and stays as it is. */
export function unavailable(error: unknown): unknown {
  if (error instanceof EventStoreUnavailableError) return error;
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // gRPC status 14 is UNAVAILABLE, 4 DEADLINE_EXCEEDED, 1 CANCELLED.
  if ((typeof type === 'string' && UNAVAILABLE_TYPES.has(type)) || code === 14 || code === 4 || code === 1) {
    return new EventStoreUnavailableError(`The event store is unavailable: ${(error as Error).message}`, { cause: error });
  }
  return error;
}
