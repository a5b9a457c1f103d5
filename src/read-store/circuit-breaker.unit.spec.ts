import { CircuitBreakingReadStore } from './circuit-breaker.js';
import { ReadStoreUnavailableError, type Document, type ReadCollection, type ReadStore } from './read-store.port.js';

class Unreachable extends Error {}

/** A store whose server is down until `up` is set, and which counts how often it was asked for a new client. */
function flakyStore(): ReadStore & { up: boolean; reconnects: number; reconnect: () => void } {
  const store = {
    up: false,
    reconnects: 0,
    writesTogetherAtomically: true,
    reconnect: () => void store.reconnects++,
    collection: <T extends Document>() => ({
      findOne: async () => {
        if (!store.up) throw new Unreachable('down');
        return null;
      },
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
    const store = new CircuitBreakingReadStore(inner, (error) => error instanceof Unreachable, 5, 60);
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
});
