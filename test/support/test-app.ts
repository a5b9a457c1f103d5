/**
 * Boots the real application on a fresh embedded store in a temp folder, seeded with the demo network,
 * and drives it over HTTP (Fastify's inject: the full request pipeline, no socket).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.js';
import { mintToken, type TokenRequest } from '../../src/auth/token.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { EventStore, RecordedEvent } from '../../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/read-store/sqlite/sqlite-read-store.js';
import { seedDemoNetwork } from '../../src/seed/seed.js';
import { createRujukanClient, type RujukanClient } from '../../client/index.js';
import { SharedKeysReadStore } from './shared-keys-read-store.js';

export const SECRET = 'test-secret-test-secret-test-secret-0123';
/** The console as `npm run build` leaves it. */
export const CONSOLE_DIR = join(__dirname, '..', '..', 'dist', 'console');

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  /** With `real`, the clock follows the wall clock, shifted by however far the test advanced it. */
  constructor(private current = new Date('2026-11-02T08:00:00.000Z'), private readonly real = false) {}
  now(): Date {
    return this.real ? new Date(Date.now() + this.current.getTime() - this.started) : new Date(this.current);
  }
  private readonly started = Date.now();
  advanceHours(hours: number): void {
    this.current = new Date(this.current.getTime() + hours * 3_600_000);
  }
}

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: any;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface TestAppOptions {
  /**
   * Open the stores of this folder instead of a fresh one: a second app on another app's folder shares its
   * event file through its own connection, as a second process would. The folder's creator removes it.
   */
  readonly dataDir?: string;
  /** Extra configuration, as environment variables. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Another event store than the folder's embedded one (the app closes it when it stops). */
  readonly eventStore?: EventStore;
  /** Turns logging on (at LOG_LEVEL), one JSON line per write. */
  readonly logStream?: { write(line: string): void };
  /** Serve the built console (dist/console) at `/`. */
  readonly console?: boolean;
  /** The wall clock instead of the test's hand-moved one (a browser compares times with its own clock). */
  readonly realClock?: boolean;
}

export class TestApp {
  /** The highest position a command of this client returned: GETs ask the views to have reached it, as a client session would. */
  private seenPosition = 0n;

  private constructor(
    readonly app: NestFastifyApplication,
    readonly store: EventStore,
    readonly config: AppConfig,
    readonly clock: TestClock,
    private readonly ownedDataDir: string | null,
  ) {}

  static async start(options: TestAppOptions = {}): Promise<TestApp> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'rujukan-e2e-'));
    // The expiry scheduler runs when a test calls its tick(), on the test's clock.
    // No write limit unless a test asks: a burst from one token is what concurrency tests are made of.
    const config = loadConfig({
      DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent', EXPIRY_INTERVAL_SECONDS: '0', RATE_LIMIT_WRITES_PER_MINUTE: '0', ...options.environment,
    });
    const store = options.eventStore ?? new SqliteEventStore(join(dataDir, 'events.sqlite'));
    const clock = options.realClock ? new TestClock(new Date(), true) : new TestClock();
    // A second app on a shared folder keeps its own views, as a replica with its own projection runners would, and shares the subject keys.
    const readStore = options.dataDir === undefined
      ? new SqliteReadStore(join(dataDir, 'views.sqlite'))
      : new SharedKeysReadStore(new SqliteReadStore(join(dataDir, `views-${randomUUID()}.sqlite`)), new SqliteReadStore(join(dataDir, 'views.sqlite')));
    const app = await createApp({ config, eventStore: store, readStore, clock }, {
      ...(options.logStream ? { logStream: options.logStream } : { logger: false }),
      ...(options.console ? { consoleDir: CONSOLE_DIR } : {}),
    });
    // Idempotent: on a shared folder the second app appends nothing.
    await seedDemoNetwork(app.get(CommandBus), clock);
    return new TestApp(app, store, config, clock, options.dataDir === undefined ? dataDir : null);
  }

  /** Also listen on a loopback port (for browsers and streams): the base URL. */
  async listen(): Promise<string> {
    await this.app.listen({ port: 0, host: '127.0.0.1' });
    const address = this.app.getHttpServer().address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    await this.app.close();
    if (this.ownedDataDir !== null) rmSync(this.ownedDataDir, { recursive: true, force: true });
  }

  token(request: Omit<TokenRequest, 'expiresIn' | 'sub'> & { sub?: string }): Promise<string> {
    return mintToken({ sub: `user-${request.role}-${request.institutionId ?? request.networkId ?? 'x'}`, ...request, expiresIn: '1h' }, SECRET);
  }

  async request(method: 'GET' | 'POST' | 'DELETE', url: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await this.inject(method, `/api/v1${url}`, headers, payload);
    const text = response.body;
    return { status: response.statusCode, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * The typed client of client/ (generated from the OpenAPI document), talking to this app through the same
   * pipeline as `request`, read-your-writes included: `t.client(token).POST('/api/v1/cases', { body })`.
   */
  client(token?: string): RujukanClient {
    return createRujukanClient({
      baseUrl: 'http://rujukan.test',
      fetch: (request) => this.fetch(request),
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  }

  /** fetch() answered by the app (Fastify's inject): what the typed client sends through. */
  async fetch(request: Request): Promise<globalThis.Response> {
    const url = new URL(request.url);
    const payload = request.body === null ? undefined : await request.text();
    const response = await this.inject(request.method, url.pathname + url.search, Object.fromEntries(request.headers), payload);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) headers.append(name, String(one));
    }
    return new globalThis.Response(response.rawPayload.length > 0 ? response.rawPayload : null, { status: response.statusCode, headers });
  }

  /** One request to the app; a GET asks the views to have reached every write this client has seen, as a client session would. */
  private async inject(method: string, url: string, headers: Record<string, string>, payload: string | undefined) {
    if (method === 'GET' && this.seenPosition > 0n && !Object.keys(headers).some((name) => name.toLowerCase() === 'x-min-position')) {
      headers = { ...headers, 'x-min-position': this.seenPosition.toString() };
    }
    const response = await this.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    if (method !== 'GET' && response.statusCode < 300 && response.headers['content-type']?.toString().startsWith('application/json')) {
      const position = (JSON.parse(response.body) as { position?: unknown }).position;
      if (typeof position === 'string' && BigInt(position) > this.seenPosition) this.seenPosition = BigInt(position);
    }
    return response;
  }

  post(url: string, token: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('POST', url, { token, body, headers });
  }

  get(url: string, token: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('GET', url, { token, headers });
  }

  async stream(streamId: string): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of this.store.readStream(streamId)) events.push(event);
    return events;
  }
}

/** A valid NIK for the seeded kelurahan: region 337101, born 12-05-1980 (a woman: day + 40), serial 0001. */
export const SAMPLE_NIK = '3371015205800001';
