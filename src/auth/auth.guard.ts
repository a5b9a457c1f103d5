/**
 * Checked on every route: a valid bearer token (401 otherwise), then the route's access policy (see
 * access-policy.ts and policies.ts). A route that is neither public nor declares a policy is refused: closed
 * by default.
 */
import { Inject, Injectable, SetMetadata, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.js';
import { CLOCK, type Clock } from '../core/clock.js';
import { CommandHandling } from '../core/command-handling.js';
import { POLICY_KEY, enforcePolicy, type AccessPolicy, type RouteParams } from './access-policy.js';
import { RouteObjects } from './route-objects.js';
import { InvalidTokenError, TokenVerifier, bearerToken } from './token.js';
import { attachSession, CSRF_HEADER, SESSION_COOKIE, Sessions } from '../users/sessions.js';

const PUBLIC = 'rujukan:public';

/** The route needs no token (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);

/** Whether the route of this handler (in this controller) needs no token. */
export const isPublicRoute = (reflector: Reflector, handler: Function, controller: Function): boolean =>
  reflector.getAllAndOverride<boolean | undefined>(PUBLIC, [handler, controller]) === true;

type AuthenticatedRequest = FastifyRequest & { actor?: Actor; params: RouteParams; credentialsExpireInMs?: number };

/** How long the request's token or session stays valid from now (a live stream closes then). */
export function credentialsExpireInMs(request: FastifyRequest): number {
  return (request as AuthenticatedRequest).credentialsExpireInMs ?? 0;
}

export class UnauthorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly objects: RouteObjects;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    private readonly sessions: Sessions,
    @Inject(CLOCK) private readonly clock: Clock,
    commands: CommandHandling,
  ) {
    this.objects = new RouteObjects(commands);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublicRoute(this.reflector, context.getHandler(), context.getClass())) return true;
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.actor = await this.authenticate(request);
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(POLICY_KEY, targets);
    if (!policy) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no access policy`);
    await enforcePolicy(policy, request.actor, request.params, this.objects);
    return true;
  }

  /** The actor the request's bearer token speaks for, or else its console session cookie. */
  private async authenticate(request: AuthenticatedRequest): Promise<Actor> {
    const token = bearerToken(request.headers.authorization);
    const cookie = request.cookies[SESSION_COOKIE];
    if (!token && cookie) {
      const csrf = request.headers[CSRF_HEADER];
      const session = await this.sessions.authenticate(cookie, request.method, Array.isArray(csrf) ? csrf[0] : csrf);
      attachSession(request, session);
      request.credentialsExpireInMs = session.expiresAt.getTime() - this.clock.now().getTime();
      return session.actor;
    }
    if (!token) throw new UnauthorizedError('Send a bearer token in the Authorization header, or sign in to the console');
    try {
      const { actor, expiresAt } = await this.tokens.verifyFor(request, token);
      request.credentialsExpireInMs = expiresAt - Date.now();
      return actor;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedError(error.message);
      throw error;
    }
  }
}

/** The verified actor of the request. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedError('Not authenticated');
  return actor;
});
