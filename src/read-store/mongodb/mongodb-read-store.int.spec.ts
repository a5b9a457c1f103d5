import { randomUUID } from 'node:crypto';
import { describeWithServer, mongoForSpecs, mongoIsFerretDb } from '../../../test/support/servers.js';
import { describeReadStoreContract } from '../read-store.contract.js';
import { MongoBulkWriteError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { isUnreachable, MongoReadStore } from './mongodb-read-store.js';

const server = mongoForSpecs();

if (server.skipReason === null && mongoIsFerretDb()) {
  process.stderr.write('NOT RUN: mongodb read store: writeTogether as one transaction: FerretDB 1.24 has no transactions (the contract checks the ordered, non-atomic form instead); needs MONGODB_URL of a MongoDB replica set, as docker-compose runs it\n');
}

describeWithServer('mongodb read store', server.skipReason, () => {
  // Each run in its own database, so runs never see each other's documents.
  describeReadStoreContract(`mongodb (${server.url})`, () => MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`));

  it('carries on with a new client after reconnect(), collections taken before included', async () => {
    const store = await MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`);
    try {
      const items = store.collection('items');
      await items.bulkWrite([{ replaceOne: { filter: { _id: 'a' }, replacement: { _id: 'a', n: 1 }, upsert: true } }]);
      store.reconnect();
      await items.bulkWrite([{ replaceOne: { filter: { _id: 'b' }, replacement: { _id: 'b', n: 2 }, upsert: true } }]);
      expect(await items.find({}, { sort: { _id: 1 } })).toEqual([{ _id: 'a', n: 1 }, { _id: 'b', n: 2 }]);
      await store.dropDatabase();
    } finally {
      await store.close();
    }
  });

  it('fails the operations still running on the client reconnect() replaced as unreachable, so they are retried, not halted on', async () => {
    const store = await MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`);
    try {
      const items = store.collection('items');
      const failures: unknown[] = [];
      for (let round = 0; round < 5; round++) {
        // Writes and reads in flight (on a connection, or waiting for one) when the client is replaced.
        const running = Array.from({ length: 40 }, (_, n) => (n % 2 === 0
          ? items.bulkWrite([{ replaceOne: { filter: { _id: `r${round}-${n}` }, replacement: { _id: `r${round}-${n}`, n }, upsert: true } }])
          : items.find({ n: { $gte: 0 } })));
        await new Promise((done) => setImmediate(done));
        store.reconnect();
        for (const outcome of await Promise.allSettled(running)) if (outcome.status === 'rejected') failures.push(outcome.reason);
      }
      expect(failures.length).toBeGreaterThan(0);
      expect(failures.filter((error) => !isUnreachable(error)).map((error) => `${(error as Error).name}: ${(error as Error).message}`)).toEqual([]);
      // The new client serves.
      await items.bulkWrite([{ replaceOne: { filter: { _id: 'after' }, replacement: { _id: 'after', n: -1 }, upsert: true } }]);
      expect(await items.findOne({ _id: 'after' })).toEqual({ _id: 'after', n: -1 });
      await store.dropDatabase();
    } finally {
      await store.close();
    }
  });
});

describe('which driver errors mean the server cannot be reached (503 and a retry, never a halted projection)', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { code: 'ECONNREFUSED' });

  it('takes a failed connection under a bulk write, a socket closed mid-write and a timeout as unreachable', () => {
    const network = new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017', { cause: refused });
    expect(isUnreachable(new MongoBulkWriteError(network, { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never))).toBe(true);
    expect(isUnreachable(Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }))).toBe(true);
    expect(isUnreachable(new MongoNetworkTimeoutError('Timed out during socket read (30000ms)'))).toBe(true);
    expect(isUnreachable(new MongoServerSelectionError('Server selection timed out after 5000 ms', {} as never))).toBe(true);
  });

  it('leaves the faults of the operation itself alone', () => {
    expect(isUnreachable(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key error' }))).toBe(false);
    expect(isUnreachable(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(false);
  });
});
