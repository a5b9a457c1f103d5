/** The console's people: invitations, sign-in (by code or at the identity provider), sessions (the guard authenticates cookies with Sessions). */
import { Module } from '@nestjs/common';
import { UsersQuery } from '../projections/users/users.query.js';
import { UserCommands } from './commands/user.commands.js';
import { OidcHttpController } from './oidc.http.controller.js';
import { OidcSignIn } from './oidc.js';
import { Sessions } from './sessions.js';
import { SignInHttpController } from './sign-in.http.controller.js';
import { UsersHttpController } from './users.http.controller.js';

@Module({
  controllers: [SignInHttpController, OidcHttpController, UsersHttpController],
  providers: [Sessions, OidcSignIn, UserCommands, UsersQuery],
  exports: [Sessions],
})
export class UsersModule {}
