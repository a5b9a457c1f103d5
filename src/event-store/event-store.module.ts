/**
 * Chooses the event store adapter from configuration and closes it on shutdown. The app reads
 * it upcast (EVENT_STORE) and, for integrity checks and exports, as stored (STORED_EVENT_STORE).
 */
import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { ACCESS_STREAM_PREFIX } from '../audit/access.events.js';
import { CASE_STREAM_PREFIX } from '../cases/case.events.js';
import type { AppConfig } from '../config/config.js';
import { UpcastingEventStore } from '../core/upcasting.js';
import { INSTITUTION_STREAM_PREFIX } from '../institutions/institution.events.js';
import { NETWORK_STREAM_PREFIX } from '../networks/network.events.js';
import { SUBJECT_STREAM_PREFIX } from '../privacy/subject.events.js';
import { USER_STREAM_PREFIX } from '../users/user.events.js';
import { WEBHOOK_STREAM_PREFIX } from '../webhooks/webhook.events.js';
import { EVENT_STORE, STORED_EVENT_STORE, type EventStore } from './event-store.port.js';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

/** Every stream the service writes: a new kind of stream must be added here, or EventStoreDB subscriptions skip it. */
export const SERVICE_STREAM_PREFIXES = [CASE_STREAM_PREFIX, INSTITUTION_STREAM_PREFIX, NETWORK_STREAM_PREFIX, ACCESS_STREAM_PREFIX, SUBJECT_STREAM_PREFIX, USER_STREAM_PREFIX, WEBHOOK_STREAM_PREFIX] as const;

export function openEventStore(config: AppConfig): EventStore {
  switch (config.eventStore.kind) {
    case 'sqlite':
      return new SqliteEventStore(config.eventStore.file);
    case 'eventstoredb':
      return new EventStoreDbEventStore(config.eventStore.url, { serviceStreamPrefixes: SERVICE_STREAM_PREFIXES });
  }
}

@Global()
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(STORED_EVENT_STORE) private readonly store: EventStore) {}

  static forRoot(store: EventStore): DynamicModule {
    return {
      module: EventStoreModule,
      providers: [{ provide: STORED_EVENT_STORE, useValue: store }, { provide: EVENT_STORE, useValue: new UpcastingEventStore(store) }],
      exports: [EVENT_STORE, STORED_EVENT_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
