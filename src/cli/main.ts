#!/usr/bin/env node
/** `npx rujukan <command>`: development tokens, seeding and projection maintenance (DESIGN §9). */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AppModule } from '../app.module.js';
import { mintToken } from '../auth/token.js';
import { ConfigError, loadConfig } from '../config/config.js';
import { USER_ROLES, type UserRole } from '../core/actor.js';
import { systemClock } from '../core/clock.js';
import { isValidId } from '../core/ids.js';
import { openStores } from '../app.js';
import { projectionLag } from '../projections/lag.js';
import { CHECKPOINTS } from '../projections/projection-runner.js';
import { PROJECTIONS } from '../projections/projections.service.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { seedDemoNetwork } from '../seed/seed.js';

function id(value: string): string {
  if (!isValidId(value)) throw new InvalidArgumentError('must be 1–64 letters, digits, - or _');
  return value;
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
    const secret = loadConfig().auth.jwtSecret;
    if (!secret) return program.error('no AUTH_JWT_SECRET: tokens come from the OIDC provider (AUTH_JWKS_URL)');
    const token = await mintToken({
      sub: options.sub ?? `dev-${options.role}`,
      role: options.role,
      ...(options.institution ? { institutionId: options.institution } : {}),
      ...(options.network ? { networkId: options.network } : {}),
      expiresIn: options.expires,
    }, secret);
    process.stdout.write(`${token}\n`);
  });

program
  .command('seed')
  .description("register Kota Magelang's demo WKSBM and the city-wide providers (idempotent)")
  .action(async () => {
    const config = loadConfig();
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

const projections = program.command('projections').description('the views built from the event log');

projections
  .command('status')
  .description('each projection: checkpoint and lag behind the log')
  .action(async () => {
    const { eventStore, readStore } = await openStores(loadConfig());
    try {
      const checkpoints = await readStore.collection<{ _id: string; position: string; updatedAt: string }>(CHECKPOINTS).find({});
      const rows = await Promise.all(PROJECTIONS.map(async ({ name }) => {
        const checkpoint = checkpoints.find((candidate) => candidate._id === name);
        const lag = await projectionLag(eventStore, checkpoint ? BigInt(checkpoint.position) : null, new Date());
        return { projection: name, checkpoint: checkpoint?.position ?? '-', updated: checkpoint?.updatedAt ?? '-', eventsBehind: lag.eventsBehind, secondsBehind: Math.round(lag.secondsBehind) };
      }));
      console.table(rows);
    } finally {
      await Promise.all([eventStore.close(), readStore.close()]);
    }
  });

projections
  .command('rebuild')
  .description('rebuild views from the start of the log into fresh collections, then switch (live views keep serving)')
  .argument('[name]', `one projection (${PROJECTIONS.map(({ name }) => name).join(', ')}); all when omitted`)
  .action(async (name: string | undefined) => {
    const chosen = name === undefined ? PROJECTIONS : PROJECTIONS.filter((projection) => projection.name === name);
    if (chosen.length === 0) return program.error(`no projection named ${name}; known: ${PROJECTIONS.map((projection) => projection.name).join(', ')}`);
    const { eventStore, readStore } = await openStores(loadConfig());
    try {
      for (const projection of chosen) {
        const bar = new SingleBar({ format: `${projection.name.padEnd(14)} [{bar}] {percentage}% | position {value}/{total}`, hideCursor: true });
        bar.start(1, 0);
        const result = await rebuildProjection(projection, eventStore, readStore, ({ applied, head }) => {
          bar.setTotal(Math.max(1, Number(head)));
          bar.update(Number(applied));
        });
        bar.stop();
        console.log(`${projection.name}: rebuilt from ${result.eventsApplied} events and switched`);
      }
    } finally {
      await Promise.all([eventStore.close(), readStore.close()]);
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
