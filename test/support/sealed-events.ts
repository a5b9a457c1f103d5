/** Hash-chained events written straight into a store, as the command path would have sealed them: for log-level specs. */
import { randomUUID } from 'node:crypto';
import type { UnsealedEvent } from '../../src/core/event-envelope.js';
import type { NewEvent } from '../../src/event-store/event-store.port.js';

/** A caseworker's note on `streamId`, not yet sealed into its chain (`sealEvents`). */
export function unsealedNote(streamId: string): UnsealedEvent {
  const commandId = randomUUID();
  return {
    type: 'CaseNoteAdded',
    data: { caseId: streamId, note: `kunjungan rumah ${commandId}` },
    metadata: {
      eventId: randomUUID(),
      schemaVersion: 1,
      occurredAt: '2025-03-01T08:00:00.000Z',
      actor: { userId: 'pekerja-1', role: 'caseworker', institutionId: 'puskesos-1' },
      commandId,
      correlationId: commandId,
      causationId: commandId,
      requestHash: 'f'.repeat(64),
    },
  };
}

/** A sealed (or stored) event as an append takes it again, under its own event id. */
export function asNewEvent(event: { type: string; data: unknown; metadata: Readonly<Record<string, unknown>> }): NewEvent {
  return { id: String(event.metadata['eventId']), type: event.type, data: event.data, metadata: event.metadata };
}
