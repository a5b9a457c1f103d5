/**
 * `node dist/bench/command-path.bench.js --against <an older build's dist> [--chunks 60] [--memory]`: the command
 * path of appends.bench.ts (`CommandHandling` over `SqliteEventStore` through the upcasting decorator, the case
 * decider adding notes, 100 in flight on 100 cases) in this build and in another, in one process. They take
 * turns, 1,000 commands at a time, so a busy machine slows both alike; the ratios are the figures to quote.
 * CPU is the process's (user and kernel) while a build runs its turn. --memory keeps SQLite in memory: no fsync,
 * the path's CPU alone.
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { IN_FLIGHT, addNote, context, openCase } from './appends.bench.js';
import { format } from './support.js';

const PER_TURN = 1_000;

const { values } = parseArgs({ options: { against: { type: 'string' }, chunks: { type: 'string', default: '60' }, memory: { type: 'boolean', default: false } } });
if (!values.against) throw new Error('--against <dist> is required: the build to compare this one with');
const turns = Number(values.chunks);

interface Build {
  readonly label: string;
  readonly turn: () => Promise<void>;
  readonly close: () => Promise<void>;
  cpuMicros: number;
  wallMs: number;
  commands: number;
}

/** The command path as `dist` builds it, over a store of its own with 100 cases opened. */
async function open(label: string, dist: string, file: string): Promise<Build> {
  const load = <Module>(path: string) => import(pathToFileURL(join(dist, path)).href) as Promise<Module>;
  const { CommandHandling } = await load<typeof import('../core/command-handling.js')>('core/command-handling.js');
  const { UpcastingEventStore } = await load<typeof import('../core/upcasting.js')>('core/upcasting.js');
  const { SERVICE_UPCASTERS } = await load<typeof import('../event-catalog.js')>('event-catalog.js');
  const { SqliteEventStore } = await load<typeof import('../event-store/sqlite/sqlite-event-store.js')>('event-store/sqlite/sqlite-event-store.js');
  const { caseDecider } = await load<typeof import('../cases/case.decider.js')>('cases/case.decider.js');
  const { caseStreamId } = await load<typeof import('../cases/case.events.js')>('cases/case.events.js');
  const stored = new SqliteEventStore(values.memory ? ':memory:' : file);
  const store = new UpcastingEventStore(stored, SERVICE_UPCASTERS);
  for (let n = 0; n < IN_FLIGHT; n++) await openCase(stored, `case-${n}`);
  const handling = new CommandHandling(store);
  const build: Build = {
    label, cpuMicros: 0, wallMs: 0, commands: 0,
    close: () => store.close(),
    turn: async () => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      await Promise.all(Array.from({ length: IN_FLIGHT }, async (_, worker) => {
        const caseId = `case-${worker}`;
        for (let n = worker; n < PER_TURN; n += IN_FLIGHT) await handling.run(caseDecider, caseStreamId(caseId), () => addNote(caseId), context());
      }));
      const used = process.cpuUsage(cpu);
      build.wallMs += performance.now() - started;
      build.cpuMicros += used.user + used.system;
      build.commands += PER_TURN;
    },
  };
  return build;
}

const dir = await mkdtemp(join(tmpdir(), 'rujukan-bench-command-path-'));
const builds: Build[] = [];
try {
  builds.push(await open(`against ${values.against}`, resolve(values.against), join(dir, 'against.db')));
  builds.push(await open('this build', fileURLToPath(new URL('..', import.meta.url)), join(dir, 'this.db')));
  for (const build of builds) await build.turn(); // warm-up
  for (const build of builds) Object.assign(build, { cpuMicros: 0, wallMs: 0, commands: 0 });
  for (let turn = 0; turn < turns; turn++) {
    for (const build of turn % 2 === 0 ? builds : [...builds].reverse()) await build.turn();
  }
  const perSecond = (build: Build) => build.commands / (build.wallMs / 1000);
  const cpuPerCommand = (build: Build) => build.cpuMicros / build.commands;
  console.log(`Command path, ${IN_FLIGHT} in flight, ${values.memory ? 'SQLite in memory' : 'SQLite file, WAL, synchronous=FULL'}, ${turns} turns of ${format(PER_TURN)} commands each`);
  for (const build of builds) console.log(`  ${build.label.padEnd(40)} ${format(perSecond(build)).padStart(7)} commands/s, ${cpuPerCommand(build).toFixed(1)} µs CPU/command`);
  const [against, current] = builds as [Build, Build];
  console.log(`  this build / against: ${(perSecond(current) / perSecond(against)).toFixed(3)} of the commands/s, ${(cpuPerCommand(current) / cpuPerCommand(against)).toFixed(3)} of the CPU per command`);
} finally {
  for (const build of builds) await build.close();
  await rm(dir, { recursive: true, force: true });
}
