/** Chooses the event store adapter from configuration (DESIGN §6) and closes it on shutdown. */
import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigError, type AppConfig } from '../config/config.js';
import { EVENT_STORE, type EventStore } from './event-store.port.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

export function openEventStore(config: AppConfig): EventStore {
  switch (config.eventStore.kind) {
    case 'sqlite':
      return new SqliteEventStore(config.eventStore.file);
    case 'eventstoredb':
      throw new ConfigError('EVENT_STORE', 'the eventstoredb adapter is not part of this build yet; use sqlite');
  }
}

@Global()
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  static forRoot(store: EventStore): DynamicModule {
    return { module: EventStoreModule, providers: [{ provide: EVENT_STORE, useValue: store }], exports: [EVENT_STORE] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
