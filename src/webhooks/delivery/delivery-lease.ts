/**
 * "Only one replica delivers": the one place webhook delivery depends on a lease. Today the lease of
 * src/projections/lease.ts (the expiry scheduler's); when the reliability work's fenced lease lands, only this
 * file changes. Renewed at a third of its time to live, and asked for as often by a replica that does not hold
 * it, so a tick does not write to the read store each time.
 */
import { newId } from '../../core/ids.js';
import { Lease } from '../../projections/lease.js';
import type { ReadStore } from '../../read-store/read-store.port.js';

export class DeliveryLease {
  private readonly lease: Lease;
  private heldUntil = 0;
  private nextTry = 0;

  constructor(views: ReadStore, private readonly ttlMs: number) {
    this.lease = new Lease(views, 'webhook-delivery', newId(), ttlMs);
  }

  /** Whether this process delivers now: takes or renews the lease when due. */
  async hold(now: Date): Promise<boolean> {
    if (now.getTime() < this.nextTry) return this.heldUntil > now.getTime();
    const held = await this.lease.acquire(now);
    this.heldUntil = held ? now.getTime() + this.ttlMs : 0;
    this.nextTry = now.getTime() + this.ttlMs / 3;
    return held;
  }

  async release(): Promise<void> {
    this.heldUntil = 0;
    this.nextTry = 0;
    await this.lease.release();
  }
}
