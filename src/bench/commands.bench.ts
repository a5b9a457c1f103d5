/**
 * Commands over real HTTP (autocannon against the built service on loopback, embedded stores), each figure
 * beside its limit measured in the same run. The service runs in the layout the README recommends for
 * production: the API process with RUN_PROJECTIONS=false and `rujukan projections run` in a process of its own
 * (both on this machine's cores, so the projections' CPU still counts against the commands):
 * - notes spread over 50 cases, 50 connections, over a bare `node:http` JSON echo under the same load;
 * - one long stream: throughput after 10 s of notes on a single case over its first second;
 * - projection lag at a steady 500 commands/s: from a command's answer until a read that asks for its
 *   position (`X-Min-Position`) is answered, i.e. what a client waiting to read its own write sees; measured
 *   once the views have caught up and after 2 s of it that are shown apart (the reads' first use since start).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { caseworkerHeaders, format, newSecrets, openCase, percentile, startProjections, startService, type RunningService } from './support.js';

const CASES = 50;
const CONNECTIONS = 50;
const PORT = 39_517;
const ECHO_PORT = 39_518;
const LAG_RATE = 500;
/** Turns of echo and service load in the throughput comparison. */
const ROUNDS = 3;
const NOTE = JSON.stringify({ text: 'Home visit done', visibility: 'participants' });

export interface LoadFigures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

export interface CommandFigures {
  /** The processes the figures are for. */
  readonly layout: string;
  readonly echo: LoadFigures;
  readonly spread: LoadFigures;
  readonly oneCase: LoadFigures;
  /** Commands per second on one stream in its first second, and from 10 s on. */
  readonly longStream: { readonly firstSecond: number; readonly afterTenSeconds: number; readonly events: number };
  readonly lag: { readonly rate: number; readonly achieved: number; readonly p50: number; readonly p99: number; readonly samples: number; readonly failedReads: number };
}

