/**
 * A SIGKILL in the middle of deliveries loses nothing: the built service runs as a child process (as in
 * crash-recovery.e2e.spec.ts) and delivers to a real receiver; it is killed while a delivery is in flight, and
 * restarted on the same DATA_DIR. The receiver then gets the message that was in flight again, with the same
 * webhook-id, and every other message, each case's in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { mintToken } from '../src/auth/token.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { freePort } from './support/free-port.js';
import { SAMPLE_NIK, SECRET } from './support/test-app.js';
import { Receiver } from './support/webhook-receiver.js';

const MAIN = resolve(__dirname, '..', 'dist', 'main.js');
const CASES = 3;

class Service {
  private constructor(readonly child: ChildProcess, readonly base: string) {}

  static async start(dataDir: string, log: string[], label: string): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'warn',
        RATE_LIMIT_WRITES_PER_MINUTE: '0', WEBHOOK_ALLOW_LOOPBACK: 'true', WEBHOOK_LEASE_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => log.push(`[${label}] ${chunk.toString().trimEnd()}`));
    const service = new Service(child, `http://127.0.0.1:${port}/api/v1`);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      try {
        if ((await fetch(`${service.base}/health/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return service;
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    child.kill('SIGKILL');
    throw new Error('The service was not ready within 10 s');
  }

  async post(path: string, token: string, body: unknown): Promise<any> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    });
    const answer = await response.json();
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
    this.child.kill(signal);
    await exited;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-webhooks-crash-'));
const log: string[] = [];
const services: Service[] = [];
let target: Receiver;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} does not exist: build the service first (npm run build; npm test does it)`);
  target = await Receiver.start();
});
afterAll(async () => {
  await Promise.all(services.map((service) => service.kill('SIGKILL')));
  await target.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('delivers everything after a SIGKILL mid-delivery: the message in flight again with the same webhook-id, each case in order', async () => {
  try {
    const first = await Service.start(dataDir, log, 'first run');
    services.push(first);
    const admin = await mintToken({ sub: 'crash-admin', role: 'admin', expiresIn: '1h' }, SECRET);
    const owner = await mintToken({ sub: 'crash-owner', role: 'caseworker', institutionId: OWNER, expiresIn: '1h' }, SECRET);
    const puskesos = await mintToken({ sub: 'crash-puskesos', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '1h' }, SECRET);
    const { secret } = await first.post('/webhooks', admin, {
      url: target.url, scope: { level: 'institution', institutionId: OWNER }, eventKinds: ['referral.requested', 'referral.accepted', 'referral.started', 'referral.completed'],
    });

    // The fourth message is held open: the service is killed while it waits for the answer.
    target.answer = 204;
    const expected = new Map<string, string[]>();
    for (let index = 0; index < CASES; index++) {
      const opened = await first.post('/cases', owner, {
        networkId: NETWORK, subject: { name: `Crash ${index}`, nik: SAMPLE_NIK, regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'normal', description: 'crash',
      });
      await first.post(`/cases/${opened.id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
      const { referralId } = await first.post(`/cases/${opened.id}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'crash' });
      for (const action of ['accept', 'start']) await first.post(`/cases/${opened.id}/referrals/${referralId}/${action}`, puskesos, {});
      await first.post(`/cases/${opened.id}/referrals/${referralId}/complete`, puskesos, { outcome: 'resolved', summary: 'crash' });
      expected.set(opened.id, ['referral.requested', 'referral.accepted', 'referral.started', 'referral.completed']);
      if (index === 0) {
        await target.until((one) => one.accepted.length >= 3, 'three messages delivered');
        target.answer = 'hang';
      }
    }
    await target.until((one) => one.requests.some((request) => request.status === null), 'a message in flight');
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    const inFlight = target.requests.find((request) => request.status === null)!;
    const before = target.accepted.length;
    expect(before).toBeLessThan(CASES * 4);
    target.release();

    target.answer = 204;
    const second = await Service.start(dataDir, log, 'second run');
    services.push(second);
    const distinct = () => new Set(target.accepted.map((request) => request.headers['webhook-id'])).size;
    await target.until(() => distinct() === CASES * 4, 'every message delivered', 20_000);

    expect(target.accepted.slice(before).some((request) => request.headers['webhook-id'] === inFlight.headers['webhook-id'])).toBe(true);
    for (const [caseId, kinds] of expected) {
      const seen = new Set<string>();
      const order = target.accepted.filter((request) => {
        const body = JSON.parse(request.body);
        if (body.data.caseId !== caseId || seen.has(request.headers['webhook-id']!)) return false;
        seen.add(request.headers['webhook-id']!);
        return true;
      }).map((request) => JSON.parse(request.body).type);
      expect({ caseId, order }).toEqual({ caseId, order: kinds });
    }
    for (const request of target.accepted) expect(() => new Webhook(secret).verify(request.body, request.headers)).not.toThrow();
    await second.kill('SIGTERM');
  } catch (error) {
    if (error instanceof Error) error.message += `\n\n--- service output ---\n${log.join('\n') || '(none)'}`;
    throw error;
  }
}, 60_000);
