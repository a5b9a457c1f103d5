/**
 * `node dist/bench/lag.bench.js [--against <other build's dist>] [--seconds 6] [--turns 2]`: the projection lag
 * of commands.bench.ts alone (notes at a steady 500/s, each fifth answer followed by a read with its
 * `X-Min-Position`), in the same two processes (the API with RUN_PROJECTIONS=false beside `rujukan projections
 * run`), and the CPU time each process spent per command (from /proc, which a busy machine changes far less
 * than it changes the lag). With `--against`, a second build (a copy of an older `dist/`) runs beside this one
 * on its own data directory and the turns alternate between the two, so both see the same machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureLag } from './commands.bench.js';
import { caseworkerHeaders, cpuMs, format, newSecrets, openCase, percentile, startProjections, startService, type RunningService } from './support.js';

const CASES = 50;

interface Build {
  readonly label: string;
  readonly dataDir: string;
  readonly service: RunningService;
  readonly projections: Awaited<ReturnType<typeof startProjections>>;
  readonly caseIds: string[];
  readonly waits: number[];
  readonly turns: string[];
  /** Commands answered in the turns, and the CPU time (ms) the API and the projections process spent meanwhile. */
  readonly cpu: { commands: number; api: number; projections: number };
}

const { values } = parseArgs({ options: { against: { type: 'string' }, seconds: { type: 'string', default: '6' }, turns: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const turns = Number(values.turns);
const secrets = newSecrets();
const headers = await caseworkerHeaders(secrets);

const dists = [{ label: 'this build', dist: fileURLToPath(new URL('..', import.meta.url)) }];
if (values.against) dists.unshift({ label: `against ${values.against}`, dist: resolve(values.against) });
const builds: Build[] = [];
try {
  for (const [index, { label, dist }] of dists.entries()) {
    const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-lag-'));
    const service = await startService(dataDir, secrets, 39_640 + index, [], { RUN_PROJECTIONS: 'false' }, join(dist, 'main.js'));
    const projections = await startProjections(dataDir, secrets, join(dist, 'cli', 'main.js')).catch(async (error: unknown) => {
      await service.stop();
      throw error;
    });
    const build: Build = { label, dataDir, service, projections, caseIds: [], waits: [], turns: [], cpu: { commands: 0, api: 0, projections: 0 } };
    builds.push(build);
    for (let count = 0; count < CASES; count++) build.caseIds.push(await openCase(service.base, headers, count));
    await measureLag(service, headers, build.caseIds, 2); // warm-up
  }
  for (let turn = 0; turn < turns; turn++) {
    for (const build of turn % 2 === 0 ? builds : [...builds].reverse()) {
      const pids = [build.service.process.pid!, build.projections.process.pid!] as const;
      const before = await Promise.all(pids.map(cpuMs));
      const lag = await measureLag(build.service, headers, build.caseIds, seconds);
      const after = await Promise.all(pids.map(cpuMs));
      build.cpu.commands += lag.commands;
      build.cpu.api += after[0]!.total - before[0]!.total;
      build.cpu.projections += after[1]!.total - before[1]!.total;
      build.waits.push(...lag.waits);
      build.turns.push(`${format(lag.achieved)}/s, p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms${lag.failedReads ? `, ${lag.failedReads} reads failed` : ''}`);
    }
  }
  console.log(`Projection lag at 500 commands/s, command answered → read with X-Min-Position answered (${turns} turns of ${seconds} s each)`);
  for (const build of builds) {
    const perCommand = (ms: number) => format((1000 * ms) / build.cpu.commands);
    console.log(`${build.label.padEnd(40)} p50 ${percentile(build.waits, 50).toFixed(1)} ms, p99 ${percentile(build.waits, 99).toFixed(1)} ms (${build.waits.length} reads; turns: ${build.turns.join(' | ')})`);
    console.log(`${''.padEnd(40)} CPU per command: API ${perCommand(build.cpu.api)} µs, projections ${perCommand(build.cpu.projections)} µs`);
  }
} finally {
  for (const build of builds) {
    await Promise.all([build.service.stop(), build.projections.stop()]);
    await rm(build.dataDir, { recursive: true, force: true });
  }
}
