/**
 * Command throughput over real HTTP (autocannon against the built service on loopback, embedded stores):
 * notes spread over many cases vs all on one case, where the per-stream lock serializes them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { mintToken } from '../auth/token.js';
import { DEMO_MEMBERS, DEMO_NETWORK } from '../seed/demo-network.data.js';

const CASES = 50;
const CONNECTIONS = 50;
const SECONDS = 5;
const PORT = 39_517;

interface Figures {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
}

export async function benchHttp(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rujukan-bench-http-'));
  const secret = randomBytes(32).toString('hex');
  // The service runs in its own process, as in production, so the load generator does not share its event loop;
  // without the write limit, which would otherwise measure itself.
  const service = spawn(process.execPath, [fileURLToPath(new URL('../main.js', import.meta.url))], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(PORT), HOST: '127.0.0.1', AUTH_JWT_SECRET: secret, LOG_LEVEL: 'silent', RATE_LIMIT_WRITES_PER_MINUTE: '0' },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${PORT}`;
  try {
    await waitUntilReady(base);
    const token = await mintToken({ sub: 'bench', role: 'caseworker', institutionId: DEMO_MEMBERS[0]!.id, expiresIn: '1h' }, secret);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const caseIds: string[] = [];
    for (let index = 0; index < CASES; index++) {
      const response = await fetch(`${base}/api/v1/cases`, {
        method: 'POST', headers, body: JSON.stringify({
          networkId: DEMO_NETWORK.id, subject: { name: `Bench ${index}`, regionCode: DEMO_NETWORK.regionCode },
          categories: ['PPKS-24'], urgency: 'normal', description: 'benchmark case',
        }),
      });
      caseIds.push(((await response.json()) as { id: string }).id);
    }
    const note = JSON.stringify({ text: 'Home visit done', visibility: 'participants' });
    console.log(`HTTP commands: POST /cases/:id/notes, ${CONNECTIONS} connections, ${SECONDS} s each, service in its own process on the embedded stores`);
    let counter = 0;
    const spread = await load(base, headers, note, () => caseIds[counter++ % CASES]!);
    report(`spread over ${CASES} cases`, spread);
    const single = await load(base, headers, note, () => caseIds[0]!);
    report('all on one case', single);
    console.log(`  one case vs spread: ${(single.requestsPerSecond / spread.requestsPerSecond).toFixed(2)}x`);
  } finally {
    service.kill('SIGTERM');
    await once(service, 'exit');
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function waitUntilReady(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/api/v1/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('The service did not become ready within 30 s');
}

async function load(base: string, headers: Record<string, string>, body: string, nextCase: () => string): Promise<Figures> {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{ method: 'POST', headers, body, setupRequest: (request) => ({ ...request, path: `/api/v1/cases/${nextCase()}/notes` }) }],
  });
  return { requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

function report(label: string, figures: Figures): void {
  console.log(`  ${label.padEnd(24)} ${Math.round(figures.requestsPerSecond).toLocaleString('en-US').padStart(6)} commands/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms${figures.non2xx ? `  (${figures.non2xx} non-2xx!)` : ''}`);
}
