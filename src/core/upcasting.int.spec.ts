/**
 * Upcasting: version-0 events read as version 1 through every read of the store, while the stored events,
 * and so their hashes, stay as written.
 */
import { evolveCase, initialCaseState } from '../cases/case.state.js';
import type { CaseEvent } from '../cases/case.events.js';
import { SqliteEventStore } from '../event-store/sqlite/sqlite-event-store.js';
import type { RecordedEvent } from '../event-store/event-store.port.js';
import { findChainBreak, GENESIS_HASH, sealEvents } from './event-envelope.js';
import { CASE_UPCASTERS, type CaseOpenedV0, type ReferralDeclinedV0 } from '../cases/case.upcasters.js';
import { CURRENT_SCHEMA_VERSION, upcast as upcastWith, UnknownSchemaVersionError, UpcastingEventStore } from './upcasting.js';

/** The case slice's upcasters are the ones the service has (src/event-catalog.ts). */
const upcast = (event: RecordedEvent): RecordedEvent => upcastWith(event, CASE_UPCASTERS);

const caseOpenedV0: CaseOpenedV0 = {
  caseId: 'c1', networkId: 'n1', ownerInstitutionId: 'rw-1', subjectId: 's1', regionCode: '33.71.01.1008',
  category: 'PPKS-01', urgency: 'high', openedAt: '2024-03-01T08:00:00.000Z',
  personal: { subject: { name: 'Siti' }, description: 'pilot case' },
};
const declinedV0: ReferralDeclinedV0 = { referralId: 'r1', at: '2024-03-02T08:00:00.000Z', personal: { reason: 'full this month' } };
const { category: _category, ...openedFields } = caseOpenedV0;
const caseOpenedV1 = { ...openedFields, categories: ['PPKS-01'] };

function sealed(schemaVersion: number, events: readonly { type: string; data: unknown }[]) {
  return sealEvents(GENESIS_HASH, events.map(({ type, data }, index) => ({
    type,
    data,
    metadata: {
      eventId: `e${index}`, schemaVersion, occurredAt: '2024-03-01T08:00:00.000Z', actor: { userId: 'u1', role: 'caseworker' as const, institutionId: 'rw-1' },
      commandId: `k${index}`, correlationId: `k${index}`, causationId: `k${index}`, requestHash: 'h',
    },
  })));
}

function recorded(schemaVersion: number, type: string, data: unknown): RecordedEvent {
  const [event] = sealed(schemaVersion, [{ type, data }]);
  return { ...event!, streamId: 'case-c1', revision: 0n, position: 1n, id: 'e0', recordedAt: new Date() };
}

describe('upcast', () => {
  it('reads a version-0 CaseOpened with its one category as categories[], keeping every other field and the hash', () => {
    const stored = recorded(0, 'CaseOpened', caseOpenedV0);
    const read = upcast(stored);
    expect(read.data).toEqual(caseOpenedV1);
    expect(read.metadata).toEqual({ ...stored.metadata, schemaVersion: CURRENT_SCHEMA_VERSION });
    expect(read.metadata['hash']).toBe(stored.metadata['hash']);
    expect(stored.data).toEqual(caseOpenedV0);
  });

  it("reads a version-0 ReferralDeclined with reason code 'other', its text kept", () => {
    expect(upcast(recorded(0, 'ReferralDeclined', declinedV0)).data).toEqual({ ...declinedV0, reasonCode: 'other' });
  });

  it('reads a version-0 event whose shape never changed as it is, marked current', () => {
    const read = upcast(recorded(0, 'ReferralAccepted', { referralId: 'r1', at: '2024-03-02T08:00:00.000Z' }));
    expect(read.data).toEqual({ referralId: 'r1', at: '2024-03-02T08:00:00.000Z' });
    expect(read.metadata['schemaVersion']).toBe(CURRENT_SCHEMA_VERSION);
  });

  it('returns a current event untouched', () => {
    const current = recorded(CURRENT_SCHEMA_VERSION, 'CaseOpened', caseOpenedV1);
    expect(upcast(current)).toBe(current);
  });

  it.each([CURRENT_SCHEMA_VERSION + 1, -1, 0.5, '1', undefined])('refuses schemaVersion %p rather than fold a shape it does not know', (version) => {
    const event = recorded(0, 'CaseOpened', caseOpenedV0);
    expect(() => upcast({ ...event, metadata: { ...event.metadata, schemaVersion: version } })).toThrow(UnknownSchemaVersionError);
  });
});

describe('UpcastingEventStore', () => {
  let stored: SqliteEventStore;
  let store: UpcastingEventStore;
  const history = [{ type: 'CaseOpened', data: caseOpenedV0 }, { type: 'ReferralDeclined', data: declinedV0 }];

  beforeEach(async () => {
    stored = new SqliteEventStore(':memory:');
    store = new UpcastingEventStore(stored, CASE_UPCASTERS);
    const events = sealed(0, history).map((event) => ({ id: event.metadata.eventId, ...event }));
    await store.append('case-c1', events, { expectedRevision: 'no_stream' });
  });
  afterEach(() => store.close());

  const dataOf = (events: readonly RecordedEvent[]) => events.map((event) => event.data);
  const current = [caseOpenedV1, { ...declinedV0, reasonCode: 'other' }];

  it('upcasts streams, $all and subscriptions alike', async () => {
    const read: RecordedEvent[] = [];
    for await (const event of store.readStream('case-c1')) read.push(event);
    expect(dataOf(read)).toEqual(current);

    const all: RecordedEvent[] = [];
    for await (const event of store.readAll()) all.push(event);
    expect(dataOf(all)).toEqual(current);

    const subscription = store.subscribeToAll({ filter: { eventTypes: ['ReferralDeclined'] } });
    const delivered: RecordedEvent[] = [];
    for await (const message of subscription) {
      if (message.type === 'caughtUp') break;
      if (message.type === 'event') delivered.push(message.event);
    }
    await subscription.close();
    expect(dataOf(delivered)).toEqual(current.slice(1));

    const state = read.reduce((folded, { type, data }) => evolveCase(folded, { type, data } as CaseEvent), initialCaseState);
    expect(state).toMatchObject({ status: 'open', categories: ['PPKS-01'] });
  });

  it('leaves the stored events as written, so their hash chain still verifies', async () => {
    const raw: RecordedEvent[] = [];
    for await (const event of stored.readStream('case-c1')) raw.push(event);
    expect(dataOf(raw)).toEqual(history.map(({ data }) => data));
    expect(raw.map((event) => event.metadata['schemaVersion'])).toEqual([0, 0]);
    expect(findChainBreak(raw)).toBeNull();
  });
});
