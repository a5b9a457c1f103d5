/**
 * A lease in the read store, so that work meant to run in one place at a time (each projection, the expiry
 * scheduler) does, among several replicas: whoever holds an unexpired lease keeps it by renewing; anyone may
 * take an expired or released one, or one whose holder is a process of this host that no longer exists (a
 * restart after a crash need not wait out the lease).
 *
 * Every take hands out a fencing token, one more than the last: what the holder writes carries its token
 * (`fenced`), and a write over a document stamped with a newer token is refused, so a holder that was paused
 * past its lease and resumes cannot overwrite what its successor wrote. Takes are compare-and-set on the
 * lease's `term`, which every change increments: only guarded updates, no exception as control flow
 * (FerretDB-safe).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { hasExited } from '../core/processes.js';
import type { CollectionWrites, Document, Filter, ReadStore, WriteOperation } from '../read-store/read-store.port.js';

export const LEASES = 'leases';
/** Where a fenced write stamps its token in each document it writes. */
export const FENCE = '_fence';

interface LeaseDocument extends Document {
  readonly owner: string | null;
  readonly expiresAt: string;
  /** Grows with every change, so a compare-and-set on it sees any other change, and an accepted change always counts as a modification. */
  readonly term: number;
  /** The fencing token of the current (or last) holder. */
  readonly token?: number;
  /** The highest token handed out, to a holder or reserved: the next is one more. */
  readonly issued?: number;
}

const lastIssued = (lease: LeaseDocument): number => Math.max(lease.token ?? 0, lease.issued ?? 0);

/** Who holds a lease: this host and process (to tell a dead local holder), and a random part (several apps share a process in tests). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID()}`;
}

/** Whether `owner` names a process of this host that has exited. */
function holderIsGone(owner: string): boolean {
  const [host, pid] = owner.split(':');
  return host === hostname() && /^\d+$/.test(pid ?? '') && hasExited(Number(pid));
}

export class Lease {
  private held: { readonly token: number } | null = null;