export async function benchCommands(options: { seconds: number; cpuProfileDir?: string }): Promise<CommandFigures> {
  const echoServer = await startEcho();
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-http-'));
  const secrets = newSecrets();
  const layout = 'API process (RUN_PROJECTIONS=false) + `rujukan projections run` process';
  const service = await startService(dataDir, secrets, PORT, options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [], { RUN_PROJECTIONS: 'false' });
  const projections = await startProjections(dataDir, secrets).catch(async (error: unknown) => {
    await service.stop();
    throw error;
  });
  try {
    const headers = await caseworkerHeaders(secrets);
    const caseIds: string[] = [];
    for (let index = 0; index < CASES + 1; index++) caseIds.push(await openCase(service.base, headers, index));
    const [longCase] = caseIds.splice(CASES, 1) as [string];

    console.log(`HTTP commands: POST /cases/:id/notes, ${CONNECTIONS} connections, ${options.seconds} s each in ${ROUNDS} turns with the echo; ${layout}, embedded stores`);
    let counter = 0;
    // Turn by turn, so a machine busy with other work slows the service and its limit alike.
    const echoTurns: LoadFigures[] = [];
    const spreadTurns: LoadFigures[] = [];
    for (let turn = 0; turn < ROUNDS; turn++) {
      echoTurns.push(await load(echoServer.base, { ...headers, authorization: 'Bearer x'.repeat(30) }, options.seconds / ROUNDS, () => 'echo'));
      spreadTurns.push(await load(service.base, headers, options.seconds / ROUNDS, () => caseIds[counter++ % CASES]!));
    }
    const echo = combined(echoTurns);
    const spread = combined(spreadTurns);
    report('bare node:http JSON echo', echo);
    report(`spread over ${CASES} cases`, spread);
    console.log(`  spread vs echo: ${(spread.perSecond / echo.perSecond).toFixed(3)}`);
    const oneCase = await load(service.base, headers, options.seconds, () => caseIds[0]!);
    report('all on one case', oneCase);

    const longStream = await measureLongStream(service.base, headers, longCase);
    console.log(`One long stream, 12 s of notes on one case (${format(longStream.events)} events by the end): first second ${format(longStream.firstSecond)}/s, from 10 s ${format(longStream.afterTenSeconds)}/s: ${(longStream.afterTenSeconds / longStream.firstSecond).toFixed(2)}`);

    // The saturating loads above leave the projections process behind (it shares the cores with them): the lag
    // at a steady 500/s is measured once it has caught up, not its recovery from them.
    const behindMs = await caughtUp(service, headers, caseIds[0]!);
    console.log(`Views caught up with the loads above ${format(behindMs)} ms after they ended`);
    // The loads above only wrote: the reads' path runs here for the first time, and its first seconds (compiling
    // it, reading the views' pages in) are not the steady lag. Measured apart and shown, as lag.bench.js does.
    const cold = await measureLag(service, headers, caseIds, 2);
    console.log(`  the first 2 s of reads since start: p50 ${cold.p50.toFixed(1)} ms, p99 ${cold.p99.toFixed(1)} ms (${cold.samples} samples; not counted)`);
    const { waits, commands, ...lag } = await measureLag(service, headers, caseIds, options.seconds);
    console.log(`Projection lag at ${LAG_RATE} commands/s (achieved ${format(lag.achieved)}/s), command answered → read with X-Min-Position answered: p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms (${lag.samples} samples${lag.failedReads ? `, ${lag.failedReads} reads failed` : ''})`);
    return { layout, echo, spread, oneCase, longStream, lag };
  } finally {
    await Promise.all([service.stop(), projections.stop(), echoServer.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Requests per second over all turns; the worst turn's percentiles. */
function combined(turns: readonly LoadFigures[]): LoadFigures {
  return {
    perSecond: turns.reduce((sum, turn) => sum + turn.perSecond, 0) / turns.length,
    p50: Math.max(...turns.map((turn) => turn.p50)),
    p99: Math.max(...turns.map((turn) => turn.p99)),
    errors: turns.reduce((sum, turn) => sum + turn.errors, 0),
  };
}

async function startEcho(): Promise<{ base: string; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./echo-server.js', import.meta.url)), { env: { ...process.env, PORT: String(ECHO_PORT) }, stdio: 'ignore' });
  await once(child, 'message');
  return {
    base: `http://127.0.0.1:${ECHO_PORT}`,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function load(base: string, headers: Record<string, string>, seconds: number, nextCase: () => string): Promise<LoadFigures> {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'POST', headers, body: NOTE, setupRequest: (request) => ({ ...request, path: `/api/v1/cases/${nextCase()}/notes` }) }],
  });
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

async function measureLongStream(base: string, headers: Record<string, string>, caseId: string) {
  const started = performance.now();
  const answered: number[] = [];
  await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: 12,
    requests: [{
      method: 'POST', headers, body: NOTE, path: `/api/v1/cases/${caseId}/notes`,
      onResponse: (status) => {
        if (status === 201) answered.push(performance.now() - started);
      },
    }],
  });
  const within = (from: number, to: number) => answered.filter((ms) => ms >= from && ms < to).length / ((to - from) / 1000);
  return { firstSecond: within(0, 1000), afterTenSeconds: within(10_000, 12_000), events: answered.length };
}

/** Once the views have applied every command so far (a note, then reads of it with its `X-Min-Position`): how long that took. */
async function caughtUp(service: RunningService, headers: Record<string, string>, caseId: string): Promise<number> {
  const started = performance.now();
  const note = await fetch(`${service.base}/api/v1/cases/${caseId}/notes`, { method: 'POST', headers, body: NOTE });
  if (note.status !== 201) throw new Error(`A note to wait for answered ${note.status}`);
  const { position } = (await note.json()) as { position: string };
  for (;;) {
    // Each read waits up to the service's VIEW_WAIT_MS, then answers 503 while the views are behind.
    const read = await fetch(`${service.base}/api/v1/cases/${caseId}`, { headers: { authorization: headers.authorization!, 'x-min-position': position } });
    await read.arrayBuffer();
    if (read.ok) return performance.now() - started;
    if (read.status !== 503) throw new Error(`Waiting for the views: ${read.status}`);
  }
}

/**
 * Notes at a steady rate over 50 connections; each fifth answer is followed at once by a read of that case
 * that waits for its position (the read's own time is part of what a client sees, so it stays in).
 */
export async function measureLag(service: RunningService, headers: Record<string, string>, caseIds: readonly string[], seconds: number) {
  const waits: number[] = [];
  const reads: Promise<void>[] = [];
  let failedReads = 0;
  let counter = 0;
  let answered = 0;
  const readBack = async (caseId: string, position: string) => {
    const started = performance.now();
    try {
      const read = await fetch(`${service.base}/api/v1/cases/${caseId}`, { headers: { authorization: headers.authorization!, 'x-min-position': position } });
      await read.arrayBuffer();
      if (read.ok) waits.push(performance.now() - started);
      else failedReads++;
    } catch {
      failedReads++;
    }
  };
  const started = performance.now();
  await autocannon({
    url: service.base,
    connections: CONNECTIONS,
    overallRate: LAG_RATE,
    duration: seconds,
    requests: [{
      method: 'POST', headers, body: NOTE,
      setupRequest: (request, context) => {
        const caseId = caseIds[counter++ % caseIds.length]!;
        (context as { caseId?: string }).caseId = caseId;
        return { ...request, path: `/api/v1/cases/${caseId}/notes` };
      },
      onResponse: (status, body, context) => {
        if (status !== 201) return;
        if (answered++ % 5 === 0) reads.push(readBack((context as { caseId: string }).caseId, (JSON.parse(body) as { position: string }).position));
      },
    }],
  });
  const achieved = answered / ((performance.now() - started) / 1000);
  await Promise.all(reads);
  return { rate: LAG_RATE, achieved, p50: percentile(waits, 50), p99: percentile(waits, 99), samples: waits.length, failedReads, waits, commands: answered };
}

function report(label: string, figures: LoadFigures): void {
  console.log(`  ${label.padEnd(26)} ${format(figures.perSecond).padStart(7)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms${figures.errors ? `  (${figures.errors} errors!)` : ''}`);
}
