/**
 * SIGTERM under a write load (the built service as a child process, on the embedded stores): the service
 * stops taking requests, finishes those in flight, and exits 0; every command it acknowledged is stored
 * once, and those it refused or never answered are stored once when retried after a restart. A request that
 * never completes cannot hold the process past SHUTDOWN_TIMEOUT_SECONDS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { derivedId } from '../src/core/ids.js';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { NETWORK, OWNER } from './support/demo.js';
import { requireBuild, Service, withServiceLog } from './support/service.js';
import { SECRET } from './support/test-app.js';

const CLIENTS = 6;
const TERM_AFTER_ACKNOWLEDGED = 60;
const log: string[] = [];
const withLog = (step: () => Promise<void>) => withServiceLog(log, step);
const dataDirs: string[] = [];
const services: Service[] = [];
let token: string;

interface Sent {
  readonly key: string;
  readonly sentAt: number;
  outcome: { status: number; body: any; retryAfter: string | null } | { error: string } | null;
}

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rujukan-shutdown-'));
  dataDirs.push(dir);
  return dir;
}

async function openCase(service: Service, command: Sent): Promise<void> {
  try {
    const response = await fetch(`${service.base}/cases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': command.key },
      body: JSON.stringify({ networkId: NETWORK, subject: { name: `Subject ${command.key}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x' }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    command.outcome = { status: response.status, body: text ? JSON.parse(text) : undefined, retryAfter: response.headers.get('retry-after') };
  } catch (error) {
    command.outcome = { error: String((error as { cause?: unknown }).cause ?? error) };
  }
}

beforeAll(async () => {
  requireBuild();
  token = await mintToken({ sub: 'shutdown-client', role: 'caseworker', institutionId: OWNER, expiresIn: '1h' }, SECRET);
});
afterAll(async () => {
  await Promise.all(services.map((service) => service.stop('SIGKILL')));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

it('SIGTERM mid-load: finishes what is in flight, refuses the rest, exits 0, and nothing acknowledged is lost or doubled', () => withLog(async () => {
  const dataDir = newDataDir();
  const service = await Service.start(dataDir, log, 'first');
  services.push(service);
  const sent: Sent[] = [];
  let termAt = Infinity;
  let acknowledged = 0;
  const client = async (index: number): Promise<void> => {
    for (let n = 0; service.running && n < 500; n++) {
      const command: Sent = { key: `client-${index}-${n}`, sentAt: Date.now(), outcome: null };
      sent.push(command);
      await openCase(service, command);
      if ('status' in command.outcome! && command.outcome.status === 201 && ++acknowledged === TERM_AFTER_ACKNOWLEDGED) {
        termAt = Date.now();
        service.child.kill('SIGTERM');
      }
      if ('error' in command.outcome! || command.outcome!.status !== 201) return;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
  await service.exited();
  expect({ code: service.child.exitCode, signal: service.child.signalCode }).toEqual({ code: 0, signal: null });

  // Sent before the signal: answered, never cut off: accepted, or (when its bytes had not been read yet as the
  // signal came) refused with a 503 problem. After it: accepted, refused with a 503 problem, or no connection.
  const before = sent.filter((command) => command.sentAt < termAt);
  expect(before.map((command) => command.outcome)).toEqual(before.map(() => expect.objectContaining({ status: expect.any(Number) })));
  expect(before.filter((command) => 'status' in command.outcome! && command.outcome.status === 201).length).toBeGreaterThanOrEqual(TERM_AFTER_ACKNOWLEDGED);
  for (const { outcome } of before) {
    if (outcome === null || !('status' in outcome) || outcome.status === 201) continue;
    expect({ status: outcome.status, type: outcome.body?.type, retryAfter: outcome.retryAfter }).toEqual({ status: 503, type: '/problems/unavailable', retryAfter: '5' });
  }
  for (const command of sent.filter((candidate) => candidate.sentAt >= termAt)) {
    const outcome = command.outcome!;
    if ('error' in outcome) expect(outcome.error).toMatch(/ECONNREFUSED|ECONNRESET|other side closed|SocketError/);
    else if (outcome.status !== 201) expect({ status: outcome.status, type: outcome.body?.type, retryAfter: outcome.retryAfter }).toEqual({ status: 503, type: '/problems/unavailable', retryAfter: '5' });
  }

  // Restarted: what was not acknowledged is retried with its key, then every command is stored exactly once.
  const restarted = await Service.start(dataDir, log, 'restarted');
  services.push(restarted);
  for (const command of sent.filter((candidate) => !('status' in candidate.outcome!) || candidate.outcome.status !== 201)) {
    await openCase(restarted, command);
    expect(command.outcome).toMatchObject({ status: 201 });
  }
  await restarted.stop('SIGTERM');
  const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  const stored = new Map<string, RecordedEvent[]>();
  try {
    for await (const event of store.readAll()) stored.set(String(event.metadata['commandId']), [...(stored.get(String(event.metadata['commandId'])) ?? []), event]);
  } finally {
    await store.close();
  }
  for (const command of sent) {
    const events = stored.get(derivedId('command', 'shutdown-client', command.key)) ?? [];
    expect({ key: command.key, stored: events.map((event) => event.type) }).toEqual({ key: command.key, stored: ['CaseOpened'] });
  }
}), 120_000);

it('a request that never completes cannot hold the process past SHUTDOWN_TIMEOUT_SECONDS: it exits 1, saying so', () => withLog(async () => {
  const service = await Service.start(newDataDir(), log, 'stuck', { SHUTDOWN_TIMEOUT_SECONDS: '2' });
  services.push(service);
  // A body announced as 1,000 bytes of which 20 arrive: the request stays in flight.
  const socket = connect(service.port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`POST /api/v1/cases HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"networkId": "wksbm`);
  socket.on('error', () => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const termAt = Date.now();
  service.child.kill('SIGTERM');
  await service.exited();
  const tookMs = Date.now() - termAt;
  socket.destroy();
  expect({ code: service.child.exitCode, said: log.some((line) => line.includes('Shutdown took longer than 2 s')) }).toEqual({ code: 1, said: true });
  // Bounded by the setting, not by the test's own SIGKILL after 15 s.
  expect(tookMs).toBeLessThan(10_000);
}), 60_000);
