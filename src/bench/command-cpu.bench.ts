/**
 * `node dist/bench/command-cpu.bench.js [--against <other build's dist>] [--seconds 5] [--turns 3]`: the API
 * process's CPU time per HTTP command (`POST /cases/:id/notes` over 50 cases, 50 connections, as in
 * commands.bench.ts) at a fixed rate (`--rate`, default 1000/s), read from /proc, so a busy machine changes it far
 * less than it changes throughput. With
 * `--against`, a second build (a copy of an older `dist/`, say) runs beside this one on its own data
 * directory and the load alternates between the two, turn by turn, so both see the same machine; the ratio is
 * the figure to quote. `--with-projections` runs `rujukan projections run` beside each (as commands.bench.ts
 * does; its CPU is not counted). `--cpu-prof <dir>` writes a CPU profile of this build's process (start-up included).
 * Only the API process is measured (RUN_PROJECTIONS=false).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { caseworkerHeaders, cpuMs, format, newSecrets, openCase, serviceEnvironment, sleep, type BenchSecrets } from './support.js';

const CASES = 50;
const CONNECTIONS = 50;
const NOTE = JSON.stringify({ text: 'Home visit done', visibility: 'participants' });

interface Build {
  readonly label: string;
  readonly main: string;
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** `rujukan projections run` of the same build on the same data, with --with-projections. */
  readonly projections: ChildProcess | null;
  readonly base: string;
  caseIds: string[];
  readonly turns: Array<{ readonly commands: number; readonly cpuMs: number; readonly systemMs: number; readonly perSecond: number; readonly p99: number }>;
}

const { values } = parseArgs({ options: { against: { type: 'string' }, seconds: { type: 'string', default: '5' }, turns: { type: 'string', default: '3' }, rate: { type: 'string', default: '1000' }, 'with-projections': { type: 'boolean', default: false }, 'cpu-prof': { type: 'string' } } });
const seconds = Number(values.seconds);
const turns = Number(values.turns);
/** Commands per second offered (0: as fast as the service answers): a fixed rate keeps group commit's batches alike in both builds. */
const rate = Number(values.rate);
const secrets = newSecrets();
const headers = await caseworkerHeaders(secrets);

const mains = [{ label: 'this build', main: fileURLToPath(new URL('../main.js', import.meta.url)) }];
if (values.against) mains.unshift({ label: `against ${values.against}`, main: join(resolve(values.against), 'main.js') });
const builds: Build[] = [];
try {
  for (const [index, { label, main }] of mains.entries()) builds.push(await start(label, main, 39_620 + index, secrets, index === mains.length - 1 ? values['cpu-prof'] : undefined));
  for (const build of builds) {
    for (let index = 0; index < CASES; index++) build.caseIds.push(await openCase(build.base, headers, index));
    await load(build, 3, false); // warm-up
  }
  for (let turn = 0; turn < turns; turn++) {
    for (const build of turn % 2 === 0 ? builds : [...builds].reverse()) await load(build, seconds, true);
  }
  const commands = (build: Build) => build.turns.reduce((sum, one) => sum + one.commands, 0);
  const perCommand = (build: Build) => (1000 * build.turns.reduce((sum, one) => sum + one.cpuMs, 0)) / commands(build);
  const kernelPerCommand = (build: Build) => (1000 * build.turns.reduce((sum, one) => sum + one.systemMs, 0)) / commands(build);
  for (const build of builds) {
    console.log(`${build.label.padEnd(40)} ${format(perCommand(build)).padStart(6)} µs CPU/command, ${format(kernelPerCommand(build))} of it in the kernel  (turns: ${build.turns.map((one) => `${format((1000 * one.cpuMs) / one.commands)} µs, ${format(one.perSecond)}/s, p99 ${one.p99} ms`).join(' | ')})`);
  }
  if (builds.length === 2) console.log(`this build / against: ${(perCommand(builds[1]!) / perCommand(builds[0]!)).toFixed(3)} of the CPU per command`);
} finally {
  for (const build of builds) {
    for (const child of [build.child, build.projections]) {
      if (child === null || child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(build.dataDir, { recursive: true, force: true });
  }
}

async function start(label: string, main: string, port: number, secrets: BenchSecrets, profileDir?: string): Promise<Build> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-cpu-'));
  const child = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), main], { env: serviceEnvironment(dataDir, secrets, port, { RUN_PROJECTIONS: 'false' }), stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${main} exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${main} did not become ready within 120 s`);
    if (await fetch(`${base}/api/v1/health/ready`).then((response) => response.ok, () => false)) break;
    await sleep(100);
  }
  // The production layout of commands.bench.ts: the projections in a process of their own, their CPU not counted.
  const projections = values['with-projections']
    ? spawn(process.execPath, [join(main, '..', 'cli', 'main.js'), 'projections', 'run'], { env: serviceEnvironment(dataDir, secrets, 0), stdio: 'ignore' })
    : null;
  return { label, main, port, dataDir, child, projections, base, caseIds: [], turns: [] };
}

async function load(build: Build, duration: number, counted: boolean): Promise<void> {
  let counter = 0;
  const before = await cpuMs(build.child.pid!);
  const result = await autocannon({
    url: build.base,
    connections: CONNECTIONS,
    duration,
    ...(rate > 0 ? { overallRate: rate } : {}),
    requests: [{ method: 'POST', headers, body: NOTE, setupRequest: (request) => ({ ...request, path: `/api/v1/cases/${build.caseIds[counter++ % CASES]}/notes` }) }],
  });
  const after = await cpuMs(build.child.pid!);
  if (result.non2xx + result.errors > 0) throw new Error(`${build.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  if (counted) build.turns.push({ commands: result['2xx'], cpuMs: after.total - before.total, systemMs: after.system - before.system, perSecond: result.requests.average, p99: result.latency.p99 });
}
