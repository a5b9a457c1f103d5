import { CircuitBreakingReadStore } from './circuit-breaker.js';
import { ReadStoreUnavailableError, type Document, type ReadCollection, type ReadStore } from './read-store.port.js';

class Unreachable extends Error {}

/**
 * A store whose server is down until `up` is set, and which counts how often it was asked for a new client;
 * while `hanging` is set, a write neither answers nor fails until a new client is made.
 */
function flakyStore(): ReadStore & { up: boolean; hanging: boolean; reconnects: number; reconnect: () => void } {
  let abandon = (): void => undefined;
  const store = {
    up: false,
    hanging: false,
    reconnects: 0,
    writesTogetherAtomically: true,
    reconnect: () => {
      store.reconnects++;
      abandon();
    },
    collection: <T extends Document>() => ({
      findOne: async () => {
        if (!store.up) throw new Unreachable('down');
        return null;
      },
      bulkWrite: () => (store.hanging
        ? new Promise((_, reject) => (abandon = () => reject(new Unreachable('client closed'))))
        : Promise.resolve({ matched: 0, modified: 0, upserted: 0, deleted: 0 })),
    }) as unknown as ReadCollection<T>,
    writeTogether: async () => [],
    renameCollection: async () => {},
    listCollections: async () => [],
    close: async () => {},
  };
  return store;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the circuit-breaking read store', () => {
  it('answers "unavailable" while the server is down, and asks the adapter for a new client only after it stayed down a while', async () => {
    const inner = flakyStore();
    const store = new CircuitBreakingReadStore(inner, (error) => error instanceof Unreachable, { openMs: 5, reconnectAfterMs: 60 });
    const reads = store.collection('cases');

    await expect(reads.findOne({ _id: 'a' })).rejects.toBeInstanceOf(ReadStoreUnavailableError);
    expect(inner.reconnects).toBe(0);
    for (const started = Date.now(); Date.now() - started < 80;) {
      await sleep(10);
      await reads.findOne({ _id: 'a' }).catch(() => undefined);
    }
    expect(inner.reconnects).toBe(1);

    // Back: the next read after the breaker's pause succeeds, and being down again starts a new count.
    inner.up = true;
    await sleep(10);
    await expect(reads.findOne({ _id: 'a' })).resolves.toBeNull();
    inner.up = false;
    await reads.findOne({ _id: 'a' }).catch(() => undefined);
    await sleep(10);
    await reads.findOne({ _id: 'a' }).catch(() => undefined);
    expect(inner.reconnects).toBe(1);
  });

  it('gives up an operation that neither answers nor fails by the deadline, as unreachable, and replaces the client', async () => {
    const inner = flakyStore();
    inner.up = true;
    inner.hanging = true;
    const store = new CircuitBreakingReadStore(inner, (error) => error instanceof Unreachable, { openMs: 5, reconnectAfterMs: 60_000, deadlineMs: 30 });
    const views = store.collection('cases');

    const failure = await views.bulkWrite([]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReadStoreUnavailableError);
    expect((failure as Error).cause).toMatchObject({ name: 'OperationOverdueError' });
    expect(inner.reconnects).toBe(1);

    // The new client answers: the next write after the breaker's pause succeeds.
    inner.hanging = false;
    await sleep(10);
    await expect(views.bulkWrite([])).resolves.toMatchObject({ matched: 0 });
    expect(inner.reconnects).toBe(1);
  });
});
