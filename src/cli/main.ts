#!/usr/bin/env node
/** `npx rujukan <command>`: development tokens, seeding and projection maintenance (README, "Command line"). */
import 'reflect-metadata';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { MongoError } from 'mongodb';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mintToken } from '../auth/token.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { USER_ROLES, type UserRole } from '../core/actor.js';
import { systemClock } from '../core/clock.js';
import { isValidId, newId } from '../core/ids.js';
import { DomainError } from '../core/domain-error.js';
import { requestHash } from '../core/event-envelope.js';
import { ChangeUserAccess } from '../users/commands/user.commands.js';
import { newSignInCode, signInLink } from '../users/sign-in-code.js';
import { EventStoreUnavailableError } from '../event-store/event-store.port.js';
import { EventStoreDbEventStore } from '../event-store/eventstoredb/eventstoredb-event-store.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import {
  MigrationConflictError, migrateEventLog, verifyMigration, type MigrationProgress, type VerificationReport,
} from '../migration/migrate-event-log.js';
import { migrateSubjectKeys } from '../migration/migrate-subject-keys.js';
import { fileCheckpoint } from '../migration/migration-checkpoint.js';
import { openStores } from '../stores.js';
import { MongoReadStore } from '../read-store/mongodb/mongodb-read-store.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { seedDemoNetwork } from '../seed/seed.js';
import { registerAuditCommands } from './audit-commands.js';
import { registerProjectionCommands } from './projection-commands.js';
import { registerWebhookCommands } from './webhook-commands.js';

function id(value: string): string {
  if (!isValidId(value)) throw new InvalidArgumentError('must be 1–64 letters, digits, - or _');
  return value;
}

/** A lifetime such as 30m, 24h or 7d, in milliseconds: at least a minute, at most 14 days. */
function lifetime(value: string): number {
  const match = /^(\d{1,5})(m|h|d)$/.exec(value);
  const milliseconds = match ? Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'] : NaN;
  if (!(milliseconds >= 60_000 && milliseconds <= 14 * 86_400_000)) throw new InvalidArgumentError('must be a lifetime such as 30m, 24h or 7d (at most 14d)');
  return milliseconds;
}

const program = new Command('rujukan').description('Rujukan command-line tools').showHelpAfterError();

program
  .command('token')
  .description('mint a development token signed with AUTH_JWT_SECRET (or the one kept under DATA_DIR)')
  .addOption(new Option('--role <role>', 'role claim').choices(USER_ROLES).makeOptionMandatory())
  .option('--institution <id>', 'institutionId claim (required for caseworkers)', id)
  .option('--network <id>', 'networkId claim (required for coordinators)', id)
  .option('--sub <user>', 'subject (user id)')
  .option('--expires <span>', 'lifetime, e.g. 8h, 30m, 7d', '8h')
  .action(async (options: { role: UserRole; institution?: string; network?: string; sub?: string; expires: string }) => {
    if (options.role === 'caseworker' && !options.institution) program.error('a caseworker token needs --institution');
    if (options.role === 'coordinator' && !options.network) program.error('a coordinator token needs --network');
    const { jwtSecret: secret, issuer, audience } = loadConfig().auth;
    if (!secret) return program.error('no AUTH_JWT_SECRET: tokens come from the OIDC provider (AUTH_JWKS_URL)');
    const token = await mintToken({
      sub: options.sub ?? `dev-${options.role}`,
      role: options.role,
      ...(options.institution ? { institutionId: options.institution } : {}),
      ...(options.network ? { networkId: options.network } : {}),
      expiresIn: options.expires,
    }, secret, { issuer, audience });
    process.stdout.write(`${token}\n`);
  });

