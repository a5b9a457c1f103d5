/**
 * Projection throughput and memory (`npm run bench:rebuild [-- --events N]`, default 1,000,000): a log of N
 * events is generated on the embedded store (the demo directory, then copies of one full case history
 * recorded through the real HTTP path, each with its own ids), then every projection is rebuilt from it,
 * one after another, then all in one pass as `projections rebuild` does, each in a fresh process so that the
 * figures are its own. Prints events read per second for each projection and for all, CPU seconds per 1M
 * events (which a busy machine distorts less), and each process's peak RSS.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../auth/token.js';
import { loadConfig } from '../config/config.js';
import { systemClock } from '../core/clock.js';
import { UpcastingEventStore } from '../core/upcasting.js';
import { SERVICE_UPCASTERS } from '../event-catalog.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.port.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import type { Projection } from '../projections/projection.js';
import { PROJECTIONS } from '../projections/projections.service.js';
import { rebuildProjection, rebuildProjections } from '../projections/rebuild.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { DEMO_MEMBERS, DEMO_NETWORK } from '../seed/demo-network.data.js';
import { seedDemoNetwork } from '../seed/seed.js';

const SECRET = 'bench-secret-bench-secret-bench-secret-0';
/** Cases appended at once: the store's group commit writes them in one transaction. */
const CONCURRENT_APPENDS = 200;

const format = (value: number) => Math.round(value).toLocaleString('en-US');

/** The demo directory and one case taken round the whole loop, as the real command path stores them. */
async function recordTemplate(dataDir: string): Promise<{ directory: RecordedEvent[]; caseEvents: RecordedEvent[] }> {
  const config = loadConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent', EXPIRY_INTERVAL_SECONDS: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0' });
  const eventStore = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  // Imported here, as the CLI does: the measuring process loads what `projections rebuild` loads, not the HTTP app.
  const { createApp } = await import('../app.js');
  const app = await createApp({ config, eventStore, readStore: new SqliteReadStore(join(dataDir, 'views.sqlite')), clock: systemClock }, { logger: false });
  try {
    const { CommandBus } = await import('@nestjs/cqrs');
    await seedDemoNetwork(app.get(CommandBus), systemClock);
    const [owner, target] = [DEMO_MEMBERS[0]!.id, DEMO_MEMBERS.find((member) => member.kind === 'puskesos')!.id];
    const token = (institutionId: string) => mintToken({ sub: `bench-${institutionId}`, role: 'caseworker', institutionId, expiresIn: '1h' }, SECRET);
    const [ownerToken, targetToken] = await Promise.all([token(owner), token(target)]);
    const post = async (url: string, bearer: string, body: unknown) => {
      const response = await app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (response.statusCode >= 300) throw new Error(`Template ${url}: ${response.statusCode} ${response.body}`);
      return JSON.parse(response.body) as Record<string, string>;
    };
    const { id } = await post('/cases', ownerToken, {
      networkId: DEMO_NETWORK.id, subject: { name: 'Bench Subject', regionCode: DEMO_NETWORK.regionCode }, categories: ['PPKS-08'], urgency: 'normal', description: 'Bench case',
    });
    await post(`/cases/${id}/consents`, ownerToken, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
    await post(`/cases/${id}/needs`, ownerToken, { categories: ['PPKS-08', 'PPKS-24'], urgency: 'high' });
    await post(`/cases/${id}/notes`, ownerToken, { text: 'First visit', visibility: 'participants' });
    const { referralId } = await post(`/cases/${id}/referrals`, ownerToken, { toInstitutionId: target, reason: 'Needs care' });
    for (const step of ['accept', 'start']) await post(`/cases/${id}/referrals/${referralId}/${step}`, targetToken, {});
    await post(`/cases/${id}/referrals/${referralId}/complete`, targetToken, { outcome: 'resolved', summary: 'Done' });
    await post(`/cases/${id}/referrals/${referralId}/acknowledge`, ownerToken, {});
    await post(`/cases/${id}/close`, ownerToken, { outcome: 'resolved', summary: 'Closed' });
    const directory: RecordedEvent[] = [];
    const caseEvents: RecordedEvent[] = [];
    for await (const event of eventStore.readAll()) (event.streamId === `case-${id}` ? caseEvents : event.streamId.startsWith('case-') ? [] : directory).push(event);
    return { directory, caseEvents };
  } finally {
    await app.close();
  }
}

