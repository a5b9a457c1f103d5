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
