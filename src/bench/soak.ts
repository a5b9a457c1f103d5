/**
 * The soak (`npm run soak`; SOAK_SECONDS, default 600): the built service in its own process on a fresh
 * embedded data directory, under a mixed load for SOAK_SECONDS: writers take cases round the referral loop
 * (open, consent, refer, accept, note), every command under an Idempotency-Key that is sent again until it
 * is acknowledged (and once more after, which must replay the first answer), and readers read cases, lists
 * and inboxes. A fifth of the way in the service is killed with SIGKILL and started again on the same data;
 * half-way `rujukan projections rebuild` runs beside it. At the end it checks, and prints:
 *
 * - every acknowledged command is in the log exactly once (each case's stream holds the events its
 *   acknowledged commands made, in order, and nothing else);
 * - `rujukan verify`: every stream's hash chain verifies;
 * - `rujukan projections verify`: every view equals a fresh rebuild from the log;
 * - the service's RSS stays flat: sampled every 2 s in the process started after the kill (its first
 *   15 s left out as warm-up: caches and pools fill up first), the median of the last third of its
 *   anonymous part (`RssAnon`: heaps, native allocations, SQLite's page caches; where a leak shows) may
 *   exceed the first third's by at most 25 %. Runs under 300 s print the samples without a verdict: V8 is
 *   still growing its heap to a working size then, and RSS keeps what the heap once took. The service runs
 *   with the Docker image's heap ceiling (256 MiB), without which V8 lets the sawtooth's peaks grow for minutes.
 *   The file-backed part (`RssFile`) is printed but not judged: it holds the pages of the SQLite files
 *   mapped into memory (`mmap_size`, 64 MiB per database), which fill up as the files grow and which the
 *   kernel takes back when it needs them.
 *   The V8 heap in use is printed beside it, to tell a heap leak from native memory growing with the data.
 *
 * Exits 1 if any check fails. Nothing here is a benchmark: it measures correctness over time, not speed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../auth/token.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import { DEMO_MEMBERS, DEMO_NETWORK } from '../seed/demo-network.data.js';
import { CLI_MAIN, median, newSecrets, serviceEnvironment, sleep, startService, type BenchSecrets, type RunningService } from './support.js';

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 600);
/** SOAK_REBUILD=0 leaves the rebuild out. */
const REBUILD = process.env['SOAK_REBUILD'] !== '0';
const WRITERS = 4;
const READERS = 2;
/** How much the last third's median RSS may exceed the first third's. */
const RSS_MARGIN = 0.25;
/** Shorter runs (CI's 60 s) print the samples without a verdict. */
const RSS_JUDGED_FROM_SECONDS = 300;
const RSS_WARM_UP_MS = 15_000;
const RSS_EVERY_MS = 2_000;
/** The service's V8 heap ceiling, as the Docker image runs it (`--max-old-space-size`): a leak then shows as growth or a crash. */
const SERVICE_NODE_ARGS = [`--max-old-space-size=${process.env['SOAK_HEAP_MIB'] ?? 256}`];
/** How long one command is retried (same Idempotency-Key) while the service is down or busy, before the soak fails. */
const COMMAND_PATIENCE_MS = 120_000;

const OWNER = DEMO_MEMBERS.find((institution) => institution.kind === 'rw')!.id;
const PUSKESOS = DEMO_MEMBERS.find((institution) => institution.kind === 'puskesos')!.id;

/** What each acknowledged command appended (one event each, in this loop). */
const EVENT_OF = { open: 'CaseOpened', consent: 'ConsentRecorded', refer: 'ReferralRequested', accept: 'ReferralAccepted', note: 'CaseNoteAdded' } as const;
type Step = keyof typeof EVENT_OF;

interface Answer {
  readonly status: number;
  readonly body: Record<string, string>;
  readonly replayed: boolean;
}

class Soak {
  private service!: RunningService;
  private running = true;
  private readonly failures: string[] = [];
  /** Each case's acknowledged commands, in order. */
  private readonly acknowledged = new Map<string, Step[]>();
  private commands = 0;
  private retries = 0;
  private replays = 0;
  private reads = 0;
  private readonly readStatuses = new Map<number, number>();
  /** Anonymous RSS samples of the service process started last (after its warm-up), in MiB. */
  private rss: number[] = [];
  /** The whole RSS and its file-backed part at the same moments, printed beside it. */
  private total: number[] = [];
  private file: number[] = [];
  /** V8 heap in use at the same moments (from /metrics), in MiB: tells a heap leak from native memory (SQLite's cache and mmap) growing with the data. */
  private heap: number[] = [];
  private serviceStartedAt = 0;
  private highestPosition = 0n;
  private readonly startedAt = Date.now();

