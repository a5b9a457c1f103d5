/** What the benchmarks share: the built service and CLI in their own processes, peak memory, and statistics. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../auth/token.js';
import { DEMO_MEMBERS, DEMO_NETWORK } from '../seed/demo-network.data.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

export const SERVICE_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** The secrets a bench data directory runs under: the service, the CLI and the bench's tokens share them. */
export interface BenchSecrets {
  readonly jwtSecret: string;
  readonly masterKey: string;
}

export function newSecrets(): BenchSecrets {
  return { jwtSecret: randomBytes(32).toString('hex'), masterKey: randomBytes(32).toString('hex') };
}

export function serviceEnvironment(dataDir: string, secrets: BenchSecrets, port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // Without the write limit, which would otherwise measure itself.
  return {
    ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', AUTH_JWT_SECRET: secrets.jwtSecret, MASTER_KEY: secrets.masterKey,
    LOG_LEVEL: 'silent', RATE_LIMIT_WRITES_PER_MINUTE: '0', ...extra,
  };
}

export interface RunningService {
  readonly base: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** The built service in its own process, as in production, so the load generator does not share its event loop. */
export async function startService(
  dataDir: string, secrets: BenchSecrets, port: number, nodeArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}, main = SERVICE_MAIN,
): Promise<RunningService> {
  const child = spawn(process.execPath, [...nodeArgs, main], { env: serviceEnvironment(dataDir, secrets, port, env), stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  try {
    await waitUntilReady(base, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, process: child, stop };
}

async function waitUntilReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The service exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${base}/api/v1/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('The service did not become ready within 120 s');
}

/**
 * `rujukan projections run` in its own process on a data directory (the production layout beside an API started
 * with RUN_PROJECTIONS=false); resolves once it says it runs. `cli`: another build's CLI.
 */
export async function startProjections(dataDir: string, secrets: BenchSecrets, cli = CLI_MAIN): Promise<{ readonly process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'projections', 'run'], { env: serviceEnvironment(dataDir, secrets, 0), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const look = (chunk: Buffer) => (output += chunk.toString());
  child.stdout.on('data', look);
  child.stderr.on('data', look);
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('Running ')) {
      if (child.exitCode !== null) throw new Error(`rujukan projections run exited (${child.exitCode}): ${output.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error('rujukan projections run did not start within 60 s');
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout.off('data', look);
  child.stderr.off('data', look);
  child.stdout.resume();
  child.stderr.resume();
  return { process: child, stop };
}

export interface CliRun {
  readonly seconds: number;
  /** Peak resident set size of the CLI process (VmHWM), in MiB. */
  readonly peakRssMiB: number;
}

/** Runs `rujukan <args>` on a data directory, timing it and reading its peak RSS from /proc while it runs. */
export async function runCli(args: readonly string[], dataDir: string, secrets: BenchSecrets): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: serviceEnvironment(dataDir, secrets, 0), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let peakKiB = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
  };
  const sampler = setInterval(() => void sample(), 100);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`rujukan ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMiB: peakKiB / 1024 };
}

/** CPU time of a process (utime + stime) and the kernel's part of it (stime), in ms. */
export async function cpuMs(pid: number): Promise<{ total: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [user, system] = [Number(fields[11]) * 1000 / TICKS, Number(fields[12]) * 1000 / TICKS];
  return { total: user + system, system };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function format(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
}

/** Opens a case in the demo network over HTTP (as `headers`' token) and answers its id. */
export async function openCase(base: string, headers: Record<string, string>, index: number): Promise<string> {
  const response = await fetch(`${base}/api/v1/cases`, {
    method: 'POST', headers, body: JSON.stringify({
      networkId: DEMO_NETWORK.id, subject: { name: `Bench ${index}`, regionCode: DEMO_NETWORK.regionCode },
      categories: ['PPKS-24'], urgency: 'normal', description: 'benchmark case',
    }),
  });
  if (response.status !== 201) throw new Error(`Opening a bench case answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** The headers of a caseworker at the demo network's first member, for an hour: who the command benches write as. */
export async function caseworkerHeaders(secrets: BenchSecrets): Promise<Record<string, string>> {
  const token = await mintToken({ sub: 'bench', role: 'caseworker', institutionId: DEMO_MEMBERS[0]!.id, expiresIn: '1h' }, secrets.jwtSecret);
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}
