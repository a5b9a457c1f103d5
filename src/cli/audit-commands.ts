/**
 * The auditor's and operator's checks on the command line: `verify` (the hash chains),
 * `export <caseId>` (a case's stream as NDJSON, as stored) and `projections verify [name]` (views against
 * a rebuild from the log). Each exits 1 when it finds something wrong.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { openStores } from '../stores.js';
import { exportStream } from '../audit/case-export.js';
import { streamExists } from '../audit/case-history.js';
import { verifyIntegrity, type IntegrityReport } from '../audit/integrity.js';
import { caseStreamId } from '../cases/case.events.js';
import { loadConfig } from '../config/config.js';
import { isValidId } from '../core/ids.js';
import { UpcastingEventStore } from '../core/upcasting.js';
import { SERVICE_STREAM_PREFIXES, SERVICE_UPCASTERS } from '../event-catalog.js';
import { openEventStore } from '../event-store/event-store.module.js';
import { verifyProjection, type ProjectionVerification } from '../projections/verify-projection.js';
import { chosenProjections, PROJECTION_NAME_HELP, withPositionBar } from './projection-choice.js';

export function registerAuditCommands(program: Command, projections: Command): void {
  program
    .command('verify')
    .description('check the hash chain of every stream in the event log (as stored); exit code 1 at the first broken event')
    .option('--stream <id>', 'one stream only, e.g. case-<id>')
    .action(async (options: { stream?: string }) => {
      const store = openEventStore(loadConfig(), SERVICE_STREAM_PREFIXES);
      // The total is unknown without reading the whole log once more: the bar counts and shows the rate.
      const bar = new SingleBar({ format: 'verifying {value} events | {rate} events/s | {duration_formatted}', hideCursor: true });
      const started = Date.now();
      let report: IntegrityReport;
      try {
        bar.start(0, 0, { rate: 0 });
        report = await verifyIntegrity(store, {
          ...(options.stream === undefined ? {} : { stream: options.stream }),
          onProgress: (checked) => bar.update(checked, { rate: Math.round((checked * 1000) / Math.max(1, Date.now() - started)) }),
        });
      } finally {
        bar.stop();
        await store.close();
      }
      if (options.stream !== undefined && report.checked === 0) return program.error(`no stream named ${options.stream}`);
      console.log(describeIntegrity(report));
      if (!report.ok) process.exitCode = 1;
    });

  program
    .command('export')
    .description("write a case's event stream as NDJSON, one event a line exactly as stored (hashes verify)")
    .argument('<caseId>', 'the case')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (caseId: string, options: { out?: string }) => {
      if (!isValidId(caseId)) return program.error(`not a case id: ${caseId}`);
      const store = openEventStore(loadConfig(), SERVICE_STREAM_PREFIXES);
      try {
        const streamId = caseStreamId(caseId);
        // Checked first, so that an unknown case leaves no empty file behind.
        if (!(await streamExists(store, streamId))) return program.error(`no case ${caseId} in the event log`);
        if (options.out === undefined) return await pipeline(exportStream(store, streamId, SERVICE_UPCASTERS), process.stdout, { end: false });
        let count = 0;
        await pipeline(exportStream(store, streamId, SERVICE_UPCASTERS), async function* (lines: AsyncIterable<string>) {
          for await (const line of lines) {
            count++;
            yield line;
          }
        }, createWriteStream(options.out));
        console.error(`Exported ${count} events of case ${caseId} to ${options.out}`);
      } finally {
        await store.close();
      }
    });

  projections
    .command('verify')
    .description('rebuild views from the log into scratch collections, up to where the live ones are, and report every difference')
    .argument('[name]', PROJECTION_NAME_HELP)
    .action(async (name: string | undefined) => {
      const chosen = chosenProjections(program, name);
      const { eventStore, readStore } = await openStores(loadConfig());
      try {
        const events = new UpcastingEventStore(eventStore, SERVICE_UPCASTERS);
        let differences = 0;
        for (const projection of chosen) {
          const result = await withPositionBar(projection, (onProgress) => verifyProjection(projection, events, readStore, onProgress));
          console.log(describeVerification(result));
          differences += result.differences.length;
        }
        if (differences > 0) process.exitCode = 1;
      } finally {
        await Promise.all([eventStore.close(), readStore.close()]);
      }
    });
}

function describeIntegrity(report: IntegrityReport): string {
  if (report.firstBroken === null) return `Integrity verified: ${report.checked} events, every hash chain intact.`;
  const { stream, revision, eventId, reason } = report.firstBroken;
  return `Integrity BROKEN at stream ${stream}, revision ${revision}, event ${eventId}: ${reason} (after ${report.checked} events; later ones not checked).`;
}

function describeVerification({ projection, position, compared, ahead, differences }: ProjectionVerification): string {
  const where = position === null ? 'no checkpoint yet' : `position ${position}`;
  const aheadNote = ahead > 0 ? `; ${ahead} live documents changed since, not compared` : '';
  if (differences.length === 0) return `${projection}: ${compared} documents identical to a rebuild at ${where}${aheadNote}.`;
  return [
    `${projection}: ${differences.length} DIFFERENCES from a rebuild at ${where} (${compared} documents compared${aheadNote}):`,
    ...differences.map((difference) => `  ${difference.collection}/${difference.id}: ${difference.kind}${'fields' in difference ? `: ${difference.fields.join(', ')}` : ''}`),
  ].join('\n');
}
