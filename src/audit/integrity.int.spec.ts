/**
 * The integrity check on a real embedded log, tampered with through a second SQLite connection as an
 * intruder with file access would: every kind of break is named at the event where it happens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, hashEvent, sealEvents, type UnsealedEvent } from '../core/event-envelope.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { verifyIntegrity } from './integrity.js';

const STREAMS = ['case-a', 'case-b'];
const PER_STREAM = 5;

let dir: string;
let file: string;
let store: SqliteEventStore;

const eventId = (stream: string, revision: number) => `${stream}-${revision}`;

function unsealed(stream: string, revision: number): UnsealedEvent {
  return {
    type: 'CaseNoteAdded',
    data: { n: revision },
    metadata: {
      eventId: eventId(stream, revision), schemaVersion: 1, occurredAt: new Date(Date.UTC(2026, 0, 1, revision)).toISOString(),
      actor: { userId: 'u1', role: 'caseworker', institutionId: 'rw-1' }, commandId: `c-${stream}-${revision}`,
      correlationId: 'corr', causationId: 'cause', requestHash: 'h',
    },
  };
}

/** Two streams, their events interleaved in the log: a0 b0 a1 b1 … */
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rujukan-integrity-'));
  file = join(dir, 'events.sqlite');
  store = new SqliteEventStore(file);
  const sealed = STREAMS.map((stream) => sealEvents(GENESIS_HASH, Array.from({ length: PER_STREAM }, (_, revision) => unsealed(stream, revision))));
  for (let revision = 0; revision < PER_STREAM; revision++) {
    for (const [index, stream] of STREAMS.entries()) {
      const { type, data, metadata } = sealed[index]![revision]!;
      await store.append(stream, [{ id: metadata.eventId, type, data, metadata }], { expectedRevision: revision === 0 ? 'no_stream' : BigInt(revision - 1) });
    }
  }
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function tamper(sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  db.prepare(sql).run(...params);
  db.close();
}

const broken = (stream: string, revision: number, reason: string | RegExp, id = eventId(stream, revision)) =>
  ({ stream, revision: String(revision), eventId: id, reason: typeof reason === 'string' ? reason : expect.stringMatching(reason) });

describe('verifyIntegrity', () => {
  it('passes a clean log, whole or one stream at a time, counting every event', async () => {
    expect(await verifyIntegrity(store)).toEqual({ ok: true, checked: STREAMS.length * PER_STREAM, firstBroken: null });
    for (const stream of STREAMS) expect(await verifyIntegrity(store, { stream })).toEqual({ ok: true, checked: PER_STREAM, firstBroken: null });
    expect(await verifyIntegrity(store, { stream: 'case-unknown' })).toEqual({ ok: true, checked: 0, firstBroken: null });
  });

  it('names an event whose data was changed, and only its stream is broken', async () => {
    tamper(`UPDATE events SET data = json_set(data, '$.n', 99) WHERE event_id = ?`, eventId('case-b', 2));
    // Whole store: a0 b0 a1 b1 a2 b2 — the sixth event read.
    expect(await verifyIntegrity(store)).toEqual({ ok: false, checked: 6, firstBroken: broken('case-b', 2, 'hash mismatch') });
    expect(await verifyIntegrity(store, { stream: 'case-b' })).toEqual({ ok: false, checked: 3, firstBroken: broken('case-b', 2, 'hash mismatch') });
    expect((await verifyIntegrity(store, { stream: 'case-a' })).ok).toBe(true);
  });

  it('names an event whose metadata was changed (who did it)', async () => {
    tamper(`UPDATE events SET metadata = json_set(metadata, '$.actor.userId', 'someone-else') WHERE event_id = ?`, eventId('case-a', 3));
    expect((await verifyIntegrity(store)).firstBroken).toEqual(broken('case-a', 3, 'hash mismatch'));
    expect((await verifyIntegrity(store, { stream: 'case-a' })).firstBroken).toEqual(broken('case-a', 3, 'hash mismatch'));
  });

  it('names an event whose hash was removed', async () => {
    tamper(`UPDATE events SET metadata = json_remove(metadata, '$.hash') WHERE event_id = ?`, eventId('case-a', 1));
    expect((await verifyIntegrity(store)).firstBroken).toEqual(broken('case-a', 1, 'missing hash'));
    expect((await verifyIntegrity(store, { stream: 'case-a' })).firstBroken).toEqual(broken('case-a', 1, 'missing hash'));
  });

  it('names the event after one that was changed and re-sealed with a fresh hash', async () => {
    const db = new Database(file);
    const rows = db.prepare(`SELECT type, data, metadata FROM events WHERE stream_id = 'case-a' ORDER BY revision`).all() as { type: string; data: string; metadata: string }[];
    const metadata = JSON.parse(rows[1]!.metadata) as Record<string, unknown>;
    const data = { n: 1, forged: true };
    const previous = JSON.parse(rows[0]!.metadata).hash as string;
    db.prepare('UPDATE events SET data = ?, metadata = ? WHERE event_id = ?')
      .run(JSON.stringify(data), JSON.stringify({ ...metadata, hash: hashEvent(previous, { type: rows[1]!.type, data, metadata }) }), eventId('case-a', 1));
    db.close();
    expect((await verifyIntegrity(store, { stream: 'case-a' })).firstBroken).toEqual(broken('case-a', 2, 'hash mismatch'));
  });

  it('names the event after a missing one', async () => {
    tamper('DELETE FROM events WHERE event_id = ?', eventId('case-b', 2));
    const gap = broken('case-b', 3, /expected revision 2/);
    expect((await verifyIntegrity(store)).firstBroken).toEqual(gap);
    expect((await verifyIntegrity(store, { stream: 'case-b' })).firstBroken).toEqual(gap);
    tamper('DELETE FROM events WHERE event_id = ?', eventId('case-a', 0));
    expect((await verifyIntegrity(store, { stream: 'case-a' })).firstBroken).toEqual(broken('case-a', 1, /expected revision 0/));
  });

  it('names the first event out of place when two were swapped', async () => {
    // Revisions 1 and 2 of case-a trade places (through a free revision, as (stream, revision) is unique).
    for (const [from, to] of [[1, -1], [2, 1], [-1, 2]]) tamper(`UPDATE events SET revision = ? WHERE stream_id = 'case-a' AND revision = ?`, to, from);
    // In log order the old revision 1 now claims revision 2 while 1 was due.
    expect((await verifyIntegrity(store)).firstBroken).toEqual(broken('case-a', 2, /expected revision 1/, eventId('case-a', 1)));
    // In stream order revision 1 now holds the old revision 2, which does not chain onto revision 0.
    expect((await verifyIntegrity(store, { stream: 'case-a' })).firstBroken).toEqual(broken('case-a', 1, 'hash mismatch', eventId('case-a', 2)));
  });

  it('reports the first break in log order when several streams are broken', async () => {
    tamper(`UPDATE events SET data = '{}' WHERE event_id IN (?, ?)`, eventId('case-a', 4), eventId('case-b', 1));
    expect(await verifyIntegrity(store)).toMatchObject({ ok: false, checked: 4, firstBroken: broken('case-b', 1, 'hash mismatch') });
  });

  it('reports progress, ending with the count checked', async () => {
    const seen: number[] = [];
    await verifyIntegrity(store, { onProgress: (checked) => seen.push(checked) });
    expect(seen.at(-1)).toBe(STREAMS.length * PER_STREAM);
  });
});
