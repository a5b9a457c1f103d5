/**
 * The network directory: institutions (with the networks they belong to) and networks (with their
 * members), folded with the domain's own evolve functions. Behind `GET /institutions`, `GET /networks`
 * and the coordinator's reach over an institution's inbox.
 */
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import { INSTITUTION_STREAM_PREFIX, type InstitutionEvent } from '../../institutions/institution.events.js';
import { evolveInstitution, initialInstitutionState, type InstitutionState } from '../../institutions/institution.state.js';
import { NETWORK_STREAM_PREFIX, type NetworkEvent } from '../../networks/network.events.js';
import { evolveNetwork, initialNetworkState, type NetworkState } from '../../networks/network.state.js';
import type { Document } from '../../read-store/read-store.port.js';
import { viewProjection, type View } from '../view-projection.js';

export const INSTITUTIONS = 'institutions';
export const NETWORKS = 'networks';

type Registered<State> = Exclude<State, { status: 'unregistered' }>;

export interface InstitutionDocument extends Document {
  /** Revision of the institution's own stream (membership events come from network streams). */
  readonly revision: string;
  readonly state: Registered<InstitutionState>;
  readonly name: string;
  readonly kind: string;
  readonly regionCode: string;
  readonly scope: string;
  readonly categoriesServed: readonly string[];
  readonly status: 'active' | 'suspended';
  /** Networks it is a member of: maintained from the network streams. */
  readonly networkIds: readonly string[];
}

export interface NetworkDocument extends Document {
  readonly revision: string;
  readonly state: Registered<NetworkState>;
  readonly name: string;
  readonly regionCode: string;
  readonly memberIds: readonly string[];
}

const isMembership = (event: RecordedEvent) => event.type === 'InstitutionJoinedNetwork' || event.type === 'InstitutionLeftNetwork';

/** The id of the aggregate whose stream holds `event`, if its streams start with `prefix`. */
const streamOwner = (prefix: string, event: RecordedEvent) => (event.streamId.startsWith(prefix) ? event.streamId.slice(prefix.length) : null);

/** An institution, with the networks it belongs to: its own stream, and the membership events that name it. */
const institutions: View<InstitutionDocument> = {
  collection: INSTITUTIONS,
  indexes: [{ keys: { kind: 1 } }, { keys: { regionCode: 1 } }, { keys: { networkIds: 1 } }, { keys: { name: 1 } }],
  documentId: (event) => (isMembership(event) ? (event.data as { institutionId: string }).institutionId : streamOwner(INSTITUTION_STREAM_PREFIX, event)),
  evolve(document, event) {
    if (isMembership(event)) {
      if (document === null) return null;
      const { networkId } = event.data as { networkId: string };
      const others = document.networkIds.filter((id) => id !== networkId);
      return { ...document, networkIds: event.type === 'InstitutionJoinedNetwork' ? [...others, networkId] : others };
    }
    const state = evolveInstitution(document?.state ?? initialInstitutionState, { type: event.type, data: event.data } as InstitutionEvent);
    if (state.status === 'unregistered') return null;
    const { status, name, kind, regionCode, scope, categoriesServed } = state;
    return {
      _id: state.id, revision: event.revision.toString(), state,
      status, name, kind, regionCode, scope, categoriesServed, networkIds: document?.networkIds ?? [],
    };
  },
};

const networks: View<NetworkDocument> = {
  collection: NETWORKS,
  indexes: [{ keys: { name: 1 } }, { keys: { memberIds: 1 } }],
  documentId: (event) => streamOwner(NETWORK_STREAM_PREFIX, event),
  evolve(document, event) {
    const state = evolveNetwork(document?.state ?? initialNetworkState, { type: event.type, data: event.data } as NetworkEvent);
    if (state.status === 'unregistered') return null;
    return { _id: state.id, revision: event.revision.toString(), state, name: state.name, regionCode: state.regionCode, memberIds: state.memberIds };
  },
};

export const directoryProjection = viewProjection({
  name: 'directory',
  filter: { streamPrefixes: [INSTITUTION_STREAM_PREFIX, NETWORK_STREAM_PREFIX] },
  views: [institutions, networks],
});
