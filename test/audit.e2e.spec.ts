/**
 * The auditor's questions over HTTP (issue 5): what happened to a case and who did it (its events), what it
 * looked like at any point (state by revision or time, equal to an independent fold), whether anyone
 * rewrote history (verify, after editing the SQLite file behind the app's back), an export that re-imports
 * to the same verifiable stream, and every auditor read recorded, without personal data, before it is served.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ACCESS_STREAM_PREFIX } from '../src/audit/access.events.js';
import { parseExportLine } from '../src/audit/case-export.js';
import { verifyIntegrity } from '../src/audit/integrity.js';
import type { CaseEvent } from '../src/cases/case.events.js';
import { evolveCase, initialCaseState, type CaseState, type ExistingCase } from '../src/cases/case.state.js';
import { caseView } from '../src/cases/case.view.js';
import type { RecordedEvent } from '../src/event-store/event-store.port.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { Scenario, type CaseRequest } from './support/scenario.js';
import { SAMPLE_NIK, TestApp, type Response } from './support/test-app.js';

const SUBJECT = { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008', address: 'Jl. Tidar 12', phone: '081234567890' };
/** The case's personal data as an auditor is shown it, opened from its sealed form. */
const { regionCode: _region, ...SUBJECT_PERSONAL } = SUBJECT;
/** The case this file opens (with the subject's consent for the network). */
const AUDITED_CASE: Partial<CaseRequest> = { subject: SUBJECT, categories: ['PPKS-08'], urgency: 'high', description: 'Lives alone' };
const OPENED = { erased: false, value: { subject: SUBJECT_PERSONAL, description: 'Lives alone' } } as const;

let t: TestApp;
/** Each step an hour after the one before, as `command` does. */
let s: Scenario;
let owner: string;
let puskesos: string;
let posyandu: string;
let auditor: string;
let dinsos: string;
/** A case with a long history (≥ 40 events, an hour apart), shared by the read-only tests. */
let caseId: string;

beforeAll(async () => {
  t = await TestApp.start();
  s = new Scenario(t, { hoursBetweenSteps: 1 });
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
  auditor = await t.token({ role: 'auditor' });
  dinsos = await t.token({ role: 'dinsos' });
  caseId = await longHistory();
}, 60_000);
afterAll(() => t.stop());

/** Each command an hour after the one before, so that every command has its own `occurredAt`. */
async function command(url: string, token: string, body: unknown = {}): Promise<Response> {
  t.clock.advanceHours(1);
  const response = await t.post(url, token, body);
  expect({ url, succeeded: response.status < 300 }).toEqual({ url, succeeded: true });
  return response;
}

/** Notes, needs, referrals through accept/start/hold/resume/complete and declines, acknowledged; closed and reopened. */
async function longHistory(): Promise<string> {
  const id = await s.consentedCase(AUDITED_CASE);
  const referral = (to: string) => t.post(`/cases/${id}/referrals`, owner, { toInstitutionId: to, reason: 'Needs a home visit' });
  for (let round = 0; round < 4; round++) {
    await command(`/cases/${id}/notes`, owner, { text: `Visit ${round}: Siti Aminah at home`, visibility: 'participants' });
    await command(`/cases/${id}/needs`, owner, { categories: round % 2 ? ['PPKS-08'] : ['PPKS-08', 'PPKS-24'], urgency: round % 2 ? 'high' : 'normal' });
    t.clock.advanceHours(1);
    const rid = (await referral(PUSKESOS)).body.referralId;
    for (const [action, body] of [['accept', {}], ['start', {}], ['hold', { reason: 'Waiting for KK' }], ['resume', {}], ['complete', { outcome: 'resolved', summary: 'Enrolled in PKH' }]] as const) {
      await command(`/cases/${id}/referrals/${rid}/${action}`, puskesos, body);
    }
    await command(`/cases/${id}/referrals/${rid}/acknowledge`, owner);
    t.clock.advanceHours(1);
    const declined = (await referral(POSYANDU)).body.referralId;
    await command(`/cases/${id}/referrals/${declined}/decline`, posyandu, { reasonCode: 'not_eligible', reason: 'Only serves toddlers' });
    await command(`/cases/${id}/referrals/${declined}/acknowledge`, owner);
  }
  await command(`/cases/${id}/close`, owner, { outcome: 'resolved', summary: 'Receiving support' });
  await command(`/cases/${id}/reopen`, owner, { reason: 'Lost the support again' });
  return id;
}

