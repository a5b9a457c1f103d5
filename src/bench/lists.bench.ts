/**
 * List reads as the data grows, and the rebuild that builds their views. One data directory grows through
 * each size in turn: the demo network seeded by the CLI, then cases appended straight into the embedded log
 * (sealed, hash-chained, as the command path writes them: opened, consent, a referral to the next member,
 * every other one accepted, every twentieth escalated to dinsos), all owned by the demo network's five
 * members, so each list a caseworker sees grows with the data. At each size `rujukan projections rebuild`
 * builds every view (timed, its peak RSS read from /proc) and the directory is copied; then one service
 * per size serves the first pages of `GET /cases` (caseworker, coordinator, dinsos), an inbox and an
 * outbox, one request at a time, the sizes taking turns.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken, type TokenRequest } from '../auth/token.js';
import { caseStreamId, type CaseEvent } from '../cases/case.events.js';
import { GENESIS_HASH, sealEvents } from '../core/event-envelope.js';
import { derivedId } from '../core/ids.js';
import { CURRENT_SCHEMA_VERSION } from '../core/upcasting.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { DEMO_MEMBERS, DEMO_NETWORK, CITY_PROVIDERS } from '../seed/demo-network.data.js';
import { format, median, newSecrets, runCli, startService, type BenchSecrets, type CliRun, type RunningService } from './support.js';

const PORT = 39_519;
const START = Date.parse('2025-01-06T08:00:00.000Z');
const MINUTE = 60_000;
const DINSOS = CITY_PROVIDERS.find((institution) => institution.kind === 'dinsos')!.id;

export interface ListFigures {
  readonly cases: number;
  readonly events: number;
  readonly rebuild: { readonly seconds: number; readonly eventsPerSecond: number; readonly peakRssMiB: number };
  /** Median milliseconds of a first page of 20, per list. */
  readonly medians: Readonly<Record<string, number>>;
}

interface ListRequest {
  readonly name: string;
  readonly path: string;
  readonly token: string;
}

