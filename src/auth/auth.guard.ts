/**
 * Checked on every route: a valid bearer token (401 otherwise), then the route's access policy (see
 * access-policy.ts and policies.ts). A route that is neither public nor declares a policy is refused: closed
 * by default.
 */
import { Injectable, SetMetadata, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.js';
import { CommandHandling } from '../core/command-handling.js';
import { POLICY_KEY, enforcePolicy, type AccessPolicy, type RouteParams } from './access-policy.js';
import { RouteObjects } from './route-objects.js';
import { InvalidTokenError, TokenVerifier, bearerToken } from './token.js';

const PUBLIC = 'rujukan:public';

/** The route needs no token (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);

type AuthenticatedRequest = FastifyRequest & { actor?: Actor; params: RouteParams };

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
    commands: CommandHandling,
  ) {
    this.objects = new RouteObjects(commands);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.actor = await this.authenticate(request);
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(POLICY_KEY, targets);
    if (!policy) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no access policy`);
    await enforcePolicy(policy, request.actor, request.params, this.objects);
    return true;
  }

  /** The actor the request's bearer token speaks for. */
  private async authenticate(request: AuthenticatedRequest): Promise<Actor> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError('Send a bearer token in the Authorization header');
    try {
      return await this.tokens.verifyFor(request, token);
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
