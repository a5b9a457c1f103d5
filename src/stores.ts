/** Opens the configured event log and views; used by the server and by the CLI, which needs no HTTP app. */
import type { AppConfig } from './config/config.js';
import { SERVICE_STREAM_PREFIXES } from './event-catalog.js';
import { openEventStore } from './event-store/event-store.module.js';
import type { EventStore } from './event-store/event-store.port.js';
import { openReadStore } from './read-store/read-store.module.js';
import type { ReadStore } from './read-store/read-store.port.js';

/** The event log and the views, as configured. */
export async function openStores(config: AppConfig): Promise<{ eventStore: EventStore; readStore: ReadStore }> {
  const eventStore = openEventStore(config, SERVICE_STREAM_PREFIXES);
  try {
    return { eventStore, readStore: await openReadStore(config) };
  } catch (error) {
    await eventStore.close();
    throw error;
  }
}
