/**
 * A stand-in OIDC provider for the auth specs: publishes its public keys as a JWKS over node:http, signs
 * tokens with the private ones, rotates keys on demand, and can fail (500) or hang like a provider in trouble.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function newKey(alg: string): Promise<SigningKey> {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const ISSUER = 'https://login.example.org/realms/rujukan';
export const AUDIENCE = 'rujukan-api';

export interface SignOptions {
  /** Sign with this key (default: the newest published one). */
  readonly key?: SigningKey;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now. */
  readonly expiresIn?: number;
  readonly notBeforeIn?: number;
}

export class JwksServer {
  /** How often the key set was fetched. */
  fetches = 0;
  behaviour: 'serve' | 'fail' | 'hang' = 'serve';
  private readonly hanging: ServerResponse[] = [];

  private constructor(private readonly server: Server, public keys: SigningKey[]) {}

  static async start(alg = 'RS256'): Promise<JwksServer> {
    let self: JwksServer | undefined;
    const server = createServer((_request, response) => self!.answer(response));
    self = new JwksServer(server, [await newKey(alg)]);
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/certs`;
  }

  get current(): SigningKey {
    return this.keys.at(-1)!;
  }

  /** Publishes a new key and, unless `keepOld`, retires the others; returns the new one. */
  async rotate(alg = 'RS256', keepOld = false): Promise<SigningKey> {
    const key = await newKey(alg);
    this.keys = keepOld ? [...this.keys, key] : [key];
    return key;
  }

  sign(claims: Record<string, unknown>, options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.current;
    const now = Math.floor(Date.now() / 1000);
    const token = new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? ISSUER).setAudience(options.audience ?? AUDIENCE).setIssuedAt(now)
      .setExpirationTime(now + (options.expiresIn ?? 3600));
    if (options.notBeforeIn !== undefined) token.setNotBefore(now + options.notBeforeIn);
    return token.sign(key.privateKey);
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise((closed) => this.server.close(closed));
  }

  private answer(response: ServerResponse): void {
    this.fetches++;
    if (this.behaviour === 'hang') return void this.hanging.push(response);
    if (this.behaviour === 'fail') return void response.writeHead(500).end('upstream trouble');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) }));
  }
}

/** A URL on which nothing listens. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return `http://127.0.0.1:${port}/certs`;
}