program
  .command('invite')
  .description('invite a person to the console: prints a single-use sign-in link as the last line')
  .addOption(new Option('--role <role>', 'their role').choices(USER_ROLES).makeOptionMandatory())
  .option('--institution <id>', 'their institution (required for caseworkers; optional for coordinators and dinsos)', id)
  .option('--network <id>', 'the network they coordinate (required for coordinators)', id)
  .option('--name <name>', 'how colleagues know them, e.g. "Bu Wati"')
  .option('--user <id>', 'send a new link to a person invited before (default: a new user)', id)
  .addOption(new Option('--expires <span>', 'how long the link stays valid, e.g. 30m, 24h, 7d').argParser(lifetime).default(86_400_000, '24h'))
  .action(async (options: { role: UserRole; institution?: string; network?: string; name?: string; user?: string; expires: number }) => {
    const config = loadConfig();
    const [{ NestFactory }, { CommandBus }, { AppModule }] = await Promise.all([import('@nestjs/core'), import('@nestjs/cqrs'), import('../app.module.js')]);
    const app = await NestFactory.createApplicationContext(AppModule.forRoot({ config, ...(await openStores(config)) }), { logger: ['error'] });
    try {
      const userId = options.user ?? newId();
      const { code, codeHash } = newSignInCode(userId);
      const now = systemClock.now();
      const expiresAt = new Date(now.getTime() + options.expires).toISOString();
      const commandId = newId();
      const operator = { userId: `cli:${userInfo().username}`, role: 'system' as const };
      await app.get(CommandBus).execute(new ChangeUserAccess({
        type: 'InviteUser', userId, role: options.role, institutionId: options.institution ?? null, networkId: options.network ?? null,
        displayName: options.name ?? null, codeId: newId(), codeHash, expiresAt,
      }, {
        commandId, requestHash: requestHash({ invite: userId }), actor: operator, occurredAt: now.toISOString(), correlationId: commandId, causationId: commandId, expectedRevision: null,
      }));
      const who = [options.name, options.role, options.institution ?? options.network].filter(Boolean).join(', ');
      console.log(`Invited ${who} as user ${userId}. The link signs them in once, until ${expiresAt}; send it only to them:`);
      console.log(signInLink(config.publicUrl, code));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    } finally {
      await app.close();
    }
  });

program
  .command('seed')
  .description("register Kota Magelang's demo WKSBM and the city-wide providers (idempotent)")
  .action(async () => {
    const config = loadConfig();
    // Loaded here only: the Nest application takes longer to import than every other command needs to run.
    const [{ NestFactory }, { CommandBus }, { AppModule }] = await Promise.all([import('@nestjs/core'), import('@nestjs/cqrs'), import('../app.module.js')]);
    const app = await NestFactory.createApplicationContext(AppModule.forRoot({ config, ...(await openStores(config)) }), { logger: ['error'] });
    const bar = new SingleBar({ format: 'seeding [{bar}] {value}/{total} commands', hideCursor: true });
    try {
      bar.start(1, 0);
      const report = await seedDemoNetwork(app.get(CommandBus), systemClock, (done, total) => {
        bar.setTotal(total);
        bar.update(done);
      });
      bar.stop();
      console.log(report.appended === 0 ? 'Already seeded: nothing appended.' : `Seeded: ${report.appended} of ${report.commands} commands appended.`);
    } finally {
      await app.close();
    }
  });

program
  .command('openapi')
  .description('write the OpenAPI document the server serves at /docs/openapi.json (npm run api:generate keeps client/ in step with it)')
  .option('--out <file>', 'where to write it (default: standard output)')
  .action(async (options: { out?: string }) => {
    const document = await servedApiDocument();
    if (options.out) writeFileSync(options.out, document);
    else process.stdout.write(document);
  });

