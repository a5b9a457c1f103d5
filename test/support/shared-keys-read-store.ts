/**
 * The read store of a second app on a shared folder: views of its own (a replica runs its own projections),
 * but the folder's subject keys, as replicas share the key store in production (one MongoDB). So an app
 * restarted on the same folder rebuilds its views from the log and still opens what was sealed before.
 */
import type { Document, ReadCollection, ReadStore } from '../../src/read-store/read-store.port.js';
import { SUBJECT_KEYS } from '../../src/privacy/subject-key.store.js';

export class SharedKeysReadStore implements ReadStore {
  constructor(private readonly views: ReadStore, private readonly keys: ReadStore) {}

  get writesTogetherAtomically(): boolean {
    return this.views.writesTogetherAtomically;
  }

  collection<T extends Document = Document>(name: string): ReadCollection<T> {
    return (name === SUBJECT_KEYS ? this.keys : this.views).collection<T>(name);
  }

  /** Projections write here: never the keys. */
  writeTogether(writes: Parameters<ReadStore['writeTogether']>[0]): ReturnType<ReadStore['writeTogether']> {
    return this.views.writeTogether(writes);
  }

  renameCollection(from: string, to: string): Promise<void> {
    return this.views.renameCollection(from, to);
  }

  listCollections(): Promise<string[]> {
    return this.views.listCollections();
  }

  async close(): Promise<void> {
    await Promise.all([this.views.close(), this.keys.close()]);
  }
}
