/** Only one replica delivers: two on one read store, one holds the lease; the other takes over when it stops renewing or lets go. */
import { SqliteReadStore } from '../../read-store/sqlite/sqlite-read-store.js';
import { DeliveryLease } from './delivery-lease.js';

const TTL = 15_000;
const at = (ms: number) => new Date(Date.parse('2026-11-02T08:00:00.000Z') + ms);

describe('delivery lease', () => {
  let views: SqliteReadStore;
  beforeEach(() => {
    views = new SqliteReadStore(':memory:');
  });
  afterEach(() => views.close());

  it('lets one replica deliver at a time, and another take over once the first stops renewing', async () => {
    const first = new DeliveryLease(views, TTL);
    const second = new DeliveryLease(views, TTL);
    expect(await first.hold(at(0))).toBe(true);
    expect(await second.hold(at(100))).toBe(false);
    // The first renews while it runs; the second keeps asking, and keeps being refused.
    for (let ms = 1_000; ms <= 40_000; ms += 1_000) {
      expect(await first.hold(at(ms))).toBe(true);
      expect(await second.hold(at(ms + 100))).toBe(false);
    }
    // The first dies: within the lease's time to live (and a third of it, how often the second asks) the second delivers.
    const takenAt = await (async () => {
      for (let ms = 41_000; ms <= 41_000 + TTL + TTL / 3 + 1_000; ms += 500) if (await second.hold(at(ms))) return ms;
      return null;
    })();
    expect(takenAt).not.toBeNull();
    expect(takenAt! - 40_000).toBeLessThanOrEqual(TTL + TTL / 3 + 500);
    expect(await first.hold(at(takenAt! + TTL / 3 + 1))).toBe(false);
  });

  it('hands over at once when the holder lets go (a clean shutdown)', async () => {
    const first = new DeliveryLease(views, TTL);
    const second = new DeliveryLease(views, TTL);
    expect(await first.hold(at(0))).toBe(true);
    await first.release();
    expect(await second.hold(at(1))).toBe(true);
  });
});
