/**
 * Signing in to the console with the organisation's identity provider (see oidc.ts): the sign-in methods the
 * console offers, the redirect to the provider, and its answer, which records the sign-in in the person's
 * stream (SignInWithProvider) and sets the same session cookie as sign-in by invitation. Browsers navigate
 * here: every failure goes back to the console's sign-in page with a short `?error=` code, never a problem
 * document, a stack trace or a token in a URL.
 */
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Public } from '../auth/auth.guard.js';
import { actorOf, type Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling } from '../core/command-handling.js';
import { UnauthenticatedError } from '../core/domain-error.js';
import { logged } from '../core/error-log.js';
import { newId } from '../core/ids.js';
import { ApiRead, ApiRedirect } from '../http/api-docs.js';
import { logFor } from '../http/request-logging.js';
import { ValidQuery } from '../http/zod-validation.js';
import { ChangeUserAccess } from './commands/user.commands.js';
import { LOGIN_COOKIE, OidcSignIn, OidcSignInError, type OidcFailure, type ProviderIdentity } from './oidc.js';
import { Sessions, signInContext } from './sessions.js';
import { userDecider } from './user.decider.js';
import { userStreamId } from './user.events.js';

export const signInMethodsSchema = z.object({
  invitation: z.literal(true).describe('a single-use link from an invitation (POST /auth/sign-in)'),
  oidc: z.boolean().describe('the organisation\'s identity provider (GET /auth/oidc/login): offer it when true'),
}).meta({ id: 'SignInMethods' });

const loginQuerySchema = z.strictObject({
  returnTo: z.string().max(2000).optional().describe('the console path to show after sign-in (e.g. /cases); anything but a path of the console goes to /'),
});

@ApiTags('sign-in')
@Controller('auth')
@Public()
export class OidcHttpController {
  constructor(
    private readonly oidc: OidcSignIn,
    private readonly bus: CommandBus,
    private readonly commands: CommandHandling,
    private readonly sessions: Sessions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** How people can sign in to the console here. */
  @Get('methods')
  @ApiRead(signInMethodsSchema, {
    summary: 'How people sign in to the console',
    description: 'Whether single-use invitation links work (always) and whether the organisation\'s identity provider is configured (OpenID Connect); the console\'s sign-in page offers what this says.',
  })
  methods(): z.infer<typeof signInMethodsSchema> {
    return { invitation: true, oidc: this.oidc.enabled };
  }

  /** Sends the browser to the provider (PKCE, state, nonce), keeping what the answer is checked against in a short-lived cookie. */
  @Get('oidc/login')
  @ApiRedirect({
    summary: 'Start signing in at the identity provider',
    description: 'A browser navigates here from the console\'s sign-in page. The answer sends it to the provider\'s authorization endpoint (authorization code flow with PKCE S256, state and nonce), '
      + 'keeping what the answer is checked against in a short-lived encrypted cookie. `returnTo` is the console page to come back to (same origin only).',
    location: 'to the provider\'s authorization endpoint; to /sign-in?error=not_configured or =unavailable when sign-in there cannot start',
    problems: [422],
  })
  async login(@ValidQuery(loginQuerySchema) query: z.infer<typeof loginQuerySchema>, @Res() reply: FastifyReply): Promise<void> {
    try {
      const { authorizationUrl, sealedLogin } = await this.oidc.start(query.returnTo);
      this.oidc.setLoginCookie(reply, sealedLogin);
      reply.redirect(authorizationUrl, 302);
    } catch (error) {
      this.fail(reply, error);
    }
  }

  /** The provider's answer: the session cookie and the console page asked for, or the sign-in page with the reason. */
  @Get('oidc/callback')
  @ApiRedirect({
    summary: 'Finish signing in at the identity provider',
    description: 'The provider sends the browser back here. The state is checked, the code exchanged with the PKCE verifier, the ID token checked (issuer, audience, nonce, signature); '
      + 'the `role`, `institutionId` and `networkId` claims grant the person their access, recorded in their `user-<id>` stream, and the session cookie is set.',
    location: 'to the console page asked for, signed in; or to /sign-in?error=<reason>, the reason one of login_expired, invalid_state, '
      + 'access_denied, provider_error, invalid_response, unavailable, insufficient_claims, revoked, not_configured, failed',
  })
  @ApiQuery({ name: 'error', required: false, schema: { type: 'string' }, description: 'the provider\'s error, e.g. access_denied' })
  @ApiQuery({ name: 'iss', required: false, schema: { type: 'string' } })
  @ApiQuery({ name: 'state', required: false, schema: { type: 'string' } })
  @ApiQuery({ name: 'code', required: false, schema: { type: 'string' } })
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // One answer per login: whatever happens, the sealed login is gone.
    this.oidc.clearLoginCookie(reply);
    try {
      const { identity, returnTo } = await this.oidc.finish(request.cookies[LOGIN_COOKIE], request.url.split('?')[1] ?? '');
      await this.signIn(identity, reply);
      reply.redirect(this.oidc.consoleUrl(returnTo), 302);
    } catch (error) {
      this.fail(reply, error);
    }
  }

  /** Records the sign-in (and the grant, when new or changed) in the person's stream, then sets the session cookie. */
  private async signIn({ userId, issuer, grant, displayName }: ProviderIdentity, reply: FastifyReply): Promise<void> {
    const granted = actorOf({ userId, ...grant });
    // A grant without what its role needs is refused by the decider (a revoked person hears so first): no event is written.
    const actor: Actor = 'missing' in granted ? { userId, role: 'system' } : granted;
    const sessionId = newId();
    const expiresAt = this.sessions.expiry();
    try {
      await this.bus.execute(new ChangeUserAccess({
        type: 'SignInWithProvider', userId, ...grant, displayName, issuer, sessionId, sessionExpiresAt: expiresAt.toISOString(),
      }, signInContext(actor, this.clock.now())));
    } catch (error) {
      if (!(error instanceof UnauthenticatedError)) throw error;
      const { state } = await this.commands.load(userDecider, userStreamId(userId));
      throw new OidcSignInError(state.status === 'revoked' ? 'revoked' : 'insufficient_claims', { cause: error });
    }
    await this.sessions.setCookie(reply, userId, sessionId, expiresAt);
  }

  /** Back to the sign-in page with the reason; the log names it and the error's kind, never a token, a code or a claim. */
  private fail(reply: FastifyReply, error: unknown): void {
    const reason: OidcFailure = error instanceof OidcSignInError ? error.reason : 'failed';
    const cause = error instanceof OidcSignInError ? error.cause : error;
    const [summary, frames] = logged(cause ?? error);
    const logger = logFor(reply.request, 'OidcSignIn');
    if (reason === 'failed') logger.error(`Sign-in at the identity provider failed: ${summary}`, frames);
    else logger.warn(`Sign-in at the identity provider refused: ${reason}${cause ? ` (${summary})` : ''}`);
    reply.redirect(this.oidc.failureUrl(reason), 302);
  }
}
