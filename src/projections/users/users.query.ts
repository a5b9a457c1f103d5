/** Reads of the users view: who has access to the console, page by page. */
import { Inject, Injectable } from '@nestjs/common';
import { findPage, type Page } from '../../read-store/pagination.js';
import { READ_STORE, type ReadStore } from '../../read-store/read-store.port.js';
import { USERS, type UserDocument } from './users.projection.js';

export interface UserListFilters {
  readonly role?: string;
  readonly institutionId?: string;
  readonly status?: 'active' | 'revoked';
}

@Injectable()
export class UsersQuery {
  constructor(@Inject(READ_STORE) private readonly views: ReadStore) {}

  list(filters: UserListFilters, page: { cursor: string | null; limit: number }): Promise<Page<UserDocument>> {
    return findPage(this.views.collection<UserDocument>(USERS), { ...filters }, { sort: { _id: 1 }, ...page });
  }
}