  constructor(private readonly dataDir: string, private readonly secrets: BenchSecrets, private readonly port: number, private readonly tokens: { owner: string; puskesos: string }) {}

  private get base(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  async run(): Promise<boolean> {
    console.log(`Soak: ${SECONDS} s, ${WRITERS} writers and ${READERS} readers, data in ${this.dataDir}`);
    this.service = await startService(this.dataDir, this.secrets, this.port, SERVICE_NODE_ARGS);
    this.serviceStartedAt = Date.now();
    const started = Date.now();
    const load = Promise.all([
      ...Array.from({ length: WRITERS }, (_, number) => this.writer(number)),
      ...Array.from({ length: READERS }, () => this.reader()),
    ]);
    const sampler = this.sampleRss();
    try {
      await this.at(started, 0.2, () => this.killAndRestart());
      if (REBUILD) await this.at(started, 0.5, () => this.rebuild());
      else console.log('(no rebuild in this run: SOAK_REBUILD=0)');
      await sleep(Math.max(0, started + SECONDS * 1000 - Date.now()));
    } finally {
      this.running = false;
      await load;
      await sampler;
    }
    console.log(`Load done: ${this.commands} commands acknowledged (${this.retries} sent again while unanswered, ${this.replays} replays checked), ${this.reads} reads ${JSON.stringify(Object.fromEntries(this.readStatuses))}`);
    await this.caughtUp();
    await this.service.stop();
    await this.checkLog();
    await this.checkCli(['verify'], 'every hash chain verifies (rujukan verify)');
    await this.checkCli(['projections', 'verify'], 'every view equals a fresh rebuild (rujukan projections verify)');
    this.checkRss();
    for (const failure of this.failures) console.log(`FAILED: ${failure}`);
    console.log(this.failures.length === 0 ? 'Soak passed' : `Soak failed: ${this.failures.length} check(s)`);
    return this.failures.length === 0;
  }

  private async at(started: number, fraction: number, step: () => Promise<void>): Promise<void> {
    await sleep(Math.max(0, started + SECONDS * 1000 * fraction - Date.now()));
    await step();
  }

  private async killAndRestart(): Promise<void> {
    console.log(`${this.elapsed()} SIGKILL of the service (pid ${this.service.process.pid})`);
    const exited = once(this.service.process, 'exit');
    this.service.process.kill('SIGKILL');
    await exited;
    this.service = await startService(this.dataDir, this.secrets, this.port, SERVICE_NODE_ARGS);
    this.serviceStartedAt = Date.now();
    this.rss = [];
    this.total = [];
    this.file = [];
    this.heap = [];
    console.log(`${this.elapsed()} restarted (pid ${this.service.process.pid})`);
  }

  private async rebuild(): Promise<void> {
    console.log(`${this.elapsed()} rujukan projections rebuild, beside the running service`);
    const code = await this.cli(['projections', 'rebuild']);
    if (code !== 0) this.failures.push(`rujukan projections rebuild exited with ${code}`);
    console.log(`${this.elapsed()} rebuild done (exit ${code})`);
  }

  private elapsed(): string {
    return `[${((Date.now() - this.startedAt) / 1000).toFixed(0).padStart(4)} s]`;
  }

  // --- load -------------------------------------------------------------------------------------------

  private async writer(number: number): Promise<void> {
    for (let round = 0; this.running; round++) {
      const key = (step: string) => `soak-${number}-${round}-${step}`;
      const opened = await this.command('open', null, '/cases', this.tokens.owner, key('open'), {
        networkId: DEMO_NETWORK.id, subject: { name: `Warga ${number}.${round}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'Soak',
      });
      if (!opened) return;
      const caseId = opened['id']!;
      if (!(await this.command('consent', caseId, `/cases/${caseId}/consents`, this.tokens.owner, key('consent'), { scope: 'referral', recipients: 'network', givenBy: 'subject' }))) return;
      const referred = await this.command('refer', caseId, `/cases/${caseId}/referrals`, this.tokens.owner, key('refer'), { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' });
      if (!referred) return;
      if (!(await this.command('accept', caseId, `/cases/${caseId}/referrals/${referred['referralId']}/accept`, this.tokens.puskesos, key('accept'), {}))) return;
      if (!(await this.command('note', caseId, `/cases/${caseId}/notes`, this.tokens.owner, key('note'), { text: 'Visited', visibility: 'participants' }))) return;
    }
  }

  /**
   * Sends a command until it is acknowledged, under one Idempotency-Key (a client that lost the answer to a
   * crash or a timeout does just this), then once more, which must replay the same answer. Null when it failed.
   */
  private async command(step: Step, caseId: string | null, path: string, token: string, key: string, body: unknown): Promise<Record<string, string> | null> {
    const deadline = Date.now() + COMMAND_PATIENCE_MS;
    let first: Answer | null = null;
    for (let attempt = 0; first === null; attempt++) {
      if (attempt > 0) this.retries++;
      const answer = await this.post(path, token, key, body);
      if (answer && answer.status < 300) first = answer;
      else if (answer && answer.status !== 503 && answer.status !== 429) {
        this.failures.push(`${step} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        this.running = false;
        return null;
      } else if (Date.now() > deadline) {
        this.failures.push(`${step} ${path} was not acknowledged within ${COMMAND_PATIENCE_MS / 1000} s`);
        this.running = false;
        return null;
      } else {
        await sleep(200);
      }
    }
    const again = await this.post(path, token, key, body);
    if (again && again.status < 300) {
      this.replays++;
      if (!again.replayed || JSON.stringify(again.body) !== JSON.stringify(first.body)) this.failures.push(`${step} ${path}: the same Idempotency-Key answered differently: ${JSON.stringify(first.body)} then ${JSON.stringify(again.body)}`);
    }
    const id = caseId ?? first.body['id']!;
    this.acknowledged.set(id, [...(this.acknowledged.get(id) ?? []), step]);
    this.commands++;
    const position = BigInt(first.body['position']!);
    if (position > this.highestPosition) this.highestPosition = position;
    return first.body;
  }

  private async post(path: string, token: string, key: string, body: unknown): Promise<Answer | null> {
    try {
      const response = await fetch(`${this.base}${path}`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body), signal: AbortSignal.timeout(15_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string>, replayed: response.headers.get('idempotent-replayed') === 'true' };
    } catch {
      // The service is down (killed, restarting) or the answer was lost: the caller sends it again.
      return null;
    }
  }

  private async reader(): Promise<void> {
    const paths = ['/cases?limit=20', `/institutions/${PUSKESOS}/inbox`, `/institutions/${OWNER}/outbox`];
    for (let round = 0; this.running; round++) {
      const cases = [...this.acknowledged.keys()];
      const path = round % 4 === 3 && cases.length > 0 ? `/cases/${cases[round % cases.length]}` : paths[round % paths.length]!;
      const token = path.includes(PUSKESOS) ? this.tokens.puskesos : this.tokens.owner;
      let status = 0;
      try {
        const response = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        // Down: counted as status 0.
      }
      this.reads++;
      this.readStatuses.set(status, (this.readStatuses.get(status) ?? 0) + 1);
      if (status >= 500 && status !== 503) this.failures.push(`GET ${path} answered ${status}`);
      await sleep(status === 0 ? 200 : 20);
    }
  }

  // --- checks -----------------------------------------------------------------------------------------

  private async caughtUp(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const response = await fetch(`${this.base}/health/ready`, { headers: { 'x-min-position': this.highestPosition.toString() }, signal: AbortSignal.timeout(15_000) });
        if (response.ok) return;
      } catch {
        // retried below
      }
      if (Date.now() > deadline) {
        this.failures.push(`the views did not reach position ${this.highestPosition} within 60 s of the end of the load`);
        return;
      }
      await sleep(500);
    }
  }

  private async checkLog(): Promise<void> {
    const events = new SqliteEventStore(join(this.dataDir, 'events.sqlite'));
    let wrong = 0;
    try {
      for (const [caseId, steps] of this.acknowledged) {
        const stored: string[] = [];
        for await (const event of events.readStream(`case-${caseId}`)) stored.push(event.type);
        const expected = steps.map((step) => EVENT_OF[step]);
        if (JSON.stringify(stored) !== JSON.stringify(expected)) {
          wrong++;
          if (wrong <= 5) this.failures.push(`case ${caseId}: acknowledged ${expected.join(', ')}; the log holds ${stored.join(', ') || 'nothing'}`);
        }
      }
    } finally {
      await events.close();
    }
    this.report(wrong === 0, `every acknowledged command is in the log exactly once (${this.commands} commands, ${this.acknowledged.size} cases)`, `${wrong} case(s) differ`);
  }

  private async checkCli(args: readonly string[], what: string): Promise<void> {
    const code = await this.cli(args);
    this.report(code === 0, what, `exit code ${code}`);
  }

  private checkRss(): void {
    const samples = this.rss;
    const third = Math.floor(samples.length / 3);
    if (third < 2) {
      this.report(false, 'RSS flat', `too few samples (${samples.length}) for a comparison: run longer (SOAK_SECONDS)`);
      return;
    }
    const first = median(samples.slice(0, third));
    const last = median(samples.slice(-third));
    console.log(`RSS samples (MiB, every ${RSS_EVERY_MS / 1000} s after the restart): ${this.total.map((mib) => mib.toFixed(0)).join(' ')}`);
    console.log(`of which anonymous (RssAnon, judged): ${samples.map((mib) => mib.toFixed(0)).join(' ')}`);
    console.log(`of which file-backed (RssFile, mapped SQLite pages): ${this.file.map((mib) => mib.toFixed(0)).join(' ')}`);
    console.log(`V8 heap in use at the same moments (MiB): ${this.heap.map((mib) => mib.toFixed(0)).join(' ')}`);
    const verdict = `median anonymous RSS of the last third ${last.toFixed(1)} MiB, of the first third ${first.toFixed(1)} MiB (margin ${RSS_MARGIN * 100} %)`;
    if (SECONDS < RSS_JUDGED_FROM_SECONDS) {
      console.log(`(RSS not judged in a run under ${RSS_JUDGED_FROM_SECONDS} s, where V8 is still growing its heap to a working size, which RSS keeps: ${verdict})`);
      return;
    }
    this.report(last <= first * (1 + RSS_MARGIN), `RSS flat: median anonymous RSS of the last third ${last.toFixed(1)} MiB, of the first third ${first.toFixed(1)} MiB (margin ${RSS_MARGIN * 100} %)`, 'grew beyond the margin');
  }

  private report(ok: boolean, what: string, why: string): void {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : `: ${why}`}`);
    if (!ok) this.failures.push(`${what}: ${why}`);
  }

  private async sampleRss(): Promise<void> {
    while (this.running) {
      await sleep(RSS_EVERY_MS);
      const { process: child } = this.service;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() - this.serviceStartedAt < RSS_WARM_UP_MS) continue;
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
      if (Number.isNaN(kib('VmRSS'))) continue;
      this.total.push(kib('VmRSS'));
      this.rss.push(kib('RssAnon'));
      this.file.push(kib('RssFile'));
      const metrics = await fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((response) => response.text(), () => '');
      const heap = /^rujukan_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(metrics);
      this.heap.push(heap ? Number(heap[1]) / 2 ** 20 : Number.NaN);
    }
  }

  private async cli(args: readonly string[]): Promise<number | null> {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: serviceEnvironment(this.dataDir, this.secrets, 0), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) console.log(output.trim().split('\n').slice(-20).join('\n'));
    return code;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function main(): Promise<void> {
  if (!Number.isFinite(SECONDS) || SECONDS < 10) throw new Error(`SOAK_SECONDS must be a number of seconds, at least 10 (got ${process.env['SOAK_SECONDS']})`);
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-soak-'));
  const secrets = newSecrets();
  const tokens = {
    owner: await mintToken({ sub: 'soak-owner', role: 'caseworker', institutionId: OWNER, expiresIn: '24h' }, secrets.jwtSecret),
    puskesos: await mintToken({ sub: 'soak-puskesos', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '24h' }, secrets.jwtSecret),
  };
  let passed = false;
  try {
    passed = await new Soak(dataDir, secrets, await freePort(), tokens).run();
  } finally {
    if (passed) await rm(dataDir, { recursive: true, force: true });
    else console.log(`Data kept for inspection in ${dataDir}`);
  }
  process.exitCode = passed ? 0 : 1;
}

await main();
