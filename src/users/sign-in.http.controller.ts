/**
 * Signing in to the console: a single-use code from an invitation link becomes a session cookie (see
 * sessions.ts); the session can be read back (with its CSRF token) and ended. Tokens minted for the API
 * keep working beside it: `GET /auth/session` answers for them too.
 */
import { Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { CurrentActor, Public } from '../auth/auth.guard.js';
import { policies } from '../auth/policies.js';
import { institutionOf, type Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling, type CommandContext } from '../core/command-handling.js';
import { UnauthenticatedError } from '../core/domain-error.js';
import { newId } from '../core/ids.js';
import { ApiRead } from '../http/api-docs.js';
import { Ctx } from '../http/command-context.js';
import { emptyBodySchema } from '../http/schemas.js';
import { ValidBody } from '../http/zod-validation.js';
import { ChangeUserAccess } from './commands/user.commands.js';
import { CurrentSession, Sessions, signInContext, userActor, type SessionActor } from './sessions.js';
import { readSignInCode } from './sign-in-code.js';
import { userDecider } from './user.decider.js';
import { userStreamId } from './user.events.js';
import { sessionResponseSchema, signInSchema, signOutResponseSchema } from './user.schemas.js';

type SessionResponse = z.infer<typeof sessionResponseSchema>;

@ApiTags('sign-in')
@Controller('auth')
export class SignInHttpController {
  constructor(
    private readonly bus: CommandBus,
    private readonly commands: CommandHandling,
    private readonly sessions: Sessions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Redeems a sign-in code once: records the sign-in in the user's stream and sets the session cookie. */
  @Post('sign-in')
  @Public()
  @HttpCode(200)
  @ApiRead(sessionResponseSchema, {
    summary: 'Sign in to the console',
    description: 'Redeems the single-use code of an invitation link (`#code=…`), once: records the sign-in in the user\'s stream and sets the `rujukan_session` cookie (HttpOnly, SameSite=Strict). The answer carries the CSRF token to send as `X-CSRF-Token` with every POST and DELETE of the session. 401 for a code that is unknown, used, expired or revoked: ask for a new link. No `Idempotency-Key`: a replay would open a second session.',
    problems: [401],
  })
  async signIn(@ValidBody(signInSchema) body: z.infer<typeof signInSchema>, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionResponse> {
    const code = readSignInCode(body.code);
    if (!code) throw new UnauthenticatedError('This sign-in link is not valid: ask the person who invited you for a new one', 'code');
    const { state } = await this.commands.load(userDecider, userStreamId(code.userId));
    const context = signInContext(state.status === 'none' ? { userId: code.userId, role: 'system' } : userActor(state), this.clock.now());
    const sessionId = newId();
    const expiresAt = this.sessions.expiry();
    await this.bus.execute(new ChangeUserAccess({ type: 'SignInWithCode', userId: code.userId, codeHash: code.codeHash, sessionId, sessionExpiresAt: expiresAt.toISOString() }, context));
    await this.sessions.setCookie(reply, code.userId, sessionId, expiresAt);
    const signedIn = await this.commands.load(userDecider, userStreamId(code.userId));
    if (signedIn.state.status !== 'active') throw new UnauthenticatedError('Your access to Rujukan was revoked');
    return this.describe({ actor: userActor(signedIn.state), sessionId, expiresAt, user: signedIn.state });
  }

  /** Who the caller is: a console session (with its CSRF token) or a bearer token. */
  @Get('session')
  @Policy(policies.signedIn)
  @ApiRead(sessionResponseSchema, {
    summary: 'Tell who the caller is',
    description: 'The user, role, institution and network of the caller\'s console session (with its expiry and CSRF token) or bearer token (`method: token`).',
  })
  session(@CurrentActor() actor: Actor, @CurrentSession() session: SessionActor | null): SessionResponse {
    if (session) return this.describe(session);
    return {
      userId: actor.userId, role: actor.role as SessionResponse['role'], institutionId: institutionOf(actor), networkId: actor.role === 'coordinator' ? actor.networkId : null,
      displayName: null, method: 'token', expiresAt: null, csrfToken: null,
    };
  }

  /** Ends the console session (recorded in the user's stream) and clears its cookie; a bearer token has nothing to end. */
  @Post('sign-out')
  @Policy(policies.signedIn)
  @HttpCode(200)
  @ApiRead(signOutResponseSchema, {
    summary: 'Sign out of the console',
    description: 'Ends the console session (recorded in the user\'s stream) and clears its cookie. With a bearer token there is no session to end: `signedOut: false`.',
  })
  async signOut(
    @ValidBody(emptyBodySchema) _body: unknown,
    @CurrentSession() session: SessionActor | null,
    @Ctx() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<z.infer<typeof signOutResponseSchema>> {
    if (session) {
      await this.bus.execute(new ChangeUserAccess({ type: 'SignOut', userId: session.actor.userId, sessionId: session.sessionId }, context));
    }
    this.sessions.clearCookie(reply);
    return { signedOut: session !== null };
  }

  private describe({ actor, sessionId, expiresAt, user }: SessionActor): SessionResponse {
    const last = user.sessions.find((candidate) => candidate.sessionId === sessionId);
    return {
      userId: actor.userId,
      role: user.role,
      institutionId: user.institutionId,
      networkId: user.networkId,
      displayName: user.displayName,
      method: last?.method ?? 'invitation',
      expiresAt: expiresAt.toISOString(),
      csrfToken: this.sessions.csrfToken(sessionId),
    };
  }
}
