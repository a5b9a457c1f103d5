import { randomUUID } from 'node:crypto';
import { describeWithServer, mongoForSpecs } from '../../../test/support/servers.js';
import { describeReadStoreContract } from '../read-store.contract.js';
import { MongoReadStore } from './mongodb-read-store.js';

const server = mongoForSpecs();

describeWithServer('mongodb read store', server.skipReason, () => {
  // Each run in its own database, so runs never see each other's documents.
  describeReadStoreContract(`mongodb (${server.url})`, () => MongoReadStore.connect(server.url!, `rujukan_test_${randomUUID().slice(0, 8)}`));
});
