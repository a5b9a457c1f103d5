/**
 * When a failed delivery is tried again: exponential backoff from 15 s, doubling up to an hour, with jitter
 * (a random half of each delay) so that many deliveries failing together do not come back together; the last
 * try falls at the end of the retry window (WEBHOOK_RETRY_HOURS after the first attempt), and a failure then
 * dead-letters it.
 */
const BASE_MS = 15_000;
const CAP_MS = 3_600_000;

/** The delay before try `failures + 1`, jittered by `random` in [0, 1). */
export function backoffMs(failures: number, random: number): number {
  const delay = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(delay / 2 + (delay / 2) * random);
}

/** The next try after the `failures`-th failure at `now`, or null when the window is over: dead-lettered. */
export function nextAttemptAt(failures: number, firstAttemptAt: Date, now: Date, windowMs: number, random = Math.random()): Date | null {
  const deadline = firstAttemptAt.getTime() + windowMs;
  if (now.getTime() >= deadline) return null;
  return new Date(Math.min(now.getTime() + backoffMs(failures, random), deadline));
}
