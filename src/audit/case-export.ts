/**
 * A stream as NDJSON, one event a line, exactly as stored (`GET /audit/cases/:id/export`, `npx rujukan
 * export`), and back: appending the parsed lines to an empty store with `expectedRevision` reproduces the
 * stream, ids and hash chain included, so the copy can be verified on its own. A line whose event was written
 * in an older schema version also carries `current`: the same event as this release reads it (upcast). An
 * auditor's export also carries `personal`, the event's personal part opened (or `{ erased: true }`); an
 * import ignores it, as the stored `data` holds the same sealed.
 */
import { z } from 'zod';
import { upcast, type Upcasters } from '../core/upcasting.js';
import type { EventStore, ExpectedRevision, NewEvent } from '../event-store/event-store.port.js';
import { decimalSchema } from './audit.schemas.js';
import type { PersonalOf } from './case-personal.js';

const exportLineSchema = z.strictObject({
  streamId: z.string().min(1),
  revision: decimalSchema('a revision'),
  position: decimalSchema('a position'),
  id: z.string().min(1),
  type: z.string().min(1),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.iso.datetime(),
  current: z.strictObject({ schemaVersion: z.number().int(), data: z.unknown() }).optional(),
  personal: z.unknown().optional(),
});

export interface ExportedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly event: NewEvent;
  /** Append `event` with this, and it lands at `revision` or the append fails. */
  readonly expectedRevision: ExpectedRevision;
}

export async function* exportStream(store: EventStore, streamId: string, upcasters: Upcasters, personalOf?: PersonalOf): AsyncIterable<string> {
  for await (const stored of store.readStream(streamId)) {
    const { revision, position, id, type, data, metadata, recordedAt } = stored;
    const current = upcast(stored, upcasters);
    const line = {
      streamId, revision: revision.toString(), position: position.toString(), id, type, data, metadata, recordedAt: recordedAt.toISOString(),
      ...(current === stored ? {} : { current: { schemaVersion: current.metadata['schemaVersion'], data: current.data } }),
      ...(personalOf ? await personalOf(stored) : {}),
    };
    yield `${JSON.stringify(line)}\n`;
  }
}

export class InvalidExportLineError extends Error {
  constructor(detail: string) {
    super(`Not a line of a Rujukan export: ${detail}`);
    this.name = 'InvalidExportLineError';
  }
}

export function parseExportLine(line: string): ExportedEvent {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new InvalidExportLineError('not JSON');
  }
  const parsed = exportLineSchema.safeParse(json);
  if (!parsed.success) throw new InvalidExportLineError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'line'} ${issue.message}`).join('; '));
  const { streamId, revision, id, type, data, metadata } = parsed.data;
  return { streamId, revision, event: { id, type, data, metadata }, expectedRevision: revision === 0n ? 'no_stream' : revision - 1n };
}
