/**
 * Chooses the event store adapter from configuration and closes it on shutdown. The app reads
 * it upcast (EVENT_STORE) and, for integrity checks and exports, as stored (STORED_EVENT_STORE).
 */
import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';
import { UPCASTERS, UpcastingEventStore, type Upcasters } from '../core/upcasting.js';
import { EVENT_STORE, STORED_EVENT_STORE, type EventStore } from './event-store.port.js';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

/** The configured store; `serviceStreamPrefixes` (src/event-catalog.ts) are the streams an EventStoreDB subscription reads. */
export function openEventStore(config: AppConfig, serviceStreamPrefixes: readonly string[]): EventStore {
  switch (config.eventStore.kind) {
    case 'sqlite':
      return new SqliteEventStore(config.eventStore.file);
    case 'eventstoredb':
      return new EventStoreDbEventStore(config.eventStore.url, { serviceStreamPrefixes });
  }
}

@Global()
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(STORED_EVENT_STORE) private readonly store: EventStore) {}

  static forRoot(store: EventStore, upcasters: Upcasters): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [
        { provide: STORED_EVENT_STORE, useValue: store },
        { provide: EVENT_STORE, useValue: new UpcastingEventStore(store, upcasters) },
        { provide: UPCASTERS, useValue: upcasters },
      ],
      exports: [EVENT_STORE, STORED_EVENT_STORE, UPCASTERS],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
