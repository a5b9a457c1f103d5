/**
 * Checked on every route: a valid bearer token (401 otherwise) and, where a route names roles, one of
 * them (403 otherwise). Object-level rules (which case, which institution) are the domain's.
 */
import { Inject, Injectable, SetMetadata, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Actor, Role } from '../core/actor.js';
import { ForbiddenError } from '../core/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { InvalidTokenError, verifyToken } from './token.js';

const PUBLIC = 'rujukan:public';
const ROLES_KEY = 'rujukan:roles';

/** The route needs no token (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** Only these roles reach the route. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

export class UnauthorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null;
    if (!match) throw new UnauthorizedError('Send a bearer token in the Authorization header');
    const secret = this.config.auth.jwtSecret;
    if (!secret) throw new UnauthorizedError('No token verification key is configured');
    try {
      request.actor = await verifyToken(match[1]!, secret);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new UnauthorizedError(error.message);
      throw error;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(request.actor.role)) throw new ForbiddenError(`This route is not open to the ${request.actor.role} role`);
    return true;
  }
}

/** The verified actor of the request. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedError('Not authenticated');
  return actor;
});
