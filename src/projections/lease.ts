/**
 * A lease in the read store, so that work meant to run in one place at a time (the expiry scheduler)
 * does, among several replicas: whoever holds an unexpired lease keeps it by renewing; anyone may take
 * an expired one. Only guarded updates, no exception as control flow (FerretDB-safe).
 */
import type { Document, ReadStore } from '../read-store/read-store.port.js';

export const LEASES = 'leases';

interface LeaseDocument extends Document {
  readonly owner: string | null;
  readonly expiresAt: string;
  /** Grows with every acquisition and renewal, so an accepted one always counts as a modification (a renewal at the same instant would otherwise change nothing). */
  readonly term: number;
}

export class Lease {
  constructor(
    private readonly views: ReadStore,
    readonly name: string,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes or renews the lease; true when this owner holds it until now + ttl. */
  async acquire(now: Date): Promise<boolean> {
    const leases = this.views.collection<LeaseDocument>(LEASES);
    const result = await leases.bulkWrite([
      { updateOne: { filter: { _id: this.name }, update: { $setOnInsert: { owner: null, expiresAt: new Date(0).toISOString(), term: 0 } }, upsert: true } },
      {
        updateOne: {
          filter: { _id: this.name, $or: [{ owner: this.owner }, { expiresAt: { $lt: now.toISOString() } }] },
          update: { $set: { owner: this.owner, expiresAt: new Date(now.getTime() + this.ttlMs).toISOString() }, $inc: { term: 1 } },
        },
      },
    ]);
    return result.modified === 1;
  }

  async release(): Promise<void> {
    await this.views.collection<LeaseDocument>(LEASES).bulkWrite([
      { updateOne: { filter: { _id: this.name, owner: this.owner }, update: { $set: { owner: null, expiresAt: new Date(0).toISOString() } } } },
    ]);
  }
}
