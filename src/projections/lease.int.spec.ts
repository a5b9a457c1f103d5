import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
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

  it('hands out a fencing token that grows with every take and stays the same while renewed', async () => {
    const first = new Lease(store, 'tokens', 'replica-1', 30_000);
    const second = new Lease(store, 'tokens', 'replica-2', 30_000);
    expect(await first.acquire(at(0))).toBe(true);
    const token = first.token!;
    expect(await first.acquire(at(10))).toBe(true);
    expect(first.token).toBe(token);
    expect(await second.acquire(at(41))).toBe(true);
    expect(second.token).toBe(token + 1);
    // The old holder learns it lost the lease on its next renewal.
    expect(await first.acquire(at(42))).toBe(false);
    expect(first.token).toBeNull();
    expect(await first.preempt(at(43))).toBe(true);
    expect(first.token).toBe(token + 2);
    expect(await second.stillHeld()).toBe(false);
    expect(await first.stillHeld()).toBe(true);
  });

  it('is taken over at once from a process of this host that has exited, not from a live one', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const dead = new Lease(store, 'crashed', `${hostname()}:${gone}:x`, 30_000);
    expect(await dead.acquire(at(0))).toBe(true);
    expect(await new Lease(store, 'crashed', `${hostname()}:${process.pid}:y`, 30_000).acquire(at(1))).toBe(true);
    const alive = new Lease(store, 'alive', `${hostname()}:${process.ppid}:x`, 30_000);
    expect(await alive.acquire(at(0))).toBe(true);
    expect(await new Lease(store, 'alive', `${hostname()}:${process.pid}:y`, 30_000).acquire(at(1))).toBe(false);
  });
});