/** The ids a case history holds (its own, its referral's, consent's and note's): each copy gets fresh ones. */
function idsOf(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>([events[0]!.streamId.slice('case-'.length)]);
  for (const event of events) {
    for (const key of ['referralId', 'consentId', 'noteId']) {
      const value = (event.data as Record<string, unknown>)[key];
      if (typeof value === 'string') ids.add(value);
    }
  }
  return [...ids];
}

async function generate(dataDir: string, total: number): Promise<number> {
  const { directory, caseEvents } = await recordTemplate(join(dataDir, 'template'));
  const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  try {
    const byStream = new Map<string, RecordedEvent[]>();
    for (const event of directory) byStream.set(event.streamId, [...(byStream.get(event.streamId) ?? []), event]);
    for (const [streamId, events] of byStream) {
      await store.append(streamId, events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })), { expectedRevision: 'no_stream' });
    }
    const templateIds = idsOf(caseEvents);
    const text = JSON.stringify(caseEvents.map(({ type, data, metadata }) => ({ type, data, metadata })));
    const copies = Math.max(1, Math.ceil((total - directory.length) / caseEvents.length));
    for (let first = 0; first < copies; first += CONCURRENT_APPENDS) {
      await Promise.all(Array.from({ length: Math.min(CONCURRENT_APPENDS, copies - first) }, () => {
        let copy = text;
        for (const id of templateIds) copy = copy.replaceAll(id, randomUUID());
        const caseId = JSON.parse(copy)[0].data.caseId as string;
        const events = (JSON.parse(copy) as { type: string; data: unknown; metadata: Record<string, unknown> }[])
          .map((event) => { const id = randomUUID(); return { id, type: event.type, data: event.data, metadata: { ...event.metadata, eventId: id } }; });
        return store.append(`case-${caseId}`, events, { expectedRevision: 'no_stream' });
      }));
    }
    return Number(await store.headPosition());
  } finally {
    await store.close();
  }
}

const cpuSeconds = (since?: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
};

/** What the measure of the builds one after another leaves for the one-pass measure to compare with. */
interface Sequential {
  readonly seconds: number;
  readonly cpu: number;
}

/** The one-pass rebuild's figures, as its process leaves them in `one-pass.json`. */
export interface RebuildFigures {
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly cpuSecondsPerMillion: number;
  readonly peakRssMiB: number;
}

/**
 * In its own process: rebuilds every projection from the log in `dataDir`, printing its figures, either one
 * after another (after the runner alone) or all in one pass, as `projections rebuild` does. Each in a process of
 * its own, so that each has its own peak RSS.
 */
