/**
 * The network directory: institutions (with the networks they belong to) and networks (with their
 * members), folded with the domain's own evolve functions. Behind `GET /institutions`, `GET /networks`
 * and the coordinator's reach over an institution's inbox.
 */
import type { RecordedEvent } from '../../event-store/event-store.port.js';
import { INSTITUTION_STREAM_PREFIX } from '../../institutions/institution.events.js';
import { evolveInstitution, initialInstitutionState, type InstitutionState } from '../../institutions/institution.state.js';
import { NETWORK_STREAM_PREFIX } from '../../networks/network.events.js';
import { evolveNetwork, initialNetworkState, type NetworkState } from '../../networks/network.state.js';
import type { Document, WriteOperation } from '../../read-store/read-store.port.js';
import { positionNumber, putDocument, type Projection, type ViewCollections } from '../projection.js';

export const INSTITUTIONS = 'institutions';
export const NETWORKS = 'networks';

type Registered<State> = Exclude<State, { status: 'unregistered' }>;

export interface InstitutionDocument extends Document {
  readonly lastPosition: number;
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
  readonly lastPosition: number;
  readonly revision: string;
  readonly state: Registered<NetworkState>;
  readonly name: string;
  readonly regionCode: string;
  readonly memberIds: readonly string[];
}

interface Fold<State> {
  readonly state: State;
  /** Revision of the document's own stream (membership events come from network streams). */
  readonly revision: string;
  readonly networkIds: readonly string[];
}

interface Folded<State> extends Fold<State> {
  readonly last: RecordedEvent;
  readonly existed: boolean;
}

/**
 * Folds each document from where it stands, skipping events it already holds. `keyOf` says which document
 * an event belongs to (an institution also takes the membership events that name it).
 */
async function foldDocuments<State, Doc extends Document & { lastPosition: number; revision: string; state: unknown; networkIds?: readonly string[] }>(
  events: readonly RecordedEvent[],
  keyOf: (event: RecordedEvent) => string | null,
  views: ViewCollections,
  collection: string,
  step: (folded: Fold<State>, event: RecordedEvent) => Fold<State>,
  initial: State,
): Promise<Map<string, Folded<State>>> {
  const byId = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const id = keyOf(event);
    if (id !== null) byId.set(id, [...(byId.get(id) ?? []), event]);
  }
  const existing = byId.size === 0 ? [] : await views.collection<Doc>(collection).find({ _id: { $in: [...byId.keys()] } });
  const known = new Map(existing.map((document) => [document._id, document]));
  const result = new Map<string, Folded<State>>();
  for (const [id, documentEvents] of byId) {
    const previous = known.get(id);
    const fresh = documentEvents.filter((event) => previous === undefined || positionNumber(event.position) > previous.lastPosition);
    const last = fresh[fresh.length - 1];
    if (!last) continue;
    let folded: Fold<State> = { state: (previous?.state as State | undefined) ?? initial, revision: previous?.revision ?? '-1', networkIds: previous?.networkIds ?? [] };
    for (const event of fresh) folded = step(folded, event);
    result.set(id, { ...folded, last, existed: previous !== undefined });
  }
  return result;
}

const isMembership = (event: RecordedEvent) => event.type === 'InstitutionJoinedNetwork' || event.type === 'InstitutionLeftNetwork';

const ownStep = <State>(evolve: (state: State, event: never) => State) => (folded: Fold<State>, event: RecordedEvent): Fold<State> =>
  ({ ...folded, state: evolve(folded.state, { type: event.type, data: event.data } as never), revision: event.revision.toString() });

function institutionStep(folded: Fold<InstitutionState>, event: RecordedEvent): Fold<InstitutionState> {
  if (!isMembership(event)) return ownStep(evolveInstitution)(folded, event);
  const { networkId } = event.data as { networkId: string };
  const others = folded.networkIds.filter((id) => id !== networkId);
  return { ...folded, networkIds: event.type === 'InstitutionJoinedNetwork' ? [...others, networkId] : others };
}

export const directoryProjection: Projection = {
  name: 'directory',
  collections: {
    [INSTITUTIONS]: [{ keys: { kind: 1 } }, { keys: { regionCode: 1 } }, { keys: { networkIds: 1 } }, { keys: { name: 1 } }],
    [NETWORKS]: [{ keys: { name: 1 } }, { keys: { memberIds: 1 } }],
  },
  filter: { streamPrefixes: [INSTITUTION_STREAM_PREFIX, NETWORK_STREAM_PREFIX] },

  async project(events, views) {
    const institutions = await foldDocuments<InstitutionState, InstitutionDocument>(
      events,
      (event) => isMembership(event)
        ? (event.data as { institutionId: string }).institutionId
        : event.streamId.startsWith(INSTITUTION_STREAM_PREFIX) ? event.streamId.slice(INSTITUTION_STREAM_PREFIX.length) : null,
      views, INSTITUTIONS, institutionStep, initialInstitutionState);
    const networks = await foldDocuments<NetworkState, NetworkDocument>(
      events,
      (event) => (event.streamId.startsWith(NETWORK_STREAM_PREFIX) ? event.streamId.slice(NETWORK_STREAM_PREFIX.length) : null),
      views, NETWORKS,
      ownStep(evolveNetwork),
      initialNetworkState);

    const institutionWrites: WriteOperation[] = [];
    for (const [id, { state, revision, networkIds, last, existed }] of institutions) {
      if (state.status === 'unregistered') continue;
      const { status, name, kind, regionCode, scope, categoriesServed } = state;
      const replacement: InstitutionDocument = {
        _id: id, lastPosition: positionNumber(last.position), revision, state,
        status, name, kind, regionCode, scope, categoriesServed, networkIds,
      };
      institutionWrites.push(putDocument(replacement, existed));
    }
    const networkWrites: WriteOperation[] = [];
    for (const [id, { state, revision, last, existed }] of networks) {
      if (state.status === 'unregistered') continue;
      const replacement: NetworkDocument = {
        _id: id, lastPosition: positionNumber(last.position), revision, state,
        name: state.name, regionCode: state.regionCode, memberIds: state.memberIds,
      };
      networkWrites.push(putDocument(replacement, existed));
    }
    return [{ collection: INSTITUTIONS, operations: institutionWrites }, { collection: NETWORKS, operations: networkWrites }];
  },
};
