/**
 * A case's access log: the auditor reads recorded in its `access-<caseId>` stream, as
 * `GET /audit/cases/:id/access-log` lists them and a data subject's access report gathers them.
 */
import type { RecordedActor } from '../core/actor.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';
import { accessStreamId, type AccessEvent } from './access.events.js';

export function accessLogEntry({ data, metadata }: RecordedEvent) {
  const { route, query } = data as Extract<AccessEvent, { type: 'CaseHistoryRead' }>['data'];
  const { userId, role, institutionId } = metadata['actor'] as RecordedActor;
  return { at: metadata['occurredAt'] as string, actor: { userId, role, ...(institutionId ? { institutionId } : {}) }, route, query };
}

export type AccessLogEntry = ReturnType<typeof accessLogEntry>;

/** Every read of the case, oldest first. */
export async function readAccessLog(store: EventStore, caseId: string): Promise<AccessLogEntry[]> {
  const entries: AccessLogEntry[] = [];
  for await (const event of store.readStream(accessStreamId(caseId))) entries.push(accessLogEntry(event));
  return entries;
}
