/** Chooses the read store adapter from configuration and closes it on shutdown. */
import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { CircuitBreakingReadStore } from './circuit-breaker.js';
import { isUnreachable, MongoReadStore } from './mongodb/mongodb-read-store.js';
import { READ_STORE, type ReadStore } from './read-store.port.js';
import { SqliteReadStore } from './sqlite/sqlite-read-store.js';

export async function openReadStore(config: AppConfig): Promise<ReadStore> {
  switch (config.readStore.kind) {
    case 'sqlite':
      return new SqliteReadStore(config.readStore.file);
    case 'mongodb': {
      const store = await MongoReadStore.connect(config.readStore.url);
      if (!store.writesTogetherAtomically) {
        new Logger('ReadStore').warn('the MongoDB server has no transactions (a standalone server or FerretDB): a projection batch and its lease check are not one unit, so with several replicas or a live `projections rebuild` a runner that stalls past a take-over can still apply one batch; run MongoDB as a replica set (docker-compose does)');
      }
      return new CircuitBreakingReadStore(store, isUnreachable);
    }
  }
}

@Global()
@Module({})
export class ReadStoreModule implements OnApplicationShutdown {
  constructor(@Inject(READ_STORE) private readonly store: ReadStore) {}

  static forRoot(store: ReadStore): DynamicModule {
    return { module: ReadStoreModule, providers: [{ provide: READ_STORE, useValue: store }], exports: [READ_STORE] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
