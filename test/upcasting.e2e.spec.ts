/**
 * A case from the pilot log, written in the version-0 shapes (one `category`, a decline without a reason
 * code) and sealed as it was then, read through the whole service: commands fold it, the views and the
 * auditor's state show it in the current shape, and the stored events keep their shape, export as
 * stored and verify.
 */
import { findChainBreak, GENESIS_HASH, sealEvents } from '../src/core/event-envelope.js';
import type { CaseOpenedV0, ReferralDeclinedV0 } from '../src/cases/case.upcasters.js';
import { CURRENT_SCHEMA_VERSION } from '../src/core/upcasting.js';
import { parseExportLine } from '../src/audit/case-export.js';
import { verifyIntegrity } from '../src/audit/integrity.js';
import { EVENT_STORE, type EventStore } from '../src/event-store/event-store.port.js';
import { TestApp } from './support/test-app.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';

const CASE = 'pilot-case-0001';
const STREAM = `case-${CASE}`;
const REFERRAL = 'pilot-referral-0001';
const actor = { userId: 'pilot-user', role: 'caseworker' as const, institutionId: OWNER };

const opened: CaseOpenedV0 = {
  caseId: CASE, networkId: NETWORK, ownerInstitutionId: OWNER, subjectId: 'pilot-subject-0001', regionCode: '33.71.01.1008',
  category: 'PPKS-24', urgency: 'normal', openedAt: '2024-03-01T08:00:00.000Z',
  personal: { subject: { name: 'Warga Pilot' }, description: 'from the pilot log' },
};
const declined: ReferralDeclinedV0 = { referralId: REFERRAL, at: '2024-03-02T08:00:00.000Z', personal: { reason: 'penuh bulan ini' } };
/** When each pilot event occurred. */
const occurredAt = ['2024-03-01T08:00:00.000Z', '2024-03-01T08:05:00.000Z', '2024-03-01T09:00:00.000Z', '2024-03-02T08:00:00.000Z'];
const pilotHistory = [
  { type: 'CaseOpened', data: opened },
  {
    type: 'ConsentRecorded',
    data: { consentId: 'pilot-consent-0001', scope: 'referral', recipients: 'network', givenBy: 'subject', recordedAt: '2024-03-01T08:00:00.000Z', expiresAt: null },
  },
  {
    type: 'ReferralRequested',
    data: {
      referralId: REFERRAL, fromInstitutionId: OWNER, toInstitutionId: PUSKESOS, urgency: 'normal', requestedAt: '2024-03-01T09:00:00.000Z',
      dueAt: '2024-03-08T09:00:00.000Z', targetInNetwork: true, consentId: 'pilot-consent-0001', emergencyOverride: false, personal: { reason: 'butuh sembako' },
    },
  },
  { type: 'ReferralDeclined', data: declined },
];

let t: TestApp;
let owner: string;
let puskesos: string;
let auditor: string;
let pilotPosition: bigint;

beforeAll(async () => {
  t = await TestApp.start();
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  auditor = await t.token({ role: 'auditor' });
  const sealed = sealEvents(GENESIS_HASH, pilotHistory.map(({ type, data }, index) => ({
    type,
    data,
    metadata: {
      eventId: `pilot-event-${index}`, schemaVersion: 0, occurredAt: occurredAt[index]!, actor,
      commandId: `pilot-command-${index}`, correlationId: `pilot-command-${index}`, causationId: `pilot-command-${index}`, requestHash: 'pilot',
    },
  })));
  // Straight into the log, as the pilot release wrote it.
  ({ position: pilotPosition } = await t.store.append(STREAM, sealed.map((event) => ({ id: event.metadata.eventId, ...event })), { expectedRevision: 'no_stream' }));
});
afterAll(() => t.stop());