async function measure(dataDir: string, onePass: boolean): Promise<void> {
  const stored = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  const events: EventStore = new UpcastingEventStore(stored, SERVICE_UPCASTERS);
  const views = new SqliteReadStore(join(dataDir, 'views.sqlite'));
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const peakMiB = () => Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  const peak = () => format(peakMiB());
  const figures = join(dataDir, 'sequential.json');
  try {
    const logEvents = Number(await stored.headPosition());
    const perMillion = (cpu: number) => (cpu * 1_000_000) / logEvents;
    if (onePass) {
      // Measured before in the same folder, or not at all (the full `npm run bench` measures the one pass alone).
      const sequential = await readFile(figures, 'utf8').then((text) => JSON.parse(text) as Sequential, () => null);
      const started = performance.now();
      const startedCpu = process.cpuUsage();
      const outcomes = await rebuildProjections(PROJECTIONS, events, views);
      const failed = outcomes.find((outcome) => 'error' in outcome);
      if (failed && 'error' in failed) throw failed.error;
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(startedCpu);
      const compared = (figure: keyof Sequential, now: number, what: string) => (sequential ? ` (${(sequential[figure] / now).toFixed(2)}x ${what})` : '');
      console.log(`  all ${PROJECTIONS.length}, one pass:          ${format(logEvents / seconds)} log events/s over ${seconds.toFixed(1)} s${compared('seconds', seconds, 'one after another')}, ${perMillion(cpu).toFixed(1)} CPU s per 1M events${compared('cpu', cpu, 'less')}; peak RSS ${peak()} MiB`);
      const result: RebuildFigures = { events: logEvents, eventsPerSecond: logEvents / seconds, cpuSecondsPerMillion: perMillion(cpu), peakRssMiB: peakMiB() };
      await writeFile(join(dataDir, 'one-pass.json'), JSON.stringify(result));
      return;
    }
    // The runner alone: a projection that takes every event and writes nothing but its checkpoint.
    const idle: Projection = { name: 'runner-alone', collections: {}, project: async () => [] };
    const alone = performance.now();
    await rebuildProjection(idle, events, views);
    console.log(`  runner alone   ${format(logEvents / ((performance.now() - alone) / 1000)).padStart(9)} events/s (no view writes)`);
    const started = performance.now();
    const startedCpu = process.cpuUsage();
    for (const projection of PROJECTIONS) {
      const from = performance.now();
      const result = await rebuildProjection(projection, events, views);
      const seconds = (performance.now() - from) / 1000;
      console.log(`  ${projection.name.padEnd(14)} ${format(logEvents / seconds).padStart(9)} events/s (${format(result.eventsApplied)} of them applied, ${seconds.toFixed(1)} s)`);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(startedCpu);
    await writeFile(figures, JSON.stringify({ seconds, cpu } satisfies Sequential));
    console.log(`  all ${PROJECTIONS.length}, one after another: ${format(logEvents / seconds)} log events/s (${format((logEvents * PROJECTIONS.length) / seconds)} deliveries/s summed over the projections) over ${seconds.toFixed(1)} s, ${perMillion(cpu).toFixed(1)} CPU s per 1M events; peak RSS ${peak()} MiB`);
  } finally {
    clearInterval(sampler);
    await Promise.all([events.close(), views.close()]);
  }
}

/** `measure` in a process of its own, so that its peak RSS is its own. */
async function measureApart(dataDir: string, onePass: boolean): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--measure', dataDir, ...(onePass ? ['--one-pass'] : [])], { stdio: 'inherit' });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`The measuring process exited with ${code}`);
}

/**
 * `keep`: leave the generated folder (its path is printed) to measure it again, e.g. under a profiler, with
 * `--measure <folder>` (then `--measure <folder> --one-pass`).
 */
export async function benchRebuild(total: number, keep = false): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-rebuild-'));
  try {
    const generating = performance.now();
    const logEvents = await generate(dataDir, total);
    console.log(`Projection rebuild from a log of ${format(logEvents)} events (generated in ${((performance.now() - generating) / 1000).toFixed(0)} s), embedded stores, fresh processes:`);
    // What `projections rebuild` does for all of them (one read of the log feeds every scratch build) after the
    // same builds one after another, each in a fresh process.
    await measureApart(dataDir, false);
    await measureApart(dataDir, true);
  } finally {
    if (keep) console.log(`  kept: ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

/** Every view rebuilt in one pass, as `projections rebuild` does, from a generated log of `total` events, in a fresh process. */
export async function benchOnePassRebuild(total: number): Promise<RebuildFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-rebuild-'));
  try {
    const generating = performance.now();
    const logEvents = await generate(dataDir, total);
    console.log(`Rebuild of every view in one pass from a log of ${format(logEvents)} events (generated in ${((performance.now() - generating) / 1000).toFixed(0)} s: copies of one full case history), embedded stores, a fresh process:`);
    await measureApart(dataDir, true);
    return JSON.parse(await readFile(join(dataDir, 'one-pass.json'), 'utf8')) as RebuildFigures;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const option = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const measuring = option('--measure');
  if (measuring !== undefined) await measure(measuring, process.argv.includes('--one-pass'));
  else await benchRebuild(Number(option('--events') ?? 1_000_000), process.argv.includes('--keep'));
}
