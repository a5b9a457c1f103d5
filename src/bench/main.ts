/**
 * `npm run bench [-- --quick] [-- --cpu-prof]`: the figures of the performance goals, each as a ratio to its
 * limit measured in the same run (nothing here compares with figures from another run or machine), printed
 * as a table and written to bench/results/<time>.json. The full run adds 50,000 cases to the list
 * figures, the event-store and auditor benches, longer loads and the rebuild of every view from a log of
 * 1,000,000 events (the rebuild goal's size); --quick stays under three minutes.
 * --cpu-prof writes a CPU profile of the service under the HTTP command load into bench/results/.
 */
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { benchAppends } from './appends.bench.js';
import { benchAudit } from './audit.bench.js';
import { benchCommands } from './commands.bench.js';
import { benchEventStore } from './event-store.bench.js';
import { benchLists, type ListFigures } from './lists.bench.js';
import { benchOnePassRebuild, type RebuildFigures } from './rebuild.bench.js';
import { format } from './support.js';

const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--cpu-prof');
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const started = new Date();
await mkdir(RESULTS_DIR, { recursive: true });

const appends = await benchAppends({ commands: quick ? 12_000 : 30_000 });
const commands = await benchCommands({ seconds: quick ? 6 : 12, ...(profile ? { cpuProfileDir: RESULTS_DIR } : {}) });
const lists = await benchLists({ sizes: quick ? [500, 10_000] : [500, 10_000, 50_000], requests: quick ? 60 : 200 });
/** The rebuild goal's size; --quick takes the rebuild of its largest list size instead. */
const REBUILD_EVENTS = 1_000_000;
let rebuild: RebuildFigures | null = null;
if (!quick) {
  await benchEventStore();
  await benchAudit();
  rebuild = await benchOnePassRebuild(REBUILD_EVENTS);
}

const at = (cases: number): ListFigures | undefined => lists.find((figures) => figures.cases === cases);
const small = at(500)!;
const medium = at(10_000)!;
const large = at(50_000);
const growth = Math.max(...Object.keys(small.medians).map((name) => medium.medians[name]! / small.medians[name]!));
const largest = lists[lists.length - 1]!;

interface Goal {
  readonly figure: string;
  readonly measured: string;
  readonly goal: string;
  readonly met: boolean | null;
}

const goals: Goal[] = [
  {
    figure: `HTTP commands/s over a bare node:http echo (${format(commands.spread.perSecond)} / ${format(commands.echo.perSecond)}), p99`,
    measured: `${(commands.spread.perSecond / commands.echo.perSecond).toFixed(3)}, p99 ${commands.spread.p99} ms`,
    goal: '≥ 0.10, p99 < 50 ms',
    met: commands.spread.perSecond / commands.echo.perSecond >= 0.1 && commands.spread.p99 < 50,
  },
  {
    figure: `command path appends/s over raw batched SQLite inserts (${format(appends.commandPathPerSecond)} / ${format(appends.rawInsertsPerSecond)})`,
    measured: (appends.commandPathPerSecond / appends.rawInsertsPerSecond).toFixed(2),
    goal: '≥ 0.5',
    met: appends.commandPathPerSecond / appends.rawInsertsPerSecond >= 0.5,
  },
  {
    figure: 'list/inbox/outbox median at 10,000 cases over at 500 (worst list)',
    measured: `${growth.toFixed(2)}×`,
    goal: '≤ 1.5×',
    met: growth <= 1.5,
  },
  {
    figure: 'slowest list median at 50,000 cases',
    measured: large ? `${Math.max(...Object.values(large.medians)).toFixed(1)} ms` : 'not run (--quick)',
    goal: '< 10 ms',
    met: large ? Math.max(...Object.values(large.medians)) < 10 : null,
  },
  rebuildGoal(rebuild ?? { events: largest.events, ...largest.rebuild }),
  {
    figure: 'throughput after 10 s on one long stream over the first second',
    measured: (commands.longStream.afterTenSeconds / commands.longStream.firstSecond).toFixed(2),
    goal: '≥ 0.9',
    met: commands.longStream.afterTenSeconds / commands.longStream.firstSecond >= 0.9,
  },
  {
    figure: `projection lag at ${commands.lag.rate} commands/s (achieved ${format(commands.lag.achieved)}/s), p99`,
    measured: `${commands.lag.p99.toFixed(1)} ms`,
    goal: '< 250 ms',
    met: commands.lag.p99 < 250,
  },
];

/** Met or not only at the goal's size: a smaller log (--quick) shows the figure without a verdict. */
function rebuildGoal(figures: { readonly events: number; readonly eventsPerSecond: number; readonly peakRssMiB: number }): Goal {
  const within = figures.eventsPerSecond >= 20_000 && figures.peakRssMiB < 400;
  return {
    figure: `rebuild of every view in one pass, events/s and peak RSS (${format(figures.events)} events)`,
    measured: `${format(figures.eventsPerSecond)}/s, ${format(figures.peakRssMiB)} MiB`,
    goal: '≥ 20,000/s; < 400 MB at 1,000,000 events',
    met: !within ? false : figures.events >= REBUILD_EVENTS ? true : null,
  };
}

const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'yes' : 'NO');
console.log(`\nGoals (${quick ? 'quick' : 'full'} run, ${started.toISOString()}, Node ${process.versions.node})`);
console.log('| figure | measured | goal | met |\n|---|---|---|---|');
for (const goal of goals) console.log(`| ${goal.figure} | ${goal.measured} | ${goal.goal} | ${verdict(goal.met)} |`);
const emmett = appends.emmett;
console.log(emmett.ran
  ? `Emmett ${emmett.version} (same decider, same machine): ${format(emmett.serialPerSecond)} commands/s one at a time${emmett.serialFailures ? ` (${emmett.serialFailures} failed)` : ''}, ${format(emmett.concurrentPerSecond)}/s with 50 in flight (${emmett.concurrentFailures} failed${emmett.firstFailure ? `: ${emmett.firstFailure}` : ''}); CommandHandling ${format(appends.commandPathPerSecond)}/s`
  : `Emmett: not measured: ${emmett.reason}`);

const file = `${RESULTS_DIR}${started.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`;
await writeFile(file, `${JSON.stringify({ startedAt: started.toISOString(), quick, node: process.versions.node, goals, appends, commands, lists, rebuild }, null, 2)}\n`);
console.log(`Results: ${file}`);