function expectProblem(response: Response, status: number, fields?: string[]): void {
  expect({ status: response.status, type: response.headers['content-type'] }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
  if (fields) expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(fields);
}

/** The state `GET /cases/:id` would have shown after the first `count` events, folded here with the domain's evolve. */
function foldedView(events: readonly RecordedEvent[], count: number) {
  const state = events.slice(0, count).reduce<CaseState>((folded, event) => evolveCase(folded, { type: event.type, data: event.data } as CaseEvent), initialCaseState);
  return caseView(state as ExistingCase, events[count - 1]!.revision, OPENED);
}

const occurredAt = (event: RecordedEvent) => event.metadata['occurredAt'] as string;

async function accessEvents(id: string): Promise<RecordedEvent[]> {
  return t.stream(`${ACCESS_STREAM_PREFIX}${id}`);
}

async function everyEvent(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of t.store.readAll()) events.push(event);
  return events;
}

/** The export route, read raw: its body is NDJSON, not one JSON document. */
const exportCase = (id: string, token = auditor) => t.app.inject({ method: 'GET', url: `/api/v1/audit/cases/${id}/export`, headers: { authorization: `Bearer ${token}` } });

describe('GET /audit/cases', () => {
  it('finds every case, newest first, by ids and dates, without personal data and without recording a read', async () => {
    const closed = await s.consentedCase(AUDITED_CASE);
    await command(`/cases/${closed}/close`, owner, { outcome: 'resolved', summary: 'Siti Aminah is fine' });
    const newest = await s.consentedCase(AUDITED_CASE);
    const before = await everyEvent();

    const all: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    do {
      const page: Response = await t.get(`/audit/cases?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auditor);
      expect(page.status).toBe(200);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const ids = all.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.indexOf(newest)).toBeLessThan(ids.indexOf(closed));
    expect(ids).toContain(caseId);

    const closedStream = await t.stream(`case-${closed}`);
    expect(all.find((item) => item.id === closed)).toEqual({
      id: closed, networkId: NETWORK, ownerInstitutionId: OWNER, status: 'closed', escalated: false, referrals: 0,
      revision: closedStream.at(-1)!.revision.toString(), openedAt: occurredAt(closedStream[0]!), closedAt: occurredAt(closedStream.at(-1)!),
    });
    expect(all.find((item) => item.id === caseId)).toMatchObject({ status: 'open', referrals: 8, closedAt: null });
    const text = JSON.stringify(all);
    for (const personal of [SUBJECT.name, 'Siti', SUBJECT.nik, SUBJECT.address, SUBJECT.phone, 'Lives alone']) expect(text).not.toContain(personal);

    const closedOnly = await t.get('/audit/cases?status=closed&limit=100', auditor);
    expect(closedOnly.body.items.map((item: { id: string }) => item.id)).toEqual([closed]);
    expect((await t.get(`/audit/cases?institutionId=${PUSKESOS}&limit=100`, auditor)).body.items.map((item: { id: string }) => item.id)).toEqual([caseId]);
    expectProblem(await t.get('/audit/cases?status=lost', auditor), 422, ['query.status']);
    // Nothing about any case was read: nothing is recorded.
    expect(await everyEvent()).toEqual(before);
  });
});

describe('GET /audit/cases/:id/state', () => {
  it('as of every revision, equals the fold of the events up to it', async () => {
    const events = await t.stream(`case-${caseId}`);
    expect(events.length).toBeGreaterThanOrEqual(40);
    for (let revision = 0; revision < events.length; revision++) {
      const response = await t.get(`/audit/cases/${caseId}/state?revision=${revision}`, auditor);
      expect({ revision, status: response.status }).toEqual({ revision, status: 200 });
      expect(response.body).toEqual({ revision: String(revision), state: foldedView(events, revision + 1) });
    }
  });

  it('as of a time, picks the last event at or before it: at an event\'s exact time and between two', async () => {
    const events = await t.stream(`case-${caseId}`);
    const revisionAt = (asOf: string) => events.filter((event) => Date.parse(occurredAt(event)) <= Date.parse(asOf)).at(-1)!.revision;
    for (const [index, event] of events.entries()) {
      const next = events[index + 1];
      const between = next ? new Date((Date.parse(occurredAt(event)) + Date.parse(occurredAt(next))) / 2).toISOString() : '2100-01-01T00:00:00.000Z';
      for (const asOf of [occurredAt(event), between]) {
        const response = await t.get(`/audit/cases/${caseId}/state?asOf=${encodeURIComponent(asOf)}`, auditor);
        const revision = revisionAt(asOf);
        expect({ asOf, status: response.status, revision: response.body.revision }).toEqual({ asOf, status: 200, revision: String(revision) });
        expect(response.body).toEqual({ asOf, revision: String(revision), state: foldedView(events, Number(revision) + 1) });
      }
    }
    // The same instant written in WIB (UTC+7) is the same point.
    const wib = new Date(Date.parse(occurredAt(events[5]!)) + 7 * 3_600_000).toISOString().replace('Z', '+07:00');
    expect((await t.get(`/audit/cases/${caseId}/state?asOf=${encodeURIComponent(wib)}`, auditor)).body.revision).toBe(String(revisionAt(occurredAt(events[5]!))));
  });

  it('has no state before the first event or past the last revision (404), and wants exactly one of asOf and revision (422)', async () => {
    const events = await t.stream(`case-${caseId}`);
    const before = new Date(Date.parse(occurredAt(events[0]!)) - 1).toISOString();
    const early = await t.get(`/audit/cases/${caseId}/state?asOf=${encodeURIComponent(before)}`, auditor);
    expectProblem(early, 404);
    expect(early.body.detail).toMatch(/did not exist yet/);
    const past = await t.get(`/audit/cases/${caseId}/state?revision=${events.length}`, auditor);
    expectProblem(past, 404);
    expect(past.body.detail).toContain(`its last is ${events.length - 1}`);
    expectProblem(await t.get(`/audit/cases/${caseId}/state`, auditor), 422, ['query.asOf', 'query.revision']);
    expectProblem(await t.get(`/audit/cases/${caseId}/state?revision=1&asOf=2026-11-02T08:00:00Z`, auditor), 422, ['query.asOf', 'query.revision']);
    expectProblem(await t.get(`/audit/cases/${caseId}/state?revision=-1`, auditor), 422, ['query.revision']);
    expectProblem(await t.get(`/audit/cases/${caseId}/state?asOf=yesterday`, auditor), 422, ['query.asOf']);
    expectProblem(await t.get('/audit/cases/no-such-case/state?revision=0', auditor), 404);
  });
});

describe('GET /audit/cases/:id/events', () => {
  it('pages through the whole stream by revision, with data and metadata as stored, and the personal part opened', async () => {
    const items: { personal?: unknown }[] = [];
    let cursor: string | null = null;
    do {
      const response: Response = await t.get(`/audit/cases/${caseId}/events?limit=15${cursor === null ? '' : `&cursor=${cursor}`}`, auditor);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(15);
      items.push(...response.body.items);
      cursor = response.body.nextCursor;
    } while (cursor !== null);
    const events = await t.stream(`case-${caseId}`);
    expect(items.map(({ personal: _personal, ...stored }) => stored))
      .toEqual(events.map(({ revision, position, type, data, metadata }) => ({ revision: String(revision), position: String(position), type, data, metadata })));
    // Stored sealed; beside it, opened for the auditor: every personal part, and only those.
    expect(JSON.stringify(events.map(({ data }) => data))).not.toContain('Siti');
    expect(items.map((item) => item.personal !== undefined)).toEqual(events.map((event) => 'personal' in (event.data as object)));
    expect(items[0]!.personal).toEqual(OPENED.value);
    expect(items.filter((_item, index) => events[index]!.type === 'CaseNoteAdded').map((item) => item.personal))
      .toEqual([0, 1, 2, 3].map((round) => ({ text: `Visit ${round}: Siti Aminah at home` })));
  });

  it('answers 404 for an unknown case and 422 for a cursor it never gave', async () => {
    expectProblem(await t.get('/audit/cases/no-such-case/events', auditor), 404);
    expectProblem(await t.get(`/audit/cases/${caseId}/events?cursor=abc`, auditor), 422, ['query.cursor']);
  });
});

describe('GET /audit/verify', () => {
  it('passes a clean store, counting every event (the verify read included)', async () => {
    const response = await t.get('/audit/verify', auditor);
    expect(response.body).toEqual({ ok: true, checked: (await everyEvent()).length, firstBroken: null });
    const stream = await t.get(`/audit/verify?stream=case-${caseId}`, auditor);
    expect(stream.body).toEqual({ ok: true, checked: (await t.stream(`case-${caseId}`)).length, firstBroken: null });
    expectProblem(await t.get('/audit/verify?stream=case-no-such-case', auditor), 404);
    expectProblem(await t.get('/audit/verify?stream=$all', auditor), 422, ['query.stream']);
  });

  it('names exactly the event edited in the SQLite file, and passes again once it is put back', async () => {
    const target = (await t.stream(`case-${caseId}`))[17]!;
    const db = new Database(join(t.config.dataDir, 'events.sqlite'));
    try {
      const { data } = db.prepare('SELECT data FROM events WHERE event_id = ?').get(target.id) as { data: string };
      db.prepare(`UPDATE events SET data = json_set(data, '$.at', '2020-01-01T00:00:00.000Z') WHERE event_id = ?`).run(target.id);
      const broken = { stream: `case-${caseId}`, revision: String(target.revision), eventId: target.id, reason: 'hash mismatch' };
      expect((await t.get('/audit/verify', auditor)).body).toMatchObject({ ok: false, firstBroken: broken });
      expect((await t.get(`/audit/verify?stream=case-${caseId}`, auditor)).body).toEqual({ ok: false, checked: Number(target.revision) + 1, firstBroken: broken });
      db.prepare('UPDATE events SET data = ? WHERE event_id = ?').run(data, target.id);
      expect((await t.get('/audit/verify', auditor)).body).toMatchObject({ ok: true, firstBroken: null });
    } finally {
      db.close();
    }
  });
});

describe('GET /audit/cases/:id/export', () => {
  it('streams NDJSON that re-imports into a fresh store as the same, verifiable stream', async () => {
    const response = await exportCase(caseId);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
    // Streamed: the length is not known up front.
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.body.endsWith('\n')).toBe(true);
    const lines = response.body.split('\n').slice(0, -1);
    // Each line with a personal part also carries it opened, for the auditor; the import ignores it.
    expect(JSON.parse(lines[0]!).personal).toEqual(OPENED.value);

    const dir = mkdtempSync(join(tmpdir(), 'rujukan-import-'));
    const copy = new SqliteEventStore(join(dir, 'events.sqlite'));
    try {
      for (const line of lines) {
        const { streamId, event, expectedRevision } = parseExportLine(line);
        await copy.append(streamId, [event], { expectedRevision });
      }
      const imported: RecordedEvent[] = [];
      for await (const event of copy.readStream(`case-${caseId}`)) imported.push(event);
      const original = await t.stream(`case-${caseId}`);
      const shape = ({ revision, id, type, data, metadata }: RecordedEvent) => ({ revision, id, type, data, metadata });
      expect(imported.map(shape)).toEqual(original.map(shape));
      expect(await verifyIntegrity(copy)).toEqual({ ok: true, checked: original.length, firstBroken: null });
    } finally {
      await copy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 404 for an unknown case', async () => {
    expect((await exportCase('no-such-case')).statusCode).toBe(404);
  });
});

describe('every auditor read is recorded', () => {
  it('as one CaseHistoryRead per read, by the auditor, in the case\'s access stream, which dinsos can list', async () => {
    const id = await s.consentedCase(AUDITED_CASE);
    const reads: Array<[route: string, query: Record<string, string>, read: () => Promise<unknown>]> = [
      ['events', { limit: '5' }, () => t.get(`/audit/cases/${id}/events?limit=5`, auditor)],
      ['state', { revision: '1' }, () => t.get(`/audit/cases/${id}/state?revision=1`, auditor)],
      ['state', { asOf: '2030-01-01T00:00:00.000Z' }, () => t.get(`/audit/cases/${id}/state?asOf=2030-01-01T07:00:00%2B07:00`, auditor)],
      ['export', {}, () => exportCase(id)],
      ['access-log', { limit: '20' }, () => t.get(`/audit/cases/${id}/access-log`, auditor)],
    ];
    for (const [index, [route, query, read]] of reads.entries()) {
      t.clock.advanceHours(1);
      await read();
      const recorded = await accessEvents(id);
      expect(recorded).toHaveLength(index + 1);
      expect(recorded.at(-1)).toMatchObject({
        type: 'CaseHistoryRead',
        data: { caseId: id, route, query },
        metadata: { actor: { userId: 'user-auditor-x', role: 'auditor' }, occurredAt: t.clock.now().toISOString() },
      });
    }
    expect(await verifyIntegrity(t.store, { stream: `${ACCESS_STREAM_PREFIX}${id}` })).toMatchObject({ ok: true, checked: reads.length });

    // dinsos reads the log (its reads are not auditor reads: nothing is added), a page at a time.
    const recorded = await accessEvents(id);
    const first = await t.get(`/audit/cases/${id}/access-log?limit=3`, dinsos);
    expect(first.status).toBe(200);
    const second = await t.get(`/audit/cases/${id}/access-log?limit=3&cursor=${first.body.nextCursor}`, dinsos);
    expect(second.body.nextCursor).toBeNull();
    expect([...first.body.items, ...second.body.items]).toEqual(reads.map(([route, query], index) => ({
      at: occurredAt(recorded[index]!), actor: { userId: 'user-auditor-x', role: 'auditor' }, route, query,
    })));
    expect(await accessEvents(id)).toHaveLength(reads.length);
  });

  it('records an integrity check in the store\'s own access stream; a check of a stream that does not exist reads nothing and records nothing', async () => {
    const stream = `case-${await s.openCase()}`;
    expect((await t.get(`/audit/verify?stream=${stream}`, auditor)).status).toBe(200);
    const last = (await everyEvent()).at(-1)!;
    expect(last).toMatchObject({ streamId: `${ACCESS_STREAM_PREFIX}_store`, type: 'IntegrityCheckRequested', data: { stream }, metadata: { actor: { role: 'auditor' } } });

    expect((await t.get('/audit/verify?stream=case-x', auditor)).status).toBe(404);
    expect((await everyEvent()).at(-1)).toEqual(last);
  });

  it('serves nothing (503) when the read cannot be recorded', async () => {
    const db = new Database(join(t.config.dataDir, 'events.sqlite'));
    db.exec(`CREATE TRIGGER refuse_access BEFORE INSERT ON events WHEN NEW.stream_id LIKE '${ACCESS_STREAM_PREFIX}%' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    try {
      for (const route of ['events', 'state?revision=0', 'access-log']) {
        const response = await t.get(`/audit/cases/${caseId}/${route}`, auditor);
        expectProblem(response, 503);
        expect(JSON.stringify(response.body)).not.toContain(SUBJECT.name);
      }
      const exported = await exportCase(caseId);
      expect(exported.statusCode).toBe(503);
      expect(exported.body).not.toContain(SUBJECT.name);
      expectProblem(await t.get('/audit/verify', auditor), 503);
    } finally {
      db.exec('DROP TRIGGER refuse_access');
      db.close();
    }
    expect((await t.get(`/audit/cases/${caseId}/events`, auditor)).status).toBe(200);
  });

  it('keeps personal data out of the access events', async () => {
    const access = (await everyEvent()).filter((event) => event.streamId.startsWith(ACCESS_STREAM_PREFIX));
    expect(access.length).toBeGreaterThan(100);
    const text = JSON.stringify(access.map(({ type, data, metadata }) => ({ type, data, metadata })));
    for (const personal of [SUBJECT.name, 'Siti', SUBJECT.nik, SUBJECT.address, SUBJECT.phone]) expect(text).not.toContain(personal);
  });
});

describe('who may read', () => {
  const routes = (id: string) => ['/audit/cases', `/audit/cases/${id}/events`, `/audit/cases/${id}/state?revision=0`, `/audit/cases/${id}/export`, `/audit/cases/${id}/access-log`, '/audit/verify'];

  it('only auditors; dinsos only the access log; without a token, no one', async () => {
    const others = await Promise.all([
      t.token({ role: 'caseworker', institutionId: OWNER }), t.token({ role: 'coordinator', networkId: NETWORK }),
      t.token({ role: 'analyst' }), t.token({ role: 'admin' }),
    ]);
    const before = await everyEvent();
    for (const url of routes(caseId)) {
      for (const token of others) expectProblem(await t.get(url, token), 403);
      if (!url.endsWith('/access-log')) expectProblem(await t.get(url, dinsos), 403);
      const anonymous = await t.app.inject({ method: 'GET', url: `/api/v1${url}` });
      expect(anonymous.statusCode).toBe(401);
    }
    // Refused reads are not recorded: nothing was served.
    expect(await everyEvent()).toEqual(before);
  });
});
