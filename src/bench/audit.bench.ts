/**
 * Auditor figures on temporary SQLite logs of sealed case events: the state of a 1,000-event case as of a
 * revision near its end and as of a time in its middle (folded by the audit route's own `caseStateAt`,
 * reading through the upcasting store as the route does), and whole-store integrity verification against
 * reading the same log alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseStateAt, type HistoryPoint } from '../audit/case-history.js';
import { verifyIntegrity } from '../audit/integrity.js';
import type { CaseEvent } from '../cases/case.events.js';
import { CURRENT_SCHEMA_VERSION } from '../core/upcasting.js';
import { GENESIS_HASH, sealEvents } from '../core/event-envelope.js';
import { UpcastingEventStore } from '../core/upcasting.js';
import { SERVICE_UPCASTERS } from '../event-catalog.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';

const CASE_EVENTS = 1_000;
const FOLDS = 100;
const VERIFY_STREAMS = 500;
const VERIFY_EVENTS_PER_STREAM = 100;
const START = Date.parse('2026-01-05T08:00:00.000Z');
const MINUTE = 60_000;

export async function benchAudit(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rujukan-bench-audit-'));
  try {
    await benchCaseState(join(dir, 'case.db'));
    await benchVerification(join(dir, 'verify.db'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchCaseState(file: string): Promise<void> {
  const stored = new SqliteEventStore(file);
  const store = new UpcastingEventStore(stored, SERVICE_UPCASTERS);
  try {
    await appendCase(stored, 'bench', CASE_EVENTS);
    const revision = BigInt(CASE_EVENTS - 10);
    const middle = new Date(START + (CASE_EVENTS / 2) * MINUTE).toISOString();
    console.log(`Audit state of a ${format(CASE_EVENTS)}-event case (caseStateAt over the upcasting store), ${FOLDS} folds each`);
    const nearEnd = await measureFolds(store, { revision });
    const inMiddle = await measureFolds(store, { asOf: middle });
    for (const [label, ms] of [[`as of revision ${revision}`, nearEnd], [`as of ${middle} (middle)`, inMiddle]] as const) {
      console.log(`  ${label.padEnd(42)} ${ms.toFixed(2).padStart(6)} ms a fold (${format(1000 / ms)} folds/s)`);
    }
    console.log(`  middle vs near the end: ${(inMiddle / nearEnd).toFixed(2)}x the time`);
  } finally {
    await store.close();
  }
}

async function measureFolds(store: UpcastingEventStore, point: HistoryPoint): Promise<number> {
  await caseStateAt(store, 'bench', point);
  const started = performance.now();
  for (let fold = 0; fold < FOLDS; fold++) await caseStateAt(store, 'bench', point);
  return (performance.now() - started) / FOLDS;
}

async function benchVerification(file: string): Promise<void> {
  const store = new SqliteEventStore(file);
  try {
    for (let stream = 0; stream < VERIFY_STREAMS; stream++) await appendCase(store, `verify-${stream}`, VERIFY_EVENTS_PER_STREAM);
    const total = VERIFY_STREAMS * VERIFY_EVENTS_PER_STREAM;
    let started = performance.now();
    const report = await verifyIntegrity(store);
    const verifying = report.checked / ((performance.now() - started) / 1000);
    if (!report.ok) throw new Error(`The bench log does not verify: ${JSON.stringify(report.firstBroken)}`);
    started = performance.now();
    let read = 0;
    for await (const _event of store.readAll()) read++;
    const reading = read / ((performance.now() - started) / 1000);
    console.log(`Integrity verification of the whole store: ${total.toLocaleString('en-US')} events in ${VERIFY_STREAMS} streams`);
    console.log(`  verifyIntegrity ${format(verifying).padStart(9)} events/s`);
    console.log(`  readAll alone   ${format(reading).padStart(9)} events/s`);
    console.log(`  verifying vs reading alone: ${(verifying / reading).toFixed(2)}x`);
  } finally {
    await store.close();
  }
}

/** A case opened, then referral after referral through to acknowledgement, a minute apart, sealed in one chain. */
async function appendCase(store: SqliteEventStore, caseId: string, count: number): Promise<void> {
  const events: CaseEvent[] = [
    {
      type: 'CaseOpened',
      data: {
        caseId, networkId: 'wksbm-bench', ownerInstitutionId: 'rw-bench', subjectId: `subject-${caseId}`, regionCode: '33.71.01.1008',
        categories: ['PPKS-24'], urgency: 'normal', openedAt: at(0), personal: { subject: { name: 'Warga Bench' }, description: 'benchmark case' },
      },
    },
    {
      type: 'ConsentRecorded',
      data: { consentId: `consent-${caseId}`, scope: 'referral', recipients: 'network', givenBy: 'subject', recordedAt: at(1), expiresAt: null },
    },
  ];
  for (let n = events.length; n < count; n++) events.push(referralStep(caseId, n));
  const sealed = sealEvents(GENESIS_HASH, events.map((event, n) => ({
    ...event,
    metadata: {
      eventId: `${caseId}-${n}`, schemaVersion: CURRENT_SCHEMA_VERSION, occurredAt: at(n), actor: { userId: 'bench', role: 'caseworker', institutionId: 'rw-bench' },
      commandId: `${caseId}-command-${n}`, correlationId: `${caseId}-command-${n}`, causationId: `${caseId}-command-${n}`, requestHash: 'f'.repeat(64),
    },
  })));
  await store.append(`case-${caseId}`, sealed.map((event) => ({ id: event.metadata.eventId, ...event })), { expectedRevision: 'no_stream' });
}

/** Every fifth event asks for a new referral; the next four take it to an acknowledged completion. */
function referralStep(caseId: string, n: number): CaseEvent {
  const on = { referralId: `referral-${Math.floor(n / 5)}`, at: at(n) };
  switch (n % 5) {
    case 0:
      return {
        type: 'ReferralRequested',
        data: {
          ...on, fromInstitutionId: 'rw-bench', toInstitutionId: 'puskesos-bench', urgency: 'normal', requestedAt: at(n), dueAt: at(n + 7 * 24 * 60),
          targetInNetwork: true, consentId: `consent-${caseId}`, emergencyOverride: false, personal: { reason: 'needs a home visit' },
        },
      };
    case 1:
      return { type: 'ReferralAccepted', data: on };
    case 2:
      return { type: 'ReferralStarted', data: on };
    case 3:
      return { type: 'ReferralCompleted', data: { ...on, outcome: 'resolved', personal: { summary: 'enrolled in PKH' } } };
    default:
      return { type: 'ReferralOutcomeAcknowledged', data: on };
  }
}

const at = (minutes: number): string => new Date(START + minutes * MINUTE).toISOString();

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
