/**
 * The people with access to the console, for admins (and auditors, who read who had access when): invite
 * someone (the answer holds the single-use link, shown once), list, revoke.
 */
import { Controller, Get, Inject, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { Policy } from '../auth/access-policy.js';
import { policies } from '../auth/policies.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CLOCK, type Clock } from '../core/clock.js';
import type { CommandContext } from '../core/command-handling.js';
import { derivedId } from '../core/ids.js';
import { ApiCommand, ApiRead } from '../http/api-docs.js';
import { CommandOn, Ctx } from '../http/command-context.js';
import { CommandReply } from '../http/command-response.js';
import { ValidBody, ValidQuery } from '../http/zod-validation.js';
import { UsersQuery } from '../projections/users/users.query.js';
import { ChangeUserAccess } from './commands/user.commands.js';
import { newSignInCode, signInLink } from './sign-in-code.js';
import { inviteSchema, invitationResponseSchema, revokeSchema, userListQuerySchema, userListResponseSchema } from './user.schemas.js';

const onUser = { userId: ['id', 'user'] } as const;

@ApiTags('users')
@Controller('users')
export class UsersHttpController {
  constructor(
    private readonly bus: CommandBus,
    private readonly users: UsersQuery,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @Policy(policies.readUsers)
  @ApiRead(userListResponseSchema, {
    summary: 'List the console\'s users',
    description: 'Everyone invited to the console, filtered by role, institution or status: when they were invited and by whom, when they last signed in, how many sessions are open, and when their access was revoked.',
  })
  async list(@ValidQuery(userListQuerySchema) query: z.infer<typeof userListQuerySchema>): Promise<z.infer<typeof userListResponseSchema>> {
    const { cursor, limit, ...filters } = query;
    const page = await this.users.list(filters, { cursor: cursor ?? null, limit });
    const now = this.clock.now().toISOString();
    return {
      items: page.items.map(({ state }) => ({
        userId: state.userId,
        role: state.role,
        institutionId: state.institutionId,
        networkId: state.networkId,
        displayName: state.displayName,
        status: state.status,
        invitedBy: state.invitedBy,
        invitedAt: state.invitedAt,
        lastSignInAt: state.lastSignInAt,
        activeSessions: state.sessions.filter((session) => session.endedAt === null && session.expiresAt > now).length,
        revokedAt: state.status === 'revoked' ? state.revokedAt : null,
        revokedBy: state.status === 'revoked' ? state.revokedBy : null,
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Invites a person (or sends a known one a new link): the link in the answer signs them in once. */
  @Post('invitations')
  @Policy(policies.manageUsers)
  @ApiCommand(201, {
    summary: 'Invite a person to the console',
    description: 'Records an invitation (or a new link for a known user) and answers the single-use sign-in link, shown once and never stored: pass it on privately. The link expires after `expiresInHours` (24 by default). A caseworker needs `institutionId`, a coordinator `networkId`. 409 when the user\'s access was revoked. An idempotent replay answers `link: null`.',
    response: invitationResponseSchema,
  })
  async invite(@ValidBody(inviteSchema) body: z.infer<typeof inviteSchema>, @Ctx() context: CommandContext) {
    const userId = body.userId ?? derivedId('user', context.commandId);
    const { code, codeHash } = newSignInCode(userId);
    const expiresAt = new Date(Date.parse(context.occurredAt) + body.expiresInHours * 3_600_000).toISOString();
    const result = await this.bus.execute(new ChangeUserAccess({
      type: 'InviteUser', userId, role: body.role, institutionId: body.institutionId ?? null, networkId: body.networkId ?? null,
      displayName: body.displayName ?? null, codeId: derivedId('sign-in-code', context.commandId), codeHash, expiresAt,
    }, context));
    // A replayed request cannot show the link again: its secret was never stored.
    const link = result.replayed ? null : signInLink(this.config.publicUrl, code);
    return new CommandReply(result, { link, expiresAt });
  }

  @Post(':id/revoke')
  @Policy(policies.manageUsers)
  @ApiCommand(200, {
    summary: 'Revoke a person\'s access',
    description: 'Every session of the user ends at once and their unused links stop working. 409 when already revoked, or for your own access.',
  })
  revoke(@CommandOn(onUser) { ids, context }: CommandOn<typeof onUser>, @ValidBody(revokeSchema) body: z.infer<typeof revokeSchema>) {
    return this.bus.execute(new ChangeUserAccess({ type: 'RevokeAccess', ...ids, reason: body.reason }, context));
  }
}
