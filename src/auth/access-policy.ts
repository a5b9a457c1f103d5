/**
 * A route's access policy (docs/domain.md, "Roles"): the roles it is open to and, for a route on one object, a rule
 * over that object. Every route declares exactly one with @Policy (src/auth/policies.ts lists them all);
 * AuthGuard enforces it once the token is verified.
 *
 * Every route answers in the same order: no or bad token 401; a role the route is not open to 403, whatever
 * the ids say; an object the rule needs that does not exist 404; an existing object the caller may not act
 * on 403, naming why. State and content rules follow in the deciders.
 */
import { SetMetadata } from '@nestjs/common';
import type { Actor, UserRole } from '../core/actor.js';
import { ForbiddenError } from '../core/domain-error.js';
import type { RouteObjects } from './route-objects.js';

export type RouteParams = Readonly<Record<string, string | undefined>>;

export interface AccessPolicy {
  /** Who may call, in words: the OpenAPI document shows it on every route of this policy. */
  readonly who: string;
  readonly roles: readonly UserRole[];
  /** Why the caller may not act on the route's object, or null when they may. */
  readonly rule?: (actor: Actor, params: RouteParams, objects: RouteObjects) => Promise<string | null>;
}

export const POLICY_KEY = 'rujukan:policy';

/** The one access policy of this route (or of every route of this controller that declares none). */
export const Policy = (policy: AccessPolicy): MethodDecorator & ClassDecorator => SetMetadata(POLICY_KEY, policy);

export async function enforcePolicy(policy: AccessPolicy, actor: Actor, params: RouteParams, objects: RouteObjects): Promise<void> {
  if (!(policy.roles as readonly string[]).includes(actor.role)) {
    throw new ForbiddenError(`This route is open to ${policy.roles.join(', ')}; your token's role is ${actor.role}`);
  }
  const refusal = policy.rule ? await policy.rule(actor, params, objects) : null;
  if (refusal !== null) throw new ForbiddenError(refusal);
}