it('shows the pilot case in the current shape in the views', async () => {
  const response = await t.get(`/cases/${CASE}`, owner, { 'x-min-position': pilotPosition.toString() });
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({
    categories: ['PPKS-24'], status: 'open', revision: '3',
    referrals: [{ id: REFERRAL, status: 'declined', declineReasonCode: 'other' }],
  });
  const timeline = await t.get(`/cases/${CASE}/timeline`, owner);
  expect(timeline.body.items[0]).toMatchObject({ type: 'CaseOpened', details: { categories: ['PPKS-24'] } });
  expect(timeline.body.items[0].details).not.toHaveProperty('category');
});

it('folds the pilot case for new commands, which extend its hash chain', async () => {
  const referred = await t.post(`/cases/${CASE}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'coba lagi' });
  expect(referred.status).toBe(201);
  expect(referred.body.revision).toBe('4');
  const { referralId } = referred.body;
  expect((await t.post(`/cases/${CASE}/referrals/${referralId}/decline`, puskesos, { reasonCode: 'no_capacity', reason: 'x' })).status).toBe(200);

  const response = await t.get(`/cases/${CASE}`, owner);
  expect(response.body.referrals.map((referral: { declineReasonCode: string }) => referral.declineReasonCode)).toEqual(['other', 'no_capacity']);
  const stored = await t.stream(STREAM);
  expect(stored.map((event) => event.metadata['schemaVersion'])).toEqual([0, 0, 0, 0, CURRENT_SCHEMA_VERSION, CURRENT_SCHEMA_VERSION]);
  expect(findChainBreak(stored)).toBeNull();
});

it("gives auditors the pilot case's state in the current shape, by revision and by time", async () => {
  const atDecline = await t.get(`/audit/cases/${CASE}/state?revision=3`, auditor);
  expect(atDecline.status).toBe(200);
  expect(atDecline.body.state).toMatchObject({ categories: ['PPKS-24'], referrals: [{ id: REFERRAL, status: 'declined', declineReasonCode: 'other' }] });
  const beforeDecline = await t.get(`/audit/cases/${CASE}/state?asOf=2024-03-01T12:00:00.000Z`, auditor);
  expect(beforeDecline.body).toMatchObject({ revision: '2', state: { categories: ['PPKS-24'], referrals: [{ id: REFERRAL, status: 'requested' }] } });
});

it('keeps the stored events as written: they verify and export as such, and only they do', async () => {
  const stored = await t.stream(STREAM);
  expect(stored.slice(0, 4).map(({ type, data }) => ({ type, data }))).toEqual(pilotHistory);
  expect((await t.get('/audit/verify', auditor)).body).toMatchObject({ ok: true, firstBroken: null });

  const exported = await t.app.inject({ method: 'GET', url: `/api/v1/audit/cases/${CASE}/export`, headers: { authorization: `Bearer ${auditor}` } });
  const lines = exported.body.trimEnd().split('\n').map(parseExportLine);
  expect(lines.slice(0, 4).map(({ event }) => ({ type: event.type, data: event.data, schemaVersion: event.metadata['schemaVersion'] })))
    .toEqual(pilotHistory.map(({ type, data }) => ({ type, data, schemaVersion: 0 })));
  // ...and each old line also shows the event as this release reads it; current lines need no such field.
  const raw = exported.body.trimEnd().split('\n').map((line: string) => JSON.parse(line));
  const caseOpened = raw.find((line: { type: string }) => line.type === 'CaseOpened');
  expect(caseOpened.current).toEqual({ schemaVersion: CURRENT_SCHEMA_VERSION, data: expect.objectContaining({ categories: ['PPKS-24'] }) });
  const currentLines = raw.filter((line: { metadata: { schemaVersion: number } }) => line.metadata.schemaVersion === CURRENT_SCHEMA_VERSION);
  expect(currentLines.length).toBeGreaterThan(0);
  expect(currentLines.every((line: { current?: unknown }) => line.current === undefined)).toBe(true);

  // The hash covers the stored bytes: read upcast, the pilot events no longer match it.
  const upcast = await verifyIntegrity(t.app.get<EventStore>(EVENT_STORE), { stream: STREAM });
  expect(upcast.firstBroken).toMatchObject({ revision: '0', reason: 'hash mismatch' });
});
