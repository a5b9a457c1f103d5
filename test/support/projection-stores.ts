/** The set-up the projection integration specs share. */
import { Logger } from '@nestjs/common';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/read-store/sqlite/sqlite-read-store.js';

/** Nest's logger silent for the enclosing describe block: halts and retries are logged on purpose, not for the test output. */
export function quietNestLogger(): void {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
}

export interface MemoryStores {
  readonly events: SqliteEventStore;
  readonly views: SqliteReadStore;
}

/** Fresh in-memory event and read stores for each test of the enclosing block (handed to `use`), closed after it. */
export function memoryStoresPerTest(use: (stores: MemoryStores) => void): void {
  let stores: MemoryStores;
  beforeEach(() => {
    stores = { events: new SqliteEventStore(':memory:', { pollIntervalMs: 20 }), views: new SqliteReadStore(':memory:') };
    use(stores);
  });
  afterEach(async () => {
    await Promise.all([stores.events.close(), stores.views.close()]);
  });
}
