/**
 * The operator's projection commands (DESIGN §9): `status` (checkpoints, lag, who runs each, where one
 * halted), `rebuild` (without a gap, while the service runs), `retry` (after a halt) and `run` (the
 * projections in a process of their own).
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { UpcastingEventStore } from '../core/upcasting.js';
import { SERVICE_UPCASTERS } from '../event-catalog.js';
import { projectionLag } from '../projections/lag.js';
import { LEASES, projectionLeaseId } from '../projections/lease.js';
import { CHECKPOINTS, clearHalt, type CheckpointDocument } from '../projections/projection-runner.js';
import { PROJECTIONS, projectionRunners } from '../projections/projections.service.js';
import { rebuildProjections, RebuildRunningError } from '../projections/rebuild.js';
import type { Document, ReadStore } from '../read-store/read-store.port.js';
import { exitOnSignals } from '../shutdown.js';
import { openStores } from '../stores.js';
import { chosenProjections, PROJECTION_NAME_HELP, withPositionBars } from './projection-choice.js';

/** How long `retry` watches for the outcome before leaving the projection to it. */
const RETRY_WATCH_MS = 15_000;

type LeaseDocument = Document & { readonly owner: string | null; readonly expiresAt: string };

/** Who runs a projection now: the holder of its lease (host:pid), or nobody when it expired. */
async function runnerOf(views: ReadStore, name: string, now: Date): Promise<string> {
  const lease = await views.collection<LeaseDocument>(LEASES).findOne({ _id: projectionLeaseId(name) });
  if (!lease?.owner || lease.expiresAt < now.toISOString()) return 'none';
  return lease.owner.split(':').slice(0, 2).join(':');
}

export function registerProjectionCommands(program: Command, projections: Command): void {
  projections
    .command('status')
    .description('each projection: checkpoint and lag behind the log, the process running it, and where it halted, if it did')
    .action(async () => {
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        const checkpoints = await readStore.collection<CheckpointDocument>(CHECKPOINTS).find({});
        const now = new Date();
        const rows = await Promise.all(PROJECTIONS.map(async ({ name }) => {
          const checkpoint = checkpoints.find((candidate) => candidate._id === name);
          const position = checkpoint?.position;
          const lag = await projectionLag(eventStore, position === undefined ? null : BigInt(position), now);
          const halted = checkpoint?.halted;
          return {
            projection: name, checkpoint: position ?? '-', updated: checkpoint?.updatedAt ?? '-', runner: await runnerOf(readStore, name, now),
            eventsBehind: lag.eventsBehind, secondsBehind: Math.round(lag.secondsBehind),
            halted: halted ? `at ${halted.position} (${halted.eventType} ${halted.eventId}): ${halted.error}` : '-',
          };
        }));
        console.table(rows);
        const halted = rows.filter((row) => row.halted !== '-');
        if (halted.length > 0) {
          console.log(`Halted: ${halted.map((row) => row.projection).join(', ')}. Once the cause is fixed, run \`rujukan projections retry <name>\`.`);
          process.exitCode = 1;
        }
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });

  projections
    .command('rebuild')
    .description('rebuild views from the start of the log into fresh collections while the live ones keep serving, then hand over without a gap')
    .argument('[name]', PROJECTION_NAME_HELP)
    .action(async (name: string | undefined) => {
      const chosen = chosenProjections(program, name);
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        // Several at once read the log once for all their builds (rebuildProjections).
        const outcomes = await withPositionBars(chosen, (onProgress) => rebuildProjections(chosen, new UpcastingEventStore(eventStore, SERVICE_UPCASTERS), readStore, onProgress));
        let failure: { error: unknown } | null = null;
        for (const outcome of outcomes) {
          if ('result' in outcome) {
            console.log(`${outcome.projection.name}: rebuilt from ${outcome.result.eventsApplied} events and switched at position ${outcome.result.position ?? 0}`);
          } else if (outcome.error instanceof RebuildRunningError) {
            console.error(outcome.error.message);
            process.exitCode = 1;
          } else {
            // The first failure is raised as the command's error; any other is named here so none goes unsaid.
            if (failure) console.error(`${outcome.projection.name}: the rebuild failed too: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`);
            failure ??= outcome;
          }
        }
        if (failure) throw failure.error;
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });

  projections
    .command('retry')
    .description('clear the halt of a projection stopped at a poison event: the process running it tries again from its checkpoint')
    .argument('<name>', PROJECTION_NAME_HELP.replace('; all when omitted', ''))
    .action(async (name: string) => {
      const [projection] = chosenProjections(program, name);
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        const checkpoints = readStore.collection<CheckpointDocument>(CHECKPOINTS);
        const before = await checkpoints.findOne({ _id: projection!.name });
        if (!before?.halted) {
          console.log(`${projection!.name} has not halted: nothing to retry.`);
          return;
        }
        await clearHalt(readStore, projection!.name);
        console.log(`${projection!.name}: halt at position ${before.halted.position} cleared; waiting for the process running it to try again…`);
        const deadline = Date.now() + RETRY_WATCH_MS;
        while (Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const now = await checkpoints.findOne({ _id: projection!.name });
          if (now?.halted) {
            console.error(`${projection!.name} halted again at position ${now.halted.position} (${now.halted.eventType} ${now.halted.eventId}): ${now.halted.error}`);
            process.exitCode = 1;
            return;
          }
          if (now?.position !== undefined && BigInt(now.position) >= BigInt(before.halted.position)) {
            console.log(`${projection!.name} is past the event: now at position ${now.position}.`);
            return;
          }
        }
        console.log(`No runner has applied the event within ${RETRY_WATCH_MS / 1000} s (is the service running?); \`rujukan projections status\` shows how it goes.`);
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });

  projections
    .command('run')
    .description('run the projections in this process until SIGTERM or SIGINT (under their leases: start the API with RUN_PROJECTIONS=false)')
    .action(async () => {
      const config = loadConfig();
      const { eventStore, readStore } = await openStores(config);
      const runners = projectionRunners(new UpcastingEventStore(eventStore, SERVICE_UPCASTERS), readStore, true);
      exitOnSignals(async () => {
        await Promise.all(runners.map((runner) => runner.stop()));
        await Promise.all([eventStore.close(), readStore.close()]);
      }, config.shutdownTimeoutSeconds);
      for (const runner of runners) await runner.start();
      console.log(`Running ${runners.map((runner) => runner.projection.name).join(', ')} (each here while this process holds its lease); stop with SIGTERM or Ctrl-C.`);
    });
}
