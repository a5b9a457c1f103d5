/**
 * The audit commands of the built CLI on a real DATA_DIR (seeded by `seed`, then a few commands): `verify`
 * passes a clean log and names the one event edited in the SQLite file behind its back; `export` writes
 * lines that parse back into a stream that verifies on its own; `projections verify` finds nothing on
 * clean views and names a difference planted in one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { parseExportLine } from '../src/audit/case-export.js';
import { verifyIntegrity } from '../src/audit/integrity.js';
import { SqliteEventStore } from '../src/event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../src/read-store/sqlite/sqlite-read-store.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { SECRET, TestApp } from './support/test-app.js';

const CLI = resolve(__dirname, '..', 'dist', 'cli', 'main.js');

let dataDir: string;
let caseId: string;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  const env = { PATH: process.env['PATH'] ?? '', DATA_DIR: dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent' };
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npm run build; npm test does it)`);
  dataDir = mkdtempSync(join(tmpdir(), 'rujukan-cli-audit-'));
  expect((await cli('seed')).code).toBe(0);
  const t = await TestApp.start({ dataDir });
  try {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    for (let index = 0; index < 3; index++) {
      const opened = await t.post('/cases', owner, {
        networkId: NETWORK, subject: { name: `Warga ${index}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
      });
      caseId = opened.body.id;
      await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
      const { referralId } = (await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x' })).body;
      expect((await t.post(`/cases/${caseId}/referrals/${referralId}/accept`, puskesos)).status).toBe(200);
    }
  } finally {
    await t.stop();
  }
  // The test app kept views of its own: bring DATA_DIR's views up to the log.
  expect((await cli('projections', 'rebuild')).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function storedStream(streamId: string) {
  const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
  try {
    const events = [];
    for await (const event of store.readStream(streamId)) events.push(event);
    return events;
  } finally {
    await store.close();
  }
}

describe('export', () => {
  it("writes the case's events as NDJSON lines, to stdout or a file, that rebuild a stream which verifies on its own", async () => {
    const run = await cli('export', caseId);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map(parseExportLine);
    const stored = await storedStream(`case-${caseId}`);
    expect(lines.map(({ event }) => event.id)).toEqual(stored.map((event) => event.id));

    const copy = new SqliteEventStore(':memory:');
    for (const { streamId, event, expectedRevision } of lines) await copy.append(streamId, [event], { expectedRevision });
    expect(await verifyIntegrity(copy)).toEqual({ ok: true, checked: stored.length, firstBroken: null });
    await copy.close();

    const file = join(dataDir, 'case.ndjson');
    expect((await cli('export', caseId, '--out', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(run.stdout);
  });

  it('refuses an unknown case, leaving no file', async () => {
    const unknown = await cli('export', 'no-such-case', '--out', join(dataDir, 'none.ndjson'));
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no case no-such-case') });
    expect(existsSync(join(dataDir, 'none.ndjson'))).toBe(false);
  });
});

describe('projections verify', () => {
  it('finds every view identical to a rebuild from the log', async () => {
    const run = await cli('projections', 'verify');
    expect(run.code).toBe(0);
    for (const name of ['directory', 'case-summaries', 'case-timeline', 'analytics']) expect(run.stdout).toMatch(new RegExp(`^${name}: \\d+ documents identical`, 'm'));
    expect(run.stdout).toMatch(/^case-summaries: [1-9]\d* documents identical/m);
  });

  it('names a field changed in a view behind its back', async () => {
    const views = new SqliteReadStore(join(dataDir, 'views.sqlite'));
    await views.collection('cases').bulkWrite([{ updateOne: { filter: { _id: caseId }, update: { $set: { urgency: 'emergency' } } } }]);
    await views.close();
    const run = await cli('projections', 'verify', 'case-summaries');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`case-summaries: 1 DIFFERENCES`);
    expect(run.stdout).toContain(`cases/${caseId}: fields differ: urgency`);
  });
});

describe('verify', () => {
  it('passes a clean log, counting every event', async () => {
    const store = new SqliteEventStore(join(dataDir, 'events.sqlite'));
    let stored = 0;
    try {
      for await (const _event of store.readAll()) stored++;
    } finally {
      await store.close();
    }
    const run = await cli('verify');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Integrity verified: ${stored} events, every hash chain intact.`);
  });

  it('fails on one event edited in the SQLite file, naming exactly that event', async () => {
    const [, , requested] = await storedStream(`case-${caseId}`);
    expect(requested?.type).toBe('ReferralRequested');
    const db = new Database(join(dataDir, 'events.sqlite'));
    db.prepare(`UPDATE events SET data = json_set(data, '$.urgency', 'low') WHERE event_id = ?`).run(requested!.id);
    db.close();

    const run = await cli('verify');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Integrity BROKEN at stream case-${caseId}, revision 2, event ${requested!.id}: hash mismatch`);
  });
});
