import { backoffMs, nextAttemptAt } from './retry-schedule.js';

const T0 = new Date('2026-11-02T08:00:00.000Z');
const DAY = 24 * 3_600_000;

describe('retry schedule', () => {
  it('doubles from 15 s up to an hour, each delay jittered between half and all of it', () => {
    expect([1, 2, 3, 4].map((failures) => backoffMs(failures, 0.999999))).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect([1, 2, 3, 4].map((failures) => backoffMs(failures, 0))).toEqual([7_500, 15_000, 30_000, 60_000]);
    expect(backoffMs(20, 0.999999)).toBeGreaterThan(3_599_990);
    expect(backoffMs(40, 0.999999)).toBeLessThanOrEqual(3_600_000);
    expect(backoffMs(20, 0)).toBe(1_800_000);
  });

  it('spreads deliveries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffMs(5, Math.random())));
    expect(delays.size).toBeGreaterThan(40);
  });

  it('tries for the whole window, the last time at its end, then dead-letters', () => {
    let now = T0;
    const tries: Date[] = [];
    for (let failures = 1; ; failures++) {
      const next = nextAttemptAt(failures, T0, now, DAY, 0.5);
      if (next === null) break;
      tries.push(next);
      now = next;
    }
    expect(tries[tries.length - 1]!.getTime()).toBe(T0.getTime() + DAY);
    expect(tries.length).toBeGreaterThan(20);
    expect(tries.length).toBeLessThan(60);
    expect(nextAttemptAt(1, T0, new Date(T0.getTime() + DAY), DAY)).toBeNull();
  });
});
