/**
 * A FerretDB server of a spec's own (the binary scripts/ferretdb.sh builds, FERRETDB_BIN to use another), in
 * a temporary data folder on a free loopback port, which the spec may stop and start again on the same data:
 * what a read-store outage looks like to the service. The shared server at MONGODB_URL is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from './free-port.js';

export const FERRETDB_BIN = process.env['FERRETDB_BIN'] ?? resolve(__dirname, '..', '..', '.tooling', 'ferretdb');
const READY_WITHIN_MS = 30_000;

/** Why a spec needing its own FerretDB cannot run here, or null when it can. */
export function ferretDbSkipReason(): string | null {
  return existsSync(FERRETDB_BIN) ? null : `no FerretDB binary at ${FERRETDB_BIN} (build it with \`scripts/ferretdb.sh build\`, or set FERRETDB_BIN)`;
}

export class OwnFerretDb {
  private child: ChildProcess | null = null;

  private constructor(readonly dataDir: string, readonly port: number, private readonly output: string[]) {}

  get url(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Starts a server on a new data folder and a free port, and waits until it answers a ping; what it prints goes to `log`. */
  static async start(log: string[]): Promise<OwnFerretDb> {
    const server = new OwnFerretDb(mkdtempSync(join(tmpdir(), 'rujukan-ferretdb-')), await freePort(), log);
    await server.resume();
    return server;
  }

  /** Starts the server again on the same port and data (after stop()). */
  async resume(): Promise<void> {
    if (this.child) return;
    const child = spawn(FERRETDB_BIN, ['-listen-addr', `127.0.0.1:${this.port}`, '-handler', 'sqlite', '-sqlite-url', `file:${this.dataDir}/`, '-log-level', 'error'], {
      cwd: this.dataDir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => this.output.push(`[ferretdb] ${chunk.toString().trimEnd()}`));
    child.on('exit', (code, signal) => {
      this.output.push(`[ferretdb] exited (code ${code}, signal ${signal})`);
      if (this.child === child) this.child = null;
    });
    this.child = child;
    const deadline = Date.now() + READY_WITHIN_MS;
    while (!(await this.answers())) {
      if (this.child !== child) throw new Error('FerretDB exited during start-up (see its output)');
      if (Date.now() > deadline) throw new Error(`FerretDB did not answer within ${READY_WITHIN_MS} ms (see its output)`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** Stops the server (SIGTERM, SIGKILL after 5 s), keeping its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and removes its data. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    const client = new MongoClient(this.url, { serverSelectionTimeoutMS: 500, directConnection: true });
    try {
      await client.db('admin').command({ ping: 1 });
      return true;
    } catch {
      return false;
    } finally {
      await client.close();
    }
  }
}
