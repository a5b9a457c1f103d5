/** Starts the service. On the embedded stores the first start seeds the demo network. */
import 'reflect-metadata';
import { CommandBus } from '@nestjs/cqrs';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { openStores } from './stores.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';
import { systemClock } from './core/clock.js';
import type { EventStore } from './event-store/event-store.port.js';
import { consoleHints, seedDemoNetwork, tokenHints } from './seed/seed.js';
import { exitOnSignals } from './shutdown.js';

async function isEmpty(store: EventStore): Promise<boolean> {
  for await (const _event of store.readAll({ maxCount: 1 })) return false;
  return true;
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { eventStore, readStore } = await openStores(config);
  const firstStart = config.eventStore.kind === 'sqlite' && (await isEmpty(eventStore));
  const consoleDir = fileURLToPath(new URL('./console', import.meta.url));
  const app = await createApp({ config, eventStore, readStore, clock: systemClock }, { consoleDir });
  exitOnSignals(() => app.close(), config.shutdownTimeoutSeconds);
  if (firstStart) {
    const report = await seedDemoNetwork(app.get(CommandBus), systemClock);
    console.log(`First start: seeded the demo WKSBM (${report.appended} commands) into ${config.dataDir}`);
  }
  await app.listen({ port: config.port, host: config.host });
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  console.log([
    `Rujukan listening on ${base}/api/v1 (OpenAPI: ${base}/docs), events in ${config.eventStore.kind === 'sqlite' ? config.eventStore.file : 'EventStoreDB'}`,
    `The console: ${config.publicUrl}/ — sign in with a link from:`,
    ...consoleHints(),
    'API tokens for the demo data:',
    ...tokenHints(),
  ].join('\n'));
}

await main();
