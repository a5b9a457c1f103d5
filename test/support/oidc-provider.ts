/**
 * A real OpenID Connect provider for the sign-in specs: oidc-provider (panva's certified implementation) on a
 * random loopback port, with the clients a spec registers, its own signing key, PKCE required, and accounts
 * whose claims the spec sets. Its login and consent "pages" are the interaction endpoints every deployment of
 * oidc-provider writes for itself: GET answers which prompt is pending, and a form POST logs an account in,
 * gives consent, or refuses it. It can also publish an impostor's key under its own key id, as a spoofed
 * key set would.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata } from 'oidc-provider';
// The package's own in-memory store; a subclass, because oidc-provider warns whenever its default class is used.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

class TestAdapter extends MemoryAdapter {}

/** What an account's claims may hold: the grant Rujukan reads, the display name, anything else a provider sends. */
export type AccountClaims = Record<string, unknown>;

export interface ProviderOptions {
  readonly clients: ClientMetadata[];
  /**
   * true: the requested claims go into the ID token as well; false: only the userinfo endpoint has them (the
   * provider's default for the code flow, as OpenID Connect Core §5.4 describes).
   */
  readonly claimsInIdToken: boolean;
}

export class TestIdentityProvider {
  /** sub → claims: who can log in, with what the provider says about them. */
  readonly accounts = new Map<string, AccountClaims>();
  /** true: the key set (jwks_uri) publishes another key under the id of the one the provider signs with. */
  publishImpostorKey = false;

  private constructor(private readonly server: Server, readonly issuer: string, private readonly impostorKeySet: string) {}

  static async start(options: ProviderOptions): Promise<TestIdentityProvider> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const impostor = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const self: TestIdentityProvider = new TestIdentityProvider(server, issuer, JSON.stringify({ keys: [{ ...impostor, kid: 'test-key', alg: 'RS256', use: 'sig' }] }));
    const provider = new Provider(issuer, {
      adapter: TestAdapter,
      clients: options.clients,
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: ['test-provider-cookie-key'] },
      pkce: { methods: ['S256'], required: () => true },
      scopes: ['openid', 'profile', 'rujukan'],
      claims: { openid: ['sub'], profile: ['name'], rujukan: ['role', 'institutionId', 'networkId'] },
      conformIdTokenClaims: !options.claimsInIdToken,
      features: { devInteractions: { enabled: false } },
      // Lifetimes in seconds, set so that oidc-provider does not print a notice for each default it falls back on.
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
      findAccount: (_context, sub) => {
        const claims = self.accounts.get(sub);
        return claims ? { accountId: sub, claims: () => ({ sub, ...claims }) } : undefined;
      },
    });
    const callback = provider.callback();
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (self.publishImpostorKey && request.url === '/jwks') {
        response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(self.impostorKeySet);
        return;
      }
      const interaction = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(request.url ?? '');
      if (!interaction) {
        // Koa's handler answers its own errors: nothing to wait for here.
        void callback(request, response);
        return;
      }
      self.interact(provider, request, response, interaction[2] ?? 'show').catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
    return self;
  }

  /** The provider's side of login and consent, as a deployment of oidc-provider writes it. */
  private async interact(provider: Provider, request: IncomingMessage, response: ServerResponse, action: string): Promise<void> {
    const details = await provider.interactionDetails(request, response);
    if (action === 'show') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ uid: details.uid, prompt: details.prompt.name }));
      return;
    }
    const form = new URLSearchParams(await bodyOf(request));
    if (action === 'abort') {
      await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The person did not consent' }, { mergeWithLastSubmission: false });
      return;
    }
    if (action === 'login') {
      const accountId = form.get('login') ?? '';
      if (!this.accounts.has(accountId)) {
        response.writeHead(401, { 'content-type': 'text/plain' }).end('No such account');
        return;
      }
      await provider.interactionFinished(request, response, { login: { accountId } }, { mergeWithLastSubmission: false });
      return;
    }
    const { session, params, prompt } = details;
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId: session!.accountId, clientId: String(params['client_id']) });
    const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