/** The document exactly as a running server serves it, from an application on throw-away embedded stores. */
async function servedApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-openapi-'));
  try {
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', EXPIRY_INTERVAL_SECONDS: '0' });
    const { createApp } = await import('../app.js');
    const app = await createApp({ config, ...(await openStores(config)) }, { logger: false });
    try {
      const response = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
      return `${JSON.stringify(JSON.parse(response.body), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const projections = program.command('projections').description('the views built from the event log');

program
  .command('migrate')
  .description('copy the embedded event log into EventStoreDB (EVENTSTORE_URL), then verify the copy, then copy the subject keys into MongoDB (MONGODB_URL, when set); resumable and safe to rerun')
  .addOption(new Option('--to <store>', 'the event store to copy into').choices(['eventstoredb']).makeOptionMandatory())
  .option('--from <file>', 'the embedded event log (default: DATA_DIR/events.sqlite)')
  .option('--views-from <file>', 'the embedded read store holding the subject keys (default: DATA_DIR/views.sqlite)')
  .action(async (options: { to: 'eventstoredb'; from?: string; viewsFrom?: string }) => {
    const config = loadConfig();
    if (!config.eventStoreUrl) throw new ConfigError('EVENTSTORE_URL', `required by migrate --to ${options.to}`);
    const sourceFile = resolve(options.from ?? config.embeddedEventLog);
    if (!existsSync(sourceFile)) return program.error(`no event log at ${sourceFile}`);
    const viewsFile = resolve(options.viewsFrom ?? config.embeddedViews);
    if (config.mongodbUrl && !existsSync(viewsFile)) return program.error(`no subject keys to copy: no read store at ${viewsFile}`);
    const checkpoint = fileCheckpoint(join(dirname(sourceFile), `migration-${options.to}.json`), config.eventStoreUrl);
    const source = new SqliteEventStore(sourceFile);
    const target = new EventStoreDbEventStore(config.eventStoreUrl);
    // Ctrl-C stops the copy between two appends; the next run resumes there.
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort(new Error('Interrupted'));
    process.once('SIGINT', interrupt);
    try {
      const resumeAfter = await checkpoint.load();
      if (resumeAfter !== null) console.log(`Resuming from position ${resumeAfter}: an earlier run copied the log up to there.`);
      const copy = await withBar('copying  ', 'events', (onProgress) => migrateEventLog(source, target, { checkpoint, onProgress, signal: interrupted.signal }));
      process.off('SIGINT', interrupt);
      console.log(`Copied: ${copy.sent} events sent in ${copy.appends} appends; the log holds ${copy.total}.`);
      const verification = await withBar('verifying', 'events', (onProgress) => verifyMigration(source, target, onProgress));
      console.log(describeVerification(verification));
      if (!verification.ok) process.exitCode = 1;
      else await migrateKeys(viewsFile, config.mongodbUrl);
    } catch (error) {
      if (error instanceof MigrationConflictError) console.error(error.message);
      else if (error instanceof MongoError) console.error(`MongoDB (MONGODB_URL): ${error.message}. The events are copied; rerun the command to copy the subject keys.`);
      else if (error instanceof EventStoreUnavailableError || interrupted.signal.aborted) console.error(`${(error as Error).message}. Rerun the command to resume.`);
      else throw error;
      process.exitCode = 1;
    } finally {
      process.off('SIGINT', interrupt);
      await Promise.all([source.close(), target.close()]);
    }
  });

/** After the log, the subject keys: they sit beside the views, but nothing can rebuild them from the log. */
async function migrateKeys(viewsFile: string, mongodbUrl: string | null): Promise<void> {
  if (mongodbUrl === null) {
    console.log(`The subject keys stay in ${viewsFile}: before setting READ_STORE=mongodb, copy them by running this again with MONGODB_URL set (MONGODB_URL=mongodb://… npx rujukan migrate --to eventstoredb).`);
    return;
  }
  const source = new SqliteReadStore(viewsFile);
  try {
    const target = await MongoReadStore.connect(mongodbUrl);
    try {
      const report = await withBar('keys     ', 'keys', (onProgress) => migrateSubjectKeys(source, target, onProgress));
      console.log(`Subject keys: ${report.copied} copied, ${report.tombstones} erasures copied, ${report.alreadyThere} already there, ${report.conflicts} conflicts.`);
      if (report.conflicts > 0) {
        const named = report.conflictingSubjects.slice(0, 10).join(', ') + (report.conflicts > 10 ? ', …' : '');
        console.error(`Conflict: MongoDB holds another key than ${viewsFile} for ${report.conflicts} subject(s) (${named}); they were left as they are. Do not switch READ_STORE before resolving them.`);
        process.exitCode = 1;
      }
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** Runs `work` under a bar of items done out of the total, with their rate. */
async function withBar<T>(label: string, unit: string, work: (onProgress: (progress: MigrationProgress) => void) => Promise<T>): Promise<T> {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} ${unit} | {rate} ${unit}/s | {duration_formatted}`, hideCursor: true });
  const started = Date.now();
  let startValue: number | undefined;
  try {
    return await work(({ done, total }) => {
      if (startValue === undefined) bar.start(total, (startValue = done), { rate: 0 });
      const rate = Math.round(((done - startValue) * 1000) / Math.max(1, Date.now() - started));
      bar.setTotal(total);
      bar.update(done, { rate });
    });
  } finally {
    bar.stop();
  }
}

function describeVerification(report: VerificationReport): string {
  if (report.firstMismatch === null) {
    return `Verified: all ${report.sourceEvents} events of ${report.streams} streams are in the target, identical, with every hash chain intact.`;
  }
  const { missing, extra, different, brokenChain } = report.mismatches;
  const { kind, streamId, revision, detail } = report.firstMismatch;
  return [
    `Verification FAILED: the source holds ${report.sourceEvents} events, the target ${report.targetEvents} in the same streams;`,
    `${missing} missing, ${extra} extra, ${different} different, ${brokenChain} broken hash chains.`,
    `First: ${kind} at stream ${streamId}, revision ${revision}: ${detail}.`,
  ].join('\n');
}

registerProjectionCommands(program, projections);
registerAuditCommands(program, projections);
registerWebhookCommands(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
