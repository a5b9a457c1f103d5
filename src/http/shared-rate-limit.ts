/**
 * The write limit's counters, shared by every replica through the read store's `rate_limits` collection
 * (not a view: nothing rebuilds it, nothing needs to keep it): one document per writer, holding the current
 * one-minute window and its count, so N replicas together allow the limit once, not N times. While the read
 * store cannot be reached, each process counts on its own meanwhile (writes still go through, each replica
 * limiting them by itself).
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { ReadStoreUnavailableError, type Document, type ReadStore } from '../read-store/read-store.port.js';

export const RATE_LIMITS = 'rate_limits';

interface Counter extends Document {
  /** The window this count belongs to: floor(time / window length). */
  readonly window: number;
  readonly count: number;
}

/** A store for @fastify/rate-limit over `views` (the plugin constructs it itself, hence a class made here). */
export function sharedRateLimitStore(views: ReadStore): FastifyRateLimitStoreCtor {
  const local = new Map<string, { window: number; count: number }>();

  async function count(key: string, windowMs: number, now: number): Promise<number> {
    const window = Math.floor(now / windowMs);
    try {
      const counters = views.collection<Counter>(RATE_LIMITS);
      await counters.bulkWrite([
        { updateOne: { filter: { _id: key, window: { $ne: window } }, update: { $set: { window, count: 0 } } } },
        { updateOne: { filter: { _id: key }, update: { $inc: { count: 1 }, $setOnInsert: { window } }, upsert: true } },
      ]);
      return (await counters.findOne({ _id: key }))?.count ?? 1;
    } catch (error) {
      if (!(error instanceof ReadStoreUnavailableError)) throw error;
      const mine = local.get(key);
      const counter = mine && mine.window === window ? { window, count: mine.count + 1 } : { window, count: 1 };
      local.set(key, counter);
      if (local.size > 10_000) local.delete(local.keys().next().value!);
      return counter.count;
    }
  }

  return class SharedRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const now = Date.now();
      count(key, timeWindow, now).then(
        (current) => callback(null, { current, ttl: (Math.floor(now / timeWindow) + 1) * timeWindow - now }),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
