/**
 * A real HTTP receiver for webhook specs, on a loopback port: it records every request (headers and raw body)
 * and answers as the test says: 2xx, an error status, 410, no answer at all until released, or not listening
 * (down) and back on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** What the receiver answered; null while it holds the request (or never answered it). */
  status: number | null;
}

/** How the receiver answers the next requests: a status code, or 'hang' to hold the request open until released. */
export type Answer = number | 'hang';

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  answer: Answer = 204;
  private readonly held = new Set<ServerResponse>();
  private waiters: (() => void)[] = [];

  private constructor(private server: Server, readonly port: number) {}

  static async start(answer: Answer = 204): Promise<Receiver> {
    const receiver = new Receiver(createServer(), 0);
    await receiver.listen(0);
    receiver.answer = answer;
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/rujukan`;
  }

  /** Requests answered 2xx, in the order they arrived. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((request) => request.status !== null && request.status >= 200 && request.status < 300);
  }

  /** Stops listening: connections are refused until `up()`. */
  async down(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  async up(): Promise<void> {
    this.server = createServer();
    await this.listen(this.port);
  }

  /** Ends every held request without an answer. */
  release(): void {
    for (const response of this.held) response.destroy();
    this.held.clear();
  }

  async stop(): Promise<void> {
    if (this.server.listening) await this.down();
  }

  /** Resolves once `condition` holds over the requests (checked at every request), or fails after `timeoutMs`. */
  async until(condition: (receiver: Receiver) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      if (Date.now() > deadline) throw new Error(`Receiver on ${this.port}: ${what} did not happen within ${timeoutMs} ms (got ${this.requests.length} requests)`);
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          done();
        });
      });
    }
  }

  private async listen(port: number): Promise<void> {
    this.server.on('request', (request, response) => void this.handle(request, response));
    await new Promise<void>((done) => this.server.listen(port, '127.0.0.1', () => done()));
    (this as { port: number }).port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    const received: ReceivedRequest = { headers, body: Buffer.concat(chunks).toString('utf8'), status: null };
    this.requests.push(received);
    if (this.answer === 'hang') {
      this.held.add(response);
    } else {
      received.status = this.answer;
      response.writeHead(this.answer).end();
    }
    for (const wake of this.waiters.splice(0)) wake();
  }
}
