import { thresholdReached } from './sla-warnings.js';

const requestedAt = '2026-11-02T08:00:00.000Z';
const hoursAfter = (hours: number) => new Date(Date.parse(requestedAt) + hours * 3_600_000);
const due72 = hoursAfter(72).toISOString();
const due24 = hoursAfter(24).toISOString();

describe('which "due in N hours" warning a referral gets', () => {
  it('gets none before the largest threshold, then the tightest one reached', () => {
    expect(thresholdReached(requestedAt, due72, hoursAfter(47), [24, 4])).toBeNull();
    expect(thresholdReached(requestedAt, due72, hoursAfter(48), [24, 4])).toBe(24);
    expect(thresholdReached(requestedAt, due72, hoursAfter(67), [24, 4])).toBe(24);
    expect(thresholdReached(requestedAt, due72, hoursAfter(68), [24, 4])).toBe(4);
    // Once due, the expiry scheduler takes over: no warning.
    expect(thresholdReached(requestedAt, due72, hoursAfter(72), [24, 4])).toBeNull();
  });

  it('never gets a threshold as long as its whole time', () => {
    expect(thresholdReached(requestedAt, due24, hoursAfter(0), [24, 4])).toBeNull();
    expect(thresholdReached(requestedAt, due24, hoursAfter(20), [24, 4])).toBe(4);
  });
});
