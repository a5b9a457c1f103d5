/**
 * The built service as a child process on loopback (dist/main.js, as `npm start` runs it), for the specs that
 * kill, stop or run several of it. Its output is kept for failure messages, never printed otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './free-port.js';
import { resolve } from 'node:path';
import { SECRET } from './test-app.js';

export const MAIN = resolve(__dirname, '..', '..', 'dist', 'main.js');
export const CLI = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
/** Start-up includes loading the whole application (seconds on a busy machine) and, on a new folder, seeding. */
const READY_WITHIN_MS = 30_000;

export function requireBuild(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} does not exist: build the service first (npm run build; npm test does it)`);
}

export class Service {
  private constructor(readonly child: ChildProcess, readonly base: string, readonly port: number) {}

  /** Starts the service on `dataDir` and waits until /health/ready answers 200. */
  static async start(dataDir: string, log: string[], label: string, environment: Readonly<Record<string, string>> = {}): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'warn',
        RATE_LIMIT_WRITES_PER_MINUTE: '0', ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => log.push(`[${label}] ${chunk.toString().trimEnd()}`));
    child.on('exit', (code, signal) => log.push(`[${label}] exited (code ${code}, signal ${signal})`));
    const service = new Service(child, `http://127.0.0.1:${port}/api/v1`, port);
    await service.ready();
    return service;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the process has exited. */
  exited(): Promise<void> {
    return this.running ? new Promise((done) => this.child.once('exit', () => done())) : Promise.resolve();
  }

  /** Sends a signal and waits (bounded) for the process to be gone. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    const exited = this.exited();
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  private async ready(): Promise<void> {
    const deadline = Date.now() + READY_WITHIN_MS;
    while (Date.now() < deadline && this.running) {
      try {
        if ((await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error(this.running ? `The service was not ready within ${READY_WITHIN_MS} ms` : 'The service exited before it was ready');
  }
}

export { freePort };

/** Runs a step; when it fails, the error carries what the services printed. */
export async function withServiceLog(log: readonly string[], step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof Error) error.message += `\n\n--- service output ---\n${log.join('\n') || '(none)'}`;
    throw error;
  }
}