export async function benchLists(options: { sizes: readonly number[]; requests: number }): Promise<ListFigures[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-lists-'));
  const secrets = newSecrets();
  const built: { cases: number; events: number; dir: string; rebuild: CliRun }[] = [];
  const services: RunningService[] = [];
  try {
    await runCli(['seed'], dataDir, secrets);
    console.log(`List reads, first page of 20, ${options.requests} requests one at a time (median ms), as cases grow; rebuild of every view at each size`);
    let cases = 0;
    let events = 0;
    for (const size of options.sizes) {
      events += await appendCases(join(dataDir, 'events.sqlite'), cases, size);
      cases = size;
      const rebuild = await runCli(['projections', 'rebuild'], dataDir, secrets);
      const dir = `${dataDir}-${size}`;
      await cp(dataDir, dir, { recursive: true });
      built.push({ cases, events, dir, rebuild });
    }
    // One service per size, all at once, and their requests taken in turns: a busy machine slows every size alike.
    for (const [at, { dir }] of built.entries()) services.push(await startService(dir, secrets, PORT + at));
    const lists = await listRequests(secrets);
    const times = built.map(() => new Map<string, number[]>(lists.map((list) => [list.name, []])));
    for (const list of lists) {
      for (let n = -5; n < options.requests; n++) {
        for (const [at, service] of services.entries()) {
          const ms = await timed(service.base, list);
          if (n >= 0) times[at]!.get(list.name)!.push(ms);
        }
      }
    }
    return built.map(({ cases: size, events: count, rebuild }, at) => {
      const medians = Object.fromEntries(lists.map((list) => [list.name, median(times[at]!.get(list.name)!)]));
      const eventsPerSecond = count / rebuild.seconds;
      console.log(`  ${format(size).padStart(6)} cases: ${lists.map((list) => `${list.name} ${medians[list.name]!.toFixed(1)}`).join(', ')}`
        + `; rebuild of ${format(count)} events ${rebuild.seconds.toFixed(1)} s (${format(eventsPerSecond)} events/s), peak RSS ${format(rebuild.peakRssMiB)} MiB`);
      return { cases: size, events: count, rebuild: { seconds: rebuild.seconds, eventsPerSecond, peakRssMiB: rebuild.peakRssMiB }, medians };
    });
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    await Promise.all([dataDir, ...built.map(({ dir }) => dir)].map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function listRequests(secrets: BenchSecrets): Promise<ListRequest[]> {
  const token = (sub: string, claims: Omit<TokenRequest, 'sub' | 'expiresIn'>) => mintToken({ sub, ...claims, expiresIn: '2h' }, secrets.jwtSecret);
  const owner = DEMO_MEMBERS[0]!.id;
  const target = DEMO_MEMBERS[1]!.id;
  const caseworker = await token('bench-caseworker', { role: 'caseworker', institutionId: owner });
  return [
    { name: 'cases (caseworker)', path: '/api/v1/cases?limit=20', token: caseworker },
    { name: 'cases (coordinator)', path: '/api/v1/cases?limit=20', token: await token('bench-coordinator', { role: 'coordinator', networkId: DEMO_NETWORK.id }) },
    { name: 'cases (dinsos)', path: '/api/v1/cases?limit=20', token: await token('bench-dinsos', { role: 'dinsos', institutionId: DINSOS }) },
    { name: 'inbox', path: `/api/v1/institutions/${target}/inbox?limit=20`, token: await token('bench-target', { role: 'caseworker', institutionId: target }) },
    { name: 'outbox', path: `/api/v1/institutions/${owner}/outbox?limit=20`, token: caseworker },
  ];
}

async function timed(base: string, list: ListRequest): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}${list.path}`, { headers: { authorization: `Bearer ${list.token}` } });
  const body = (await response.json()) as { items?: unknown[] };
  if (!response.ok || !body.items || body.items.length !== 20) throw new Error(`${list.name} answered ${response.status} with ${body.items?.length ?? 'no'} items`);
  return performance.now() - started;
}

/** Appends cases `from`…`to - 1`, each stream in one append, many appends at once (group commit). */
async function appendCases(file: string, from: number, to: number): Promise<number> {
  const store = new SqliteEventStore(file);
  let events = 0;
  try {
    const WAVE = 500;
    for (let start = from; start < to; start += WAVE) {
      await Promise.all(Array.from({ length: Math.min(WAVE, to - start) }, async (_, offset) => {
        const stream = caseEvents(start + offset);
        events += stream.length;
        const sealed = sealEvents(GENESIS_HASH, stream.map((event, n) => ({ ...event, metadata: metadata(`bench-case-${start + offset}-${n}`, event) })));
        await store.append(caseStreamId(caseId(start + offset)), sealed.map((event) => ({ id: event.metadata.eventId, ...event })), { expectedRevision: 'no_stream' });
      }));
    }
  } finally {
    await store.close();
  }
  return events;
}

const caseId = (n: number) => derivedId('bench-case', String(n));
const at = (minutes: number) => new Date(START + minutes * MINUTE).toISOString();

function metadata(commandId: string, event: CaseEvent) {
  const time = 'openedAt' in event.data ? event.data.openedAt : 'at' in event.data ? event.data.at : 'recordedAt' in event.data ? event.data.recordedAt : at(0);
  return {
    eventId: derivedId('event', commandId), schemaVersion: CURRENT_SCHEMA_VERSION, occurredAt: time,
    actor: { userId: 'bench', role: 'caseworker' as const, institutionId: DEMO_MEMBERS[0]!.id },
    commandId, correlationId: commandId, causationId: commandId, requestHash: 'f'.repeat(64),
  };
}

function caseEvents(n: number): CaseEvent[] {
  const id = caseId(n);
  const owner = DEMO_MEMBERS[n % DEMO_MEMBERS.length]!.id;
  const target = DEMO_MEMBERS[(n + 1) % DEMO_MEMBERS.length]!.id;
  const opened = n * 10;
  const referralId = derivedId('bench-referral', String(n));
  const events: CaseEvent[] = [
    {
      type: 'CaseOpened',
      data: {
        caseId: id, networkId: DEMO_NETWORK.id, ownerInstitutionId: owner, subjectId: derivedId('bench-subject', String(n)), regionCode: DEMO_NETWORK.regionCode,
        categories: [n % 3 === 0 ? 'PPKS-08' : 'PPKS-24'], urgency: 'normal', openedAt: at(opened),
        personal: { subject: { name: `Warga ${n}` }, description: 'benchmark case' },
      },
    },
    { type: 'ConsentRecorded', data: { consentId: derivedId('bench-consent', String(n)), scope: 'referral', recipients: 'network', givenBy: 'subject', recordedAt: at(opened + 1), expiresAt: null } },
    {
      type: 'ReferralRequested',
      data: {
        referralId, fromInstitutionId: owner, toInstitutionId: target, urgency: 'normal', requestedAt: at(opened + 2), dueAt: at(opened + 2 + 7 * 24 * 60),
        targetInNetwork: true, consentId: derivedId('bench-consent', String(n)), emergencyOverride: false, personal: { reason: 'needs a home visit' },
      },
    },
  ];
  if (n % 2 === 0) events.push({ type: 'ReferralAccepted', data: { referralId, at: at(opened + 3) } });
  if (n % 20 === 0) events.push({ type: 'CaseEscalated', data: { toInstitutionId: DINSOS, at: at(opened + 4), personal: { reason: 'needs the city' } } });
  return events;
}
