/**
 * `projections rebuild`: views rebuilt from the log while the service keeps serving are identical to the
 * live ones, and the live runners carry on into the switched collections.
 */
import { EVENT_STORE, type EventStore } from '../src/event-store/event-store.port.js';
import { READ_STORE, type ReadStore } from '../src/read-store/read-store.port.js';
import { PROJECTIONS } from '../src/projections/projections.service.js';
import { rebuildProjection } from '../src/projections/rebuild.js';
import { TestApp } from './support/test-app.js';
import { NETWORK, OWNER, PUSKESOS } from './support/demo.js';


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

async function snapshot(views: ReadStore): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const projection of PROJECTIONS) {
    for (const name of Object.keys(projection.collections)) result[name] = await views.collection(name).find({}, { sort: { _id: 1 } });
  }
  return result;
}

it('rebuilds every view into fresh collections identical to the live ones, while serving, then carries on live', async () => {
  await scenario(9);
  const views = t.app.get<ReadStore>(READ_STORE);
  const live = await snapshot(views);
  expect(live['cases']).toHaveLength(9);
  expect(live['referrals']).toHaveLength(9);

  for (const projection of PROJECTIONS) {
    const rebuilding = rebuildProjection(projection, t.app.get<EventStore>(EVENT_STORE), views);
    // The live views keep answering during the rebuild.
    expect((await t.get('/cases?limit=1', owner)).status).toBe(200);
    await rebuilding;
  }
  expect(await snapshot(views)).toEqual(live);
  expect((await views.listCollections()).filter((name) => name.endsWith('__rebuild'))).toEqual([]);

  await scenario(2);
  const list = await t.get('/cases?limit=100', owner);
  expect(list.body.items).toHaveLength(11);
});
