/**
 * The people with access to the console (`GET /users`): each user's stream folded with the domain's own
 * `evolveUser`, without code hashes or session ids: who has which role, who invited them, when they last
 * signed in, whether their access was revoked.
 */
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { USER_STREAM_PREFIX, type UserEvent } from '../../users/user.events.js';
import { evolveUser, initialUserState, type ExistingUser, type UserState } from '../../users/user.state.js';
import { positionNumber, putDocument, type Projection } from '../projection.js';

export const USERS = 'users';

export interface UserDocument extends Document {
  readonly lastPosition: number;
  readonly revision: string;
  readonly state: ExistingUser;
  readonly role: string;
  readonly status: 'active' | 'revoked';
  readonly institutionId: string | null;
  readonly networkId: string | null;
}

export const usersProjection: Projection = {
  name: 'users',
  collections: { [USERS]: [{ keys: { role: 1 } }, { keys: { institutionId: 1 } }] },
  filter: { streamPrefixes: [USER_STREAM_PREFIX] },

  async project(events: readonly RecordedEvent[], views) {
    const byUser = new Map<string, RecordedEvent[]>();
    for (const event of events) {
      const userId = event.streamId.slice(USER_STREAM_PREFIX.length);
      byUser.set(userId, [...(byUser.get(userId) ?? []), event]);
    }
    const existing = await views.collection<UserDocument>(USERS).find({ _id: { $in: [...byUser.keys()] } });
    const known = new Map(existing.map((document) => [document._id, document]));
    const writes: WriteOperation[] = [];
    for (const [userId, userEvents] of byUser) {
      const document = known.get(userId);
      const fresh = userEvents.filter((event) => document === undefined || positionNumber(event.position) > document.lastPosition);
      const last = fresh[fresh.length - 1];
      if (!last) continue;
      let state: UserState = document?.state ?? initialUserState;
      for (const event of fresh) state = evolveUser(state, { type: event.type, data: event.data } as UserEvent);
      if (state.status === 'none') continue;
      writes.push(putDocument<UserDocument>({
        _id: userId,
        lastPosition: positionNumber(last.position),
        revision: last.revision.toString(),
        state,
        role: state.role,
        status: state.status,
        institutionId: state.institutionId,
        networkId: state.networkId,
      }, document !== undefined));
    }
    return [{ collection: USERS, operations: writes }];
  },
};
