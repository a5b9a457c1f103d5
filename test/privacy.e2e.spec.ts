/**
 * Personal data through the whole service: sealed in the log and in the views, opened
 * only for readers who may see it, never for analysts; erased by crypto-shredding, after which every read —
 * case views, audit state, events and export, rebuilt views, a restarted service — shows the subject as
 * erased while the hash chains still verify; and the data subject's access report.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExportLine } from '../src/audit/case-export.js';
import { GENESIS_HASH, sealEvents } from '../src/core/event-envelope.js';
import { EVENT_STORE, type EventStore } from '../src/event-store/event-store.port.js';
import { SUBJECT_KEYS } from '../src/privacy/subject-key.store.js';
import { caseSummariesProjection } from '../src/projections/case-summaries/case-summaries.projection.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { verifyProjection } from '../src/projections/verify-projection.js';
import { READ_STORE, type ReadStore } from '../src/read-store/read-store.port.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { openedPersonal } from './support/personal-data.js';
import { Scenario, type CaseRequest, type SubjectInput } from './support/scenario.js';
import { SAMPLE_NIK, TestApp, type Response } from './support/test-app.js';

const REGION = '33.71.01.1008';
const SUBJECT = {
  name: 'Rahmawati Sulistyo', nik: SAMPLE_NIK, kkNumber: '3371012503070011', address: 'Jl. Pahlawan 7', rt: '02', rw: '05',
  phone: '081298765432', birthDate: '1980-05-12',
};
const DESCRIPTION = 'Tinggal sendiri di rumah kontrakan';
const NOTE = 'Sering pingsan di pasar';
const REASON = 'Perlu pemeriksaan jantung';
/** Everything personal the specs write about the subject: none of it may be stored, or shown once erased. */
const SECRETS = ['Rahmawati', SAMPLE_NIK, '3371012503070011', 'Pahlawan', '081298765432', '1980-05-12', DESCRIPTION, NOTE, REASON, 'Rujukan selesai'];
const OTHER = { name: 'Bambang Wiryawan', nik: '3371011505750002', regionCode: REGION };

const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-privacy-'));
let t: TestApp;
let s: Scenario;
let owner: string;
let puskesos: string;
let coordinator: string;
let dinsos: string;
let auditor: string;
let analyst: string;
/** Two cases of the subject, one of another person. */
let first: string;
let second: string;
let other: string;
let subjectId: string;

async function ok(response: Promise<Response>, status = 200): Promise<Response> {
  const answered = await response;
  expect({ status: answered.status, body: answered.body }).toMatchObject({ status });
  return answered;
}

/** A case of this file: the subject given, living in REGION. */
const caseOf = (subject: Omit<SubjectInput, 'regionCode'>, description = DESCRIPTION): Partial<CaseRequest> =>
  ({ networkId: NETWORK, subject: { ...subject, regionCode: REGION }, categories: ['PPKS-08'], urgency: 'high', description });

/** Every file in the data folder (the event log, the views, their WAL files), as text. */
const dataFolderText = () => readdirSync(dataDir).map((file) => readFileSync(join(dataDir, file)).toString('latin1')).join('\n');
const exportCase = async (id: string) =>
  (await t.app.inject({ method: 'GET', url: `/api/v1/audit/cases/${id}/export`, headers: { authorization: `Bearer ${auditor}` } })).body;
const erase = (id: string, token = dinsos, key = `erase-${id}`) => t.post(`/subjects/${id}/erasure`, token, { reason: 'Permintaan PDP no. 12/2026' }, { 'idempotency-key': key });
const expectNoSecret = (text: string) => { for (const secret of SECRETS) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false }); };

