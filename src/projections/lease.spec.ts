import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { Lease } from './lease.js';

describe('lease', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rujukan-lease-'));
  const store = new SqliteReadStore(join(dir, 'views.sqlite'));
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const at = (seconds: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, seconds));

  it('is held by one owner at a time, renewed by its holder, and taken over only once it expires or is released', async () => {
    const first = new Lease(store, 'job', 'replica-1', 30_000);
    const second = new Lease(store, 'job', 'replica-2', 30_000);
    expect(await first.acquire(at(0))).toBe(true);
    expect(await second.acquire(at(1))).toBe(false);
    expect(await first.acquire(at(20))).toBe(true);
    expect(await second.acquire(at(45))).toBe(false);
    expect(await second.acquire(at(51))).toBe(true);
    expect(await first.acquire(at(52))).toBe(false);
    await second.release();
    expect(await first.acquire(at(53))).toBe(true);
  });
});
