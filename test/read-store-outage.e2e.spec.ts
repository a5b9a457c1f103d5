/**
 * The read store (MongoDB protocol: a FerretDB server of this spec's own) goes away under a mixed load, as an
 * operator would see it: commands on existing cases still append and are acknowledged (the log is the truth),
 * client retries of the same Idempotency-Key stay single, reads answer 503 problem documents with Retry-After;
 * when the server is back on the same data, the views catch up by themselves, and hold exactly what a fresh
 * offline rebuild of the log makes: every acknowledged command once, nothing lost, nothing doubled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/token.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { MongoReadStore } from '../src/read-store/mongodb/mongodb-read-store.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { ferretDbSkipReason, OwnFerretDb } from './support/ferretdb.js';
import { describeWithServer } from './support/servers.js';
import { requireBuild, Service, withServiceLog } from './support/service.js';
import { SECRET } from './support/test-app.js';
import { offlineViews, snapshotViews } from './support/views.js';

const CASES = 6;
const WORKERS = 4;
const dataDir = mkdtempSync(join(tmpdir(), 'rujukan-outage-'));
const log: string[] = [];
let ferret: OwnFerretDb | undefined;
let service: Service | undefined;
let owner: string;
let puskesos: string;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  readonly headers: Headers;
}

async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${service!.base}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** A 503 as a client must be able to read it: a problem document, and when to try again. */
function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(answer.body).toMatchObject({ status: 503, type: expect.stringMatching(/^\/problems\//) });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
}

const withLog = (step: () => Promise<void>) => withServiceLog(log, step);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describeWithServer('a read-store outage under load', ferretDbSkipReason(), () => {
  beforeAll(async () => {
    requireBuild();
    owner = await mintToken({ sub: 'outage-owner', role: 'caseworker', institutionId: OWNER, expiresIn: '1h' }, SECRET);
    puskesos = await mintToken({ sub: 'outage-puskesos', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '1h' }, SECRET);
    await withLog(async () => {
      ferret = await OwnFerretDb.start(log);
      service = await Service.start(dataDir, log, 'service', { READ_STORE: 'mongodb', MONGODB_URL: ferret.url });
    });
  }, 90_000);

  afterAll(async () => {
    await service?.stop('SIGKILL');
    await ferret?.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps appending, answers reads 503 with Retry-After, and catches the views up exactly once when the store is back', () => withLog(async () => {
    // Cases referred to the puskesos, opened while the store is up (a new subject's key must be stored before anything is sealed under it).
    const cases: { id: string; referralId: string; position: string }[] = [];
    for (let index = 0; index < CASES; index++) {
      const opened = await call('POST', '/cases', owner, {
        networkId: NETWORK, subject: { name: `Warga ${index}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
      });
      expect(opened.status).toBe(201);
      const id = opened.body!['id'] as string;
      expect((await call('POST', `/cases/${id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' })).status).toBe(201);
      const referred = await call('POST', `/cases/${id}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' });
      expect(referred.status).toBe(201);
      cases.push({ id, referralId: referred.body!['referralId'] as string, position: referred.body!['position'] as string });
    }

    // The load: notes (each sent twice under one Idempotency-Key, as a client retrying would) and reads, until told to stop.
    const acknowledged: { key: string; caseId: string; noteId: string; position: bigint }[] = [];
    const commandStatuses: number[] = [];
    const reads: Answer[] = [];
    let running = true;
    const worker = async (number: number) => {
      for (let round = 0; running; round++) {
        const target = cases[(number + round) % cases.length]!;
        const key = `outage-${number}-${round}`;
        const body = { text: `Visit ${number}.${round}`, visibility: 'participants' };
        const first = await call('POST', `/cases/${target.id}/notes`, owner, body, { 'idempotency-key': key });
        const retry = await call('POST', `/cases/${target.id}/notes`, owner, body, { 'idempotency-key': key });
        commandStatuses.push(first.status, retry.status);
        if (first.status === 201) {
          expect(retry.body).toEqual(first.body);
          acknowledged.push({ key, caseId: target.id, noteId: first.body!['noteId'] as string, position: BigInt(first.body!['position'] as string) });
        }
        reads.push(await call('GET', `/cases/${target.id}`, owner, undefined, { 'x-min-position': target.position }));
        reads.push(await call('GET', '/cases?limit=5', owner));
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, number) => worker(number)));
    let accepted: Answer;
    try {
      await sleep(1_500);
      await ferret!.stop();
      await sleep(3_000);

      // While it is down, as a user sees it.
      expectUnavailable(await call('GET', `/cases/${cases[0]!.id}`, owner));
      expectUnavailable(await call('GET', `/institutions/${PUSKESOS}/inbox`, puskesos));
      accepted = await call('POST', `/cases/${cases[0]!.id}/referrals/${cases[0]!.referralId}/accept`, puskesos, undefined, { 'idempotency-key': 'outage-accept' });
      expect(accepted.status).toBe(200);
      const acceptedAgain = await call('POST', `/cases/${cases[0]!.id}/referrals/${cases[0]!.referralId}/accept`, puskesos, undefined, { 'idempotency-key': 'outage-accept' });
      expect(acceptedAgain).toMatchObject({ status: 200, body: accepted.body });
      expect(acceptedAgain.headers.get('idempotent-replayed')).toBe('true');
      // A new subject's key cannot be stored: the case is refused whole, saying when to try again.
      const refused = await call('POST', '/cases', owner, {
        networkId: NETWORK, subject: { name: 'Warga baru', regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
      });
      expectUnavailable(refused);

      await ferret!.resume();
      await sleep(2_000);
    } finally {
      running = false;
      await load;
    }

    expect(commandStatuses.filter((status) => status !== 201)).toEqual([]);
    expect(reads.filter((read) => read.status !== 200 && read.status !== 503).map((read) => read.status)).toEqual([]);
    for (const read of reads.filter((answer) => answer.status === 503)) expectUnavailable(read);
    expect(reads.some((read) => read.status === 503)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(WORKERS * 3);
    // In the service's log an outage waited out is warnings that name the cause (refused reads, projections and
    // the webhook outbox retrying), never an error: an operator is not paged for what heals by itself.
    const errors = [...log.join('').matchAll(/\{"level":50,[^{}]*?"context":"([^"]*)"[^{}]*?"msg":"([^"]*)"/g)].map(([, context, msg]) => `${context}: ${msg}`);
    expect(errors).toEqual([]);
    const httpLines = log.flatMap((chunk) => chunk.split('\n')).filter((line) => line.includes('"context":"HTTP"'));
    expect(httpLines.some((line) => line.includes('"level":40') && line.includes('"msg":"ReadStoreUnavailableError'))).toBe(true);

    // The views catch up by themselves: a read that waits for the last acknowledged position gets it.
    const last = acknowledged.reduce((highest, note) => (note.position > highest ? note.position : highest), BigInt(accepted.body!['position'] as string));
    let ready = await call('GET', '/health/ready', owner, undefined, { 'x-min-position': last.toString() });
    // A connection the driver opened as the server went away may hang until its socket timeout (30 s) first.
    for (const started = Date.now(); ready.status !== 200 && Date.now() - started < 120_000;) {
      await sleep(250);
      ready = await call('GET', '/health/ready', owner, undefined, { 'x-min-position': last.toString() });
    }
    // On failure, what the projections say of themselves (state, position, the error being retried).
    const detail = ready.status === 200 ? undefined : (await call('GET', '/health/ready', owner)).body;
    expect({ status: ready.status, detail }).toEqual({ status: 200, detail: undefined });
    const noteIds: (string | undefined)[] = [];
    for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
      const timeline = await call('GET', `/cases/${cases[0]!.id}/timeline?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`, owner);
      expect(timeline.status).toBe(200);
      noteIds.push(...(timeline.body!['items'] as { type: string; details: { noteId?: string } }[])
        .filter((item) => item.type === 'CaseNoteAdded').map((item) => item.details.noteId));
      cursor = timeline.body!['nextCursor'] as string | null;
    }
    expect(noteIds.sort()).toEqual(acknowledged.filter((note) => note.caseId === cases[0]!.id).map((note) => note.noteId).sort());

    // Once it is still, every view equals a fresh offline rebuild of the log: nothing lost, nothing applied twice.
    await service!.stop('SIGTERM');
    const events = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    const views = await MongoReadStore.connect(ferret!.url);
    try {
      const stored = await snapshotViews(views);
      expect(stored).toEqual(await offlineViews(events, (await events.headPosition())!));
      // Each acknowledged note is in the log once, whatever the retries.
      for (const caseId of new Set(acknowledged.map((note) => note.caseId))) {
        const notes: string[] = [];
        for await (const event of events.readStream(`case-${caseId}`)) if (event.type === 'CaseNoteAdded') notes.push((event.data as { noteId: string }).noteId);
        expect(notes.sort()).toEqual(acknowledged.filter((note) => note.caseId === caseId).map((note) => note.noteId).sort());
      }
    } finally {
      await Promise.all([events.close(), views.close()]);
    }
  }), 240_000);
});
