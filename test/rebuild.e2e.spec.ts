/**
 * `projections rebuild`: views rebuilt from the log while the service keeps serving are identical to the
 * live ones, and the live runners carry on into the switched collections; and a rebuild run from the CLI, in
 * its own process, while clients keep writing, loses nothing: every view then equals a fresh offline rebuild.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EVENT_STORE, type EventStore } from '../src/event-store/event-store.port.js';
import { READ_STORE, type ReadStore } from '../src/read-store/read-store.port.js';
import { PROJECTIONS } from '../src/projections/projections.service.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { SECRET, TestApp } from './support/test-app.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';
import { CLI } from './support/service.js';
import { offlineViews, snapshotViews } from './support/views.js';


let t: TestApp;
let owner: string;
let puskesos: string;

beforeAll(async () => {
  t = await TestApp.start();
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
});
afterAll(() => t.stop());

async function scenario(cases: number): Promise<void> {
  for (let index = 0; index < cases; index++) {
    const opened = await t.post('/cases', owner, {
      networkId: NETWORK, subject: { name: `Warga ${index}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
    });
    const caseId = opened.body.id as string;
    await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
    const referralId = (await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x' })).body.referralId as string;
    t.clock.advanceHours(1);
    if (index % 3 === 0) await t.post(`/cases/${caseId}/referrals/${referralId}/decline`, puskesos, { reasonCode: 'no_capacity', reason: 'x' });
    else await t.post(`/cases/${caseId}/referrals/${referralId}/accept`, puskesos, {});
    if (index % 3 === 1) await t.post(`/cases/${caseId}/referrals/${referralId}/complete`, puskesos, { outcome: 'resolved', summary: 'x' });
  }
  // Wait until every view has applied all of it.
  expect((await t.get('/institutions/' + OWNER, owner)).status).toBe(200);
}

/** One client writing cases round the loop until told to stop; every command must succeed. */
function keepWriting(): { stop(): Promise<number> } {
  let stopping = false;
  let commands = 0;
  const writer = (async () => {
    for (let index = 0; !stopping; index++) {
      const opened = await t.post('/cases', owner, {
        networkId: NETWORK, subject: { name: `Live ${index}`, regionCode: '33.71.01.1008' }, categories: ['PPKS-24'], urgency: 'normal', description: 'x',
      });
      expect(opened.status).toBe(201);
      const caseId = opened.body.id as string;
      expect((await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' })).status).toBe(201);
      const referral = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x' });
      expect(referral.status).toBe(201);
      expect((await t.post(`/cases/${caseId}/referrals/${referral.body.referralId}/accept`, puskesos, {})).status).toBe(200);
      expect((await t.post(`/cases/${caseId}/notes`, owner, { text: `note ${index}`, visibility: 'participants' })).status).toBe(201);
      commands += 5;
    }
  })();
  return {
    async stop() {
      stopping = true;
      await writer;
      return commands;
    },
  };
}

it('rebuilds every view into fresh collections identical to the live ones, while serving, then carries on live', async () => {
  await scenario(9);
  const views = t.app.get<ReadStore>(READ_STORE);
  const live = await snapshotViews(views);
  expect(live['cases']).toHaveLength(9);
  expect(live['referrals']).toHaveLength(9);

  for (const projection of PROJECTIONS) {
    const rebuilding = rebuildProjection(projection, t.app.get<EventStore>(EVENT_STORE), views);
    // The live views keep answering during the rebuild.
    expect((await t.get('/cases?limit=1', owner)).status).toBe(200);
    await rebuilding;
  }
  expect(await snapshotViews(views)).toEqual(live);
  expect((await views.listCollections()).filter((name) => name.endsWith('__rebuild'))).toEqual([]);

  await scenario(2);
  const list = await t.get('/cases?limit=100', owner);
  expect(list.body.items).toHaveLength(11);
});

it('loses nothing written meanwhile: a rebuild from the CLI while a client keeps writing leaves every view equal to a fresh offline rebuild', async () => {
  await scenario(40);
  const writing = keepWriting();
  const startedAt = (await t.store.headPosition())!;
  const cli = spawn(process.execPath, [CLI, 'projections', 'rebuild'], {
    env: { PATH: process.env['PATH'] ?? '', DATA_DIR: t.config.dataDir, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [cli.stdout, cli.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = await once(cli, 'exit');
  const switchedBy = (await t.store.headPosition())!;
  const written = await writing.stop();
  expect({ code, output }).toEqual({ code: 0, output: expect.stringMatching(/analytics: rebuilt from \d+ events and switched/) });
  // The client really wrote while the rebuild ran.
  expect(written).toBeGreaterThan(20);
  expect(switchedBy).toBeGreaterThan(startedAt);

  const head = (await t.store.headPosition())!;
  // The live runners carried on past the switch: a read that waits for the last write is served.
  const list = await t.get('/cases?limit=100', owner, { 'x-min-position': head.toString() });
  expect(list.status).toBe(200);
  expect(await snapshotViews(t.app.get<ReadStore>(READ_STORE))).toEqual(await offlineViews(t.store, head));
}, 120_000);