beforeAll(async () => {
  t = await TestApp.start({ dataDir });
  [owner, puskesos, coordinator, dinsos, auditor, analyst] = await Promise.all([
    t.token({ role: 'caseworker', institutionId: OWNER }), t.token({ role: 'caseworker', institutionId: PUSKESOS }),
    t.token({ role: 'coordinator', networkId: NETWORK }), t.token({ role: 'dinsos' }), t.token({ role: 'auditor' }), t.token({ role: 'analyst' }),
  ]);
  s = new Scenario(t);
  first = await s.openCase(caseOf(SUBJECT));
  await s.consent(first);
  await ok(t.post(`/cases/${first}/notes`, owner, { text: NOTE, visibility: 'participants' }), 201);
  const referralId = await s.refer(first, PUSKESOS, { reason: REASON });
  await ok(t.post(`/cases/${first}/referrals/${referralId}/accept`, puskesos));
  await ok(t.post(`/cases/${first}/referrals/${referralId}/complete`, puskesos, { outcome: 'resolved', summary: 'Rujukan selesai' }));
  second = await s.openCase(caseOf({ name: SUBJECT.name, nik: SAMPLE_NIK }));
  other = await s.openCase(caseOf(OTHER, 'Butuh kursi roda'));
  subjectId = (await ok(t.get(`/cases/${first}`, owner))).body.subject.id;
}, 60_000);
afterAll(async () => {
  await t.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('before erasure', () => {
  it('stores no personal value in plaintext: not in the events, not in any file of the data folder', async () => {
    const events = [...(await t.stream(`case-${first}`)), ...(await t.stream(`case-${second}`))];
    expect(events.filter((event) => 'personal' in (event.data as object))).toHaveLength(5);
    expectNoSecret(JSON.stringify(events.map(({ data, metadata }) => ({ data, metadata }))));
    expectNoSecret(dataFolderText());
    expect(await openedPersonal(t, events[0]!)).toEqual({ subject: SUBJECT, description: DESCRIPTION });
  });

  it('opens it for those who may read the case: participants, the coordinator, auditors', async () => {
    const expected = { id: subjectId, regionCode: REGION, ...SUBJECT };
    expect((await ok(t.get(`/cases/${first}`, puskesos))).body.subject).toEqual(expected);
    const list = await ok(t.get('/cases?limit=100', coordinator));
    expect(list.body.items.find((item: { id: string }) => item.id === first).subject).toEqual(expected);
    expect((await ok(t.get(`/audit/cases/${first}/state?revision=0`, auditor))).body.state.subject).toEqual(expected);
    const events = (await ok(t.get(`/audit/cases/${first}/events`, auditor))).body.items;
    expect(events.map((item: { personal?: unknown }) => item.personal).filter(Boolean)).toEqual([
      { subject: SUBJECT, description: DESCRIPTION }, { text: NOTE }, { reason: REASON }, { summary: 'Rujukan selesai' },
    ]);
    expect((await exportCase(first)).split('\n')[0]).toContain(SUBJECT.name);
  });

  it('never to an analyst, and never in the timeline or the analytics', async () => {
    for (const url of [`/cases/${first}`, '/cases', `/audit/cases/${first}/events`, `/subjects/${subjectId}/access-report`]) {
      expect({ url, status: (await t.get(url, analyst)).status }).toEqual({ url, status: 403 });
    }
    expectNoSecret(JSON.stringify((await ok(t.get('/analytics/summary', analyst))).body));
    expectNoSecret(JSON.stringify((await ok(t.get(`/cases/${first}/timeline`, owner))).body));
  });
});

describe('erasure', () => {
  let erasure: Response;
  beforeAll(async () => {
    erasure = await erase(subjectId);
  });

  it('is for dinsos, about a subject that exists', async () => {
    for (const token of [owner, coordinator, auditor, analyst]) expect((await erase(subjectId, token, 'not-yours')).status).toBe(403);
    expect((await erase('subject-nobody-knows')).status).toBe(404);
  });

  it('records SubjectDataErased in the subject\'s stream, once: a retry is replayed, a new request refused', async () => {
    expect(erasure.status).toBe(200);
    expect(erasure.body).toEqual({ id: subjectId, revision: '0', position: expect.any(String) });
    const stream = await t.stream(`subject-${subjectId}`);
    expect(stream).toEqual([expect.objectContaining({ type: 'SubjectDataErased', data: { subjectId, erasedAt: expect.any(String), reason: 'Permintaan PDP no. 12/2026' } })]);
    const retry = await erase(subjectId);
    expect({ status: retry.status, replayed: retry.headers['idempotent-replayed'], body: retry.body }).toEqual({ status: 200, replayed: 'true', body: erasure.body });
    expect((await erase(subjectId, dinsos, 'again')).status).toBe(409);
    expect(await t.stream(`subject-${subjectId}`)).toHaveLength(1);
  });

  it('shows the subject as erased in the case views, and other subjects as before', async () => {
    for (const id of [first, second]) {
      const view = (await ok(t.get(`/cases/${id}`, owner))).body;
      expect(view.subject).toEqual({ id: subjectId, erased: true });
      expectNoSecret(JSON.stringify(view));
    }
    const list = (await ok(t.get('/cases?limit=100', coordinator))).body;
    expectNoSecret(JSON.stringify(list));
    expect(list.items.find((item: { id: string }) => item.id === other).subject).toMatchObject({ name: OTHER.name });
  });

  it('shows it erased to auditors too (state, events, export), while every hash chain still verifies', async () => {
    expect((await ok(t.get(`/audit/cases/${first}/state?revision=0`, auditor))).body.state.subject).toEqual({ id: subjectId, erased: true });
    const events = (await ok(t.get(`/audit/cases/${first}/events`, auditor))).body.items;
    expect(events.map((item: { personal?: unknown }) => item.personal).filter(Boolean)).toEqual(Array(4).fill({ erased: true }));
    const exported = await exportCase(first);
    expectNoSecret(JSON.stringify(events) + exported);
    // The export still re-imports: the stored events are untouched.
    const lines = exported.trimEnd().split('\n');
    expect(lines.map((line) => parseExportLine(line).event.id)).toEqual((await t.stream(`case-${first}`)).map((event) => event.id));
    expect((await ok(t.get('/audit/verify', auditor))).body).toMatchObject({ ok: true, firstBroken: null });
  });

  it('links no new case to the erased NIK, but helps the person without it; the erased cases go on, keeping nothing new', async () => {
    const refused = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Rahmawati', nik: SAMPLE_NIK, regionCode: REGION }, categories: ['PPKS-08'], urgency: 'high', description: 'lagi' });
    expect({ status: refused.status, fields: refused.body.errors?.map((error: { field: string }) => error.field) }).toEqual({ status: 409, fields: ['subject.nik'] });
    await s.openCase(caseOf({ name: 'Rahmawati' }, 'tanpa NIK'));
    const note = await ok(t.post(`/cases/${second}/notes`, owner, { text: 'Catatan setelah penghapusan', visibility: 'participants' }), 201);
    const stored = (await t.stream(`case-${second}`)).at(-1)!;
    expect(stored.revision.toString()).toBe(note.body.revision);
    expect(await openedPersonal(t, stored)).toEqual({ erased: true });
  });

  it('stays erased in views rebuilt from the log, which leave the key store alone', async () => {
    const views = t.app.get<ReadStore>(READ_STORE);
    const keysBefore = await views.collection(SUBJECT_KEYS).find({});
    await rebuildProjection(caseSummariesProjection, t.app.get<EventStore>(EVENT_STORE), views);
    expect((await verifyProjection(caseSummariesProjection, t.app.get<EventStore>(EVENT_STORE), views)).differences).toEqual([]);
    expect(await views.collection(SUBJECT_KEYS).find({})).toEqual(keysBefore);
    expect(keysBefore.find((key) => key._id === subjectId)).toEqual({ _id: subjectId, erasedAt: expect.any(String) });
    expect((await ok(t.get(`/cases/${first}`, owner))).body.subject).toEqual({ id: subjectId, erased: true });
    expect((await ok(t.get(`/cases/${other}`, owner))).body.subject).toMatchObject({ name: OTHER.name });
  });

  it('stays erased after a restart: commands fold the sealed history again and views are built anew', async () => {
    await t.stop();
    t = await TestApp.start({ dataDir });
    await ok(t.post(`/cases/${first}/needs`, owner, { categories: ['PPKS-08', 'PPKS-24'], urgency: 'normal' }));
    expect((await erase(subjectId)).headers['idempotent-replayed']).toBe('true');
    expect((await ok(t.get(`/cases/${first}`, owner))).body).toMatchObject({ categories: ['PPKS-08', 'PPKS-24'], subject: { id: subjectId, erased: true } });
    expect((await ok(t.get(`/cases/${other}`, owner))).body.subject).toMatchObject({ name: OTHER.name });
    const listed = (await ok(t.get('/cases?limit=100', coordinator))).body.items.filter((item: { id: string }) => item.id === first || item.id === second);
    expect(listed.map((item: { subject: unknown }) => item.subject)).toEqual([{ id: subjectId, erased: true }, { id: subjectId, erased: true }]);
    expect((await ok(t.get('/audit/verify', auditor))).body).toMatchObject({ ok: true, firstBroken: null });
    expectNoSecret(dataFolderText());
  });
});

describe('GET /subjects/:subjectId/access-report', () => {
  it('lists the subject\'s cases, the fields held (names only), every auditor read and the erasure', async () => {
    const report = (await ok(t.get(`/subjects/${subjectId}/access-report`, dinsos))).body;
    expectNoSecret(JSON.stringify(report));
    expect(report).toMatchObject({
      subjectId, erased: true,
      erasure: { at: expect.any(String), by: { userId: 'user-dinsos-x', role: 'dinsos' }, reason: 'Permintaan PDP no. 12/2026' },
    });
    expect(report.cases).toEqual(expect.arrayContaining([
      { id: first, networkId: NETWORK, ownerInstitutionId: OWNER, status: 'open', openedAt: expect.any(String), erased: true, personalFields: [] },
      expect.objectContaining({ id: second, erased: true, personalFields: [] }),
    ]));
    expect(report.cases).toHaveLength(2);
    const reads = report.reads.map(({ caseId, route, actor }: { caseId: string; route: string; actor: { role: string } }) => `${caseId} ${route} ${actor.role}`);
    expect(reads).toEqual(expect.arrayContaining([`${first} events auditor`, `${first} state auditor`, `${first} export auditor`]));
    expect(reads.every((read: string) => !read.startsWith(other))).toBe(true);
  });

  it('names the personal fields each case holds while the key exists', async () => {
    const report = (await ok(t.get(`/subjects/${(await ok(t.get(`/cases/${other}`, owner))).body.subject.id}/access-report`, dinsos))).body;
    expect(report).toMatchObject({ erased: false, erasure: null, reads: [] });
    expect(report.cases).toEqual([expect.objectContaining({ id: other, erased: false, personalFields: ['CaseOpened.description', 'CaseOpened.subject.name', 'CaseOpened.subject.nik'] })]);
    expect(JSON.stringify(report)).not.toContain(OTHER.name);
  });

  it('is for dinsos; an unknown subject is not found', async () => {
    for (const token of [owner, coordinator, auditor]) expect((await t.get(`/subjects/${subjectId}/access-report`, token)).status).toBe(403);
    expect((await t.get('/subjects/subject-nobody-knows/access-report', dinsos)).status).toBe(404);
  });
});

describe('events written before encryption', () => {
  it('show their plaintext until the subject is erased, then read as erased (the stored form keeps it: the chain covers it)', async () => {
    const caseId = 'legacy-case-1';
    const [legacy] = sealEvents(GENESIS_HASH, [{
      type: 'CaseOpened',
      data: {
        caseId, networkId: NETWORK, ownerInstitutionId: OWNER, subjectId: 'legacy-subject-1', regionCode: REGION, categories: ['PPKS-08'],
        urgency: 'normal', openedAt: '2026-01-05T08:00:00.000Z', personal: { subject: { name: 'Warga Lama' }, description: 'sebelum enkripsi' },
      },
      metadata: {
        eventId: 'legacy-event-1', schemaVersion: 1, occurredAt: '2026-01-05T08:00:00.000Z', actor: { userId: 'u', role: 'caseworker', institutionId: OWNER },
        commandId: 'legacy-command-1', correlationId: 'legacy-command-1', causationId: 'legacy-command-1', requestHash: 'legacy',
      },
    }]);
    const { position } = await t.store.append(`case-${caseId}`, [{ id: legacy!.metadata.eventId, ...legacy! }], { expectedRevision: 'no_stream' });
    const read = () => ok(t.get(`/cases/${caseId}`, owner, { 'x-min-position': position.toString() }));
    expect((await read()).body.subject).toMatchObject({ name: 'Warga Lama' });
    await ok(erase('legacy-subject-1'));
    expect((await read()).body.subject).toEqual({ id: 'legacy-subject-1', erased: true });
    const [item] = (await ok(t.get(`/audit/cases/${caseId}/events`, auditor))).body.items;
    expect(item).toMatchObject({ data: { personal: { subject: { name: 'Warga Lama' } } }, personal: { erased: true } });
  });
});
