/** Requests and responses of the sign-in and user routes, for validation and the OpenAPI document. */
import { z } from 'zod';
import { USER_ROLES } from '../core/actor.js';
import { idSchema, pageQuery, text } from '../http/schemas.js';
import { SIGN_IN_METHODS } from './user.events.js';

export const signInSchema = z.strictObject({
  code: z.string().min(1).max(200).describe('The code after `#code=` in the sign-in link'),
}).meta({ id: 'SignInRequest' });

export const sessionResponseSchema = z.object({
  userId: z.string(),
  role: z.enum(USER_ROLES),
  institutionId: z.string().nullable(),
  networkId: z.string().nullable(),
  displayName: z.string().nullable(),
  method: z.enum([...SIGN_IN_METHODS, 'token']).describe('how the caller signed in: a console session (invitation, oidc) or a bearer token'),
  expiresAt: z.string().nullable(),
  csrfToken: z.string().nullable().describe('send it as X-CSRF-Token with every POST and DELETE of a console session; null for bearer tokens'),
}).meta({ id: 'Session' });

export const inviteSchema = z.strictObject({
  userId: idSchema.optional().describe('an existing user to send a new link to, or the id of the new one (default: generated)'),
  role: z.enum(USER_ROLES),
  institutionId: idSchema.optional(),
  networkId: idSchema.optional(),
  displayName: text(100).optional(),
  expiresInHours: z.number().int().min(1).max(24 * 14).default(24),
}).meta({ id: 'InviteRequest', examples: [{ role: 'caseworker', institutionId: 'puskesos-jurangombo-utara', displayName: 'Bu Ratna' }] });

export const invitationResponseSchema = z.object({
  id: z.string(),
  revision: z.string(),
  position: z.string(),
  link: z.string().nullable().describe('the single-use sign-in link: shown once, never stored (null when the request was an idempotent replay)'),
  expiresAt: z.string(),
}).meta({ id: 'Invitation' });

export const revokeSchema = z.strictObject({ reason: text(300) }).meta({ id: 'RevokeAccessRequest' });

export const userListQuerySchema = z.strictObject({
  role: z.enum(USER_ROLES).optional(),
  institutionId: idSchema.optional(),
  status: z.enum(['active', 'revoked']).optional(),
  ...pageQuery,
});

export const userListResponseSchema = z.object({
  items: z.array(z.object({
    userId: z.string(),
    role: z.enum(USER_ROLES),
    institutionId: z.string().nullable(),
    networkId: z.string().nullable(),
    displayName: z.string().nullable(),
    status: z.enum(['active', 'revoked']),
    invitedBy: z.string().nullable(),
    invitedAt: z.string().nullable(),
    lastSignInAt: z.string().nullable(),
    activeSessions: z.number().int(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
  }).meta({ id: 'User' })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'UserPage' });

export const signOutResponseSchema = z.object({
  signedOut: z.boolean().describe('true when a console session was ended; a bearer token has no session to end'),
}).meta({ id: 'SignOut' });
