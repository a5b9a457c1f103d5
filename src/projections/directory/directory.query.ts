/** Reads of the network directory. */
import { Inject, Injectable } from '@nestjs/common';
import { findPage, type Page } from '../../read-store/pagination.js';
import { READ_STORE, type ReadStore } from '../../read-store/read-store.port.js';
import { INSTITUTIONS, NETWORKS, type InstitutionDocument, type NetworkDocument } from './directory.projection.js';

export interface InstitutionFilters {
  readonly kind?: string;
  readonly category?: string;
  readonly regionCode?: string;
  readonly networkId?: string;
}

@Injectable()
export class DirectoryQuery {
  constructor(@Inject(READ_STORE) private readonly views: ReadStore) {}

  institution(id: string): Promise<InstitutionDocument | null> {
    return this.views.collection<InstitutionDocument>(INSTITUTIONS).findOne({ _id: id });
  }

  institutions(filters: InstitutionFilters, page: { cursor: string | null; limit: number }): Promise<Page<InstitutionDocument>> {
    const filter: Record<string, unknown> = {};
    if (filters.kind) filter['kind'] = filters.kind;
    if (filters.category) filter['categoriesServed'] = filters.category;
    if (filters.regionCode) filter['regionCode'] = filters.regionCode;
    if (filters.networkId) filter['networkIds'] = filters.networkId;
    return findPage(this.views.collection<InstitutionDocument>(INSTITUTIONS), filter, { sort: { name: 1 }, ...page });
  }

  network(id: string): Promise<NetworkDocument | null> {
    return this.views.collection<NetworkDocument>(NETWORKS).findOne({ _id: id });
  }

  networks(page: { cursor: string | null; limit: number }): Promise<Page<NetworkDocument>> {
    return findPage(this.views.collection<NetworkDocument>(NETWORKS), {}, { sort: { name: 1 }, ...page });
  }
}
