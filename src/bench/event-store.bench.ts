/**
 * Event store figures on a temporary SQLite file with synchronous=FULL: what group commit buys when
 * commands arrive together, and how fast the log reads back (what a projection rebuild depends on).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../event-store/event-store.port.js';
import { SqliteEventStore, type SqliteEventStoreOptions } from '../event-store/sqlite/sqlite-event-store.js';

const APPENDS = 2_000;
const WAVE = 50;
const READ_EVENTS = 20_000;

export async function benchEventStore(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rujukan-bench-'));
  try {
    console.log(`Event store: SQLite, WAL, synchronous=FULL; ${APPENDS} single-event appends`);
    const sequential = await measureAppends(join(dir, 'sequential.db'), {}, 1);
    report('one at a time', sequential);
    report(`waves of ${WAVE}, no grouping`, await measureAppends(join(dir, 'ungrouped.db'), { groupCommit: false }, WAVE));
    const grouped = await measureAppends(join(dir, 'grouped.db'), {}, WAVE);
    report(`waves of ${WAVE}, group commit`, grouped);
    console.log(`  group commit vs one at a time: ${(grouped.perSecond / sequential.perSecond).toFixed(1)}x`);

    const read = await measureReads(join(dir, 'read.db'));
    console.log(`Reading ${READ_EVENTS} events: readAll ${format(read.readAll)} events/s, subscription catch-up ${format(read.catchUp)} events/s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface AppendFigures {
  readonly perSecond: number;
  readonly commits: number;
}

/** Appends APPENDS events, `concurrency` at a time, each wave spread over as many streams as it has appends. */
async function measureAppends(file: string, options: SqliteEventStoreOptions, concurrency: number): Promise<AppendFigures> {
  const store = new SqliteEventStore(file, options);
  try {
    const started = performance.now();
    for (let done = 0; done < APPENDS; done += concurrency) {
      await Promise.all(
        Array.from({ length: concurrency }, (_, n) => store.append(`case-${n}`, [benchEvent(done + n)], { expectedRevision: 'any' })),
      );
    }
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: APPENDS / seconds, commits: store.stats.commits };
  } finally {
    await store.close();
  }
}

async function measureReads(file: string): Promise<{ readAll: number; catchUp: number }> {
  const store = new SqliteEventStore(file);
  try {
    const perAppend = 100;
    await Promise.all(
      Array.from({ length: READ_EVENTS / perAppend }, (_, stream) =>
        store.append(`case-${stream}`, Array.from({ length: perAppend }, (_, n) => benchEvent(n)), { expectedRevision: 'no_stream' }),
      ),
    );

    let started = performance.now();
    let count = 0;
    for await (const _event of store.readAll()) count += 1;
    const readAll = count / ((performance.now() - started) / 1000);

    started = performance.now();
    count = 0;
    for await (const message of store.subscribeToAll()) {
      if (message.type === 'caughtUp') break;
      count += 1;
    }
    const catchUp = count / ((performance.now() - started) / 1000);
    return { readAll, catchUp };
  } finally {
    await store.close();
  }
}

/** About the size of a real referral event: a few ids, a status, and the full metadata with its hash. */
function benchEvent(n: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'ReferralRequested',
    data: { referralId: randomUUID(), caseId: randomUUID(), targetInstitutionId: `inst-${n % 40}`, categories: ['PPKS-03'], dueAt: '2025-01-31' },
    metadata: {
      eventId: randomUUID(),
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      actor: { userId: `user-${n % 100}`, role: 'caseworker', institutionId: `inst-${n % 40}` },
      commandId: randomUUID(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      requestHash: 'f'.repeat(64),
      hash: 'a'.repeat(64),
    },
  };
}

function report(label: string, figures: AppendFigures): void {
  console.log(`  ${label.padEnd(28)} ${format(figures.perSecond).padStart(8)} appends/s  (${figures.commits} commits)`);
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