  constructor(
    private readonly views: ReadStore,
    readonly name: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  /** The fencing token while this owner believes it holds the lease, else null. */
  get token(): number | null {
    return this.held?.token ?? null;
  }

  private get leases() {
    return this.views.collection<LeaseDocument>(LEASES);
  }

  /** Takes or renews the lease; true when this owner holds it until now + ttl. */
  async acquire(now: Date): Promise<boolean> {
    if (this.held !== null) {
      if (await this.renew(now)) return true;
      this.held = null;
    }
    const current = await this.current();
    const free = current.owner === null || current.owner === this.owner || current.expiresAt < now.toISOString() || holderIsGone(current.owner);
    return free && this.take(current, now);
  }

  /** Takes the lease now, whoever holds it (a rebuild's hand-over): the holder's next fenced write is refused. */
  async preempt(now: Date): Promise<boolean> {
    this.held = null;
    return this.take(await this.current(), now);
  }

  /**
   * A token above every one handed out so far, without taking the lease (a rebuild's scratch build): what is
   * written with it cannot be overwritten by the current holder, and any later holder's token is higher.
   */
  async reserveToken(): Promise<number> {
    for (;;) {
      const current = await this.current();
      const token = lastIssued(current) + 1;
      const result = await this.leases.bulkWrite([{ updateOne: { filter: { _id: this.name, term: current.term }, update: { $set: { issued: token }, $inc: { term: 1 } } } }]);
      if (result.modified === 1) return token;
    }
  }

  /** Gives the lease up, if still held, so that another replica need not wait for it to expire. */
  async release(): Promise<void> {
    const held = this.held;
    this.held = null;
    if (held === null) return;
    await this.leases.bulkWrite([{
      updateOne: { filter: { _id: this.name, owner: this.owner, token: held.token }, update: { $set: { owner: null, expiresAt: new Date(0).toISOString() }, $inc: { term: 1 } } },
    }]);
  }

  /**
   * A write that fails, as a duplicate key, once the lease no longer carries `token` (another owner took it,
   * or this one took it anew). Written first in a batch, it refuses the batch as a whole to a holder that lost
   * the lease without noticing yet: on the embedded store atomically; on MongoDB before any of the batch's
   * other writes. The fence (`fenced`) cannot do that for documents that do not exist yet.
   */
  holding(token: number): CollectionWrites {
    return { collection: LEASES, operations: [{ updateOne: { filter: { _id: this.name, token }, update: { $set: { token } }, upsert: true } }] };
  }

  /** Who holds the lease as stored, and until when; null when nobody does (released, expired or never taken). */
  async holder(now: Date): Promise<{ readonly owner: string; readonly expiresAt: string } | null> {
    const current = await this.leases.findOne({ _id: this.name });
    if (!current || current.owner === null || current.expiresAt < now.toISOString() || holderIsGone(current.owner)) return null;
    return { owner: current.owner, expiresAt: current.expiresAt };
  }

  /** Whether the lease as stored is still this owner's, with its token. */
  async stillHeld(): Promise<boolean> {
    if (this.held === null) return false;
    const current = await this.leases.findOne({ _id: this.name });
    return current?.owner === this.owner && current.token === this.held.token;
  }

  private async current(): Promise<LeaseDocument> {
    const found = await this.leases.findOne({ _id: this.name });
    if (found) return found;
    await this.leases.bulkWrite([{ updateOne: { filter: { _id: this.name }, update: { $setOnInsert: { owner: null, expiresAt: new Date(0).toISOString(), term: 0, token: 0, issued: 0 } }, upsert: true } }]);
    return (await this.leases.findOne({ _id: this.name }))!;
  }

  private async take(current: LeaseDocument, now: Date): Promise<boolean> {
    const token = lastIssued(current) + 1;
    const result = await this.leases.bulkWrite([{
      updateOne: {
        filter: { _id: this.name, term: current.term },
        update: { $set: { owner: this.owner, expiresAt: new Date(now.getTime() + this.ttlMs).toISOString(), token, issued: token }, $inc: { term: 1 } },
      },
    }]);
    if (result.modified !== 1) return false;
    this.held = { token };
    return true;
  }

  private async renew(now: Date): Promise<boolean> {
    const result = await this.leases.bulkWrite([{
      updateOne: {
        filter: { _id: this.name, owner: this.owner, token: this.held!.token },
        update: { $set: { expiresAt: new Date(now.getTime() + this.ttlMs).toISOString() }, $inc: { term: 1 } },
      },
    }]);
    return result.modified === 1;
  }
}

/** How long a replica that stopped renewing (crashed on another host, cut off) keeps a projection from the others. */
export const PROJECTION_LEASE_TTL_MS = 15_000;

export const projectionLeaseId = (name: string): string => `projection:${name}`;

/** The lease under which a projection runs on one replica at a time. */
export function projectionLease(views: ReadStore, projection: { readonly name: string }, owner: string): Lease {
  return new Lease(views, projectionLeaseId(projection.name), owner, PROJECTION_LEASE_TTL_MS);
}

/**
 * `filter`, refused by a document a newer holder has written; a fenced upsert on one fails as a duplicate key.
 * Copies by Object.assign, not spreads, as `positioned` does (view-projection.ts): quicker to build and to serialize.
 */
const notNewerThan = (filter: Filter, token: number): Filter => Object.assign({}, filter, { [FENCE]: { $not: { $gt: token } } });

/** `operation` as a holder with `token` may apply it: never over a newer holder's document, stamping its own token. */
export function fenced(operation: WriteOperation, token: number): WriteOperation {
  if ('deleteOne' in operation) return { deleteOne: { filter: notNewerThan(operation.deleteOne.filter, token) } };
  if ('replaceOne' in operation) {
    const { filter, replacement, upsert } = operation.replaceOne;
    return { replaceOne: { filter: notNewerThan(filter, token), replacement: Object.assign({}, replacement, { [FENCE]: token }), ...(upsert === undefined ? {} : { upsert }) } };
  }
  const { filter, update, upsert } = operation.updateOne;
  return { updateOne: { filter: notNewerThan(filter, token), update: { ...update, $set: { ...update.$set, [FENCE]: token } }, ...(upsert === undefined ? {} : { upsert }) } };
}

/** A document as the projection wrote it, without the fencing stamp (which says who wrote it, not what it holds). */
export function unfenced<T extends Document>(document: T): T {
  if (!(FENCE in document)) return document;
  const { [FENCE]: _stamp, ...rest } = document;
  return rest as T;
}
