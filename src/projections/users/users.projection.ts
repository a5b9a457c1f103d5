/**
 * The people with access to the console (`GET /users`): each user's stream folded with the domain's own
 * `evolveUser`, without code hashes or session ids: who has which role, who invited them, when they last
 * signed in, whether their access was revoked.
 */
import type { Document } from '../../read-store/read-store.port.js';
import { USER_STREAM_PREFIX, type UserEvent } from '../../users/user.events.js';
import { evolveUser, initialUserState, type ExistingUser } from '../../users/user.state.js';
import { viewProjection, type View } from '../view-projection.js';

export const USERS = 'users';

export interface UserDocument extends Document {
  readonly revision: string;
  readonly state: ExistingUser;
  readonly role: string;
  readonly status: 'active' | 'revoked';
  readonly institutionId: string | null;
  readonly networkId: string | null;
}

const users: View<UserDocument> = {
  collection: USERS,
  indexes: [{ keys: { role: 1 } }, { keys: { institutionId: 1 } }],
  documentId: (event) => event.streamId.slice(USER_STREAM_PREFIX.length),
  evolve(document, event) {
    const state = evolveUser(document?.state ?? initialUserState, { type: event.type, data: event.data } as UserEvent);
    if (state.status === 'none') return null;
    return {
      _id: state.userId,
      revision: event.revision.toString(),
      state,
      role: state.role,
      status: state.status,
      institutionId: state.institutionId,
      networkId: state.networkId,
    };
  },
};

export const usersProjection = viewProjection({ name: 'users', filter: { streamPrefixes: [USER_STREAM_PREFIX] }, views: [users] });
