/**
 * One read policy, two uses: for every role, the case list (the read scope as a filter over the case summaries,
 * as the projection writes them) shows exactly the cases the route guard lets the same person read
 * (`mayReadCase` over each case's state). Cases touch institutions in every way a case can: owned, referred
 * to and from, accepted, declined, escalated, in another network.
 */
import { CASE_STREAM_PREFIX, type CaseEvent } from '../../cases/case.events.js';
import { mayReadCase } from '../../cases/case.policy.js';
import { evolveCase, initialCaseState, type CaseState } from '../../cases/case.state.js';
import type { Actor, Role } from '../../core/actor.js';
import { ForbiddenError } from '../../core/domain-error.js';
import { SqliteEventStore } from '../../event-store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../read-store/sqlite/sqlite-read-store.js';
import { ProjectionRunner } from '../projection-runner.js';
import { caseSummariesProjection } from './case-summaries.projection.js';
import { CaseSummariesQuery } from './case-summaries.query.js';

const AT = '2026-11-02T08:00:00.000Z';
const DUE = '2026-11-05T08:00:00.000Z';
// Network n1 has members a and b; network n2 has c; p is a city-wide provider, d the dinsos office.

const opened = (caseId: string, networkId: string, ownerInstitutionId: string): CaseEvent => ({
  type: 'CaseOpened',
  data: {
    caseId, networkId, ownerInstitutionId, subjectId: `subject-${caseId}`, regionCode: '33.71.01.1008', categories: ['PPKS-08'], urgency: 'normal',
    openedAt: AT, personal: { subject: { name: 'Warga' }, description: 'read scope' },
  },
});
const referred = (referralId: string, fromInstitutionId: string, toInstitutionId: string, targetInNetwork: boolean): CaseEvent => ({
  type: 'ReferralRequested',
  data: {
    referralId, fromInstitutionId, toInstitutionId, urgency: 'normal', requestedAt: AT, dueAt: DUE, targetInNetwork, consentId: null,
    emergencyOverride: true, personal: { reason: 'needs help', overrideReason: 'urgent' },
  },
});
const accepted = (referralId: string): CaseEvent => ({ type: 'ReferralAccepted', data: { referralId, at: AT } });
const declined = (referralId: string): CaseEvent => ({
  type: 'ReferralDeclined', data: { referralId, at: AT, reasonCode: 'no_capacity', personal: { reason: 'full' } },
});
const escalated = (toInstitutionId: string): CaseEvent => ({ type: 'CaseEscalated', data: { toInstitutionId, at: AT, personal: { reason: 'stuck' } } });

const CASES: Readonly<Record<string, readonly CaseEvent[]>> = {
  'a-alone': [opened('a-alone', 'n1', 'a')],
  'a-asks-b': [opened('a-asks-b', 'n1', 'a'), referred('r1', 'a', 'b', true)],
  'a-with-p': [opened('a-with-p', 'n1', 'a'), referred('r2', 'a', 'p', false), accepted('r2')],
  'b-declined-by-c': [opened('b-declined-by-c', 'n1', 'b'), referred('r3', 'b', 'c', false), declined('r3')],
  'c-escalated': [opened('c-escalated', 'n2', 'c'), escalated('d')],
  'c-with-a': [opened('c-with-a', 'n2', 'c'), referred('r4', 'c', 'a', false), accepted('r4')],
  'c-alone': [opened('c-alone', 'n2', 'c')],
};

const coordinatorOfA: Actor = { userId: 'co-1a', role: 'coordinator', networkId: 'n1', institutionId: 'a' };
const dinsosOfB: Actor = { userId: 'ds-b', role: 'dinsos', institutionId: 'b' };

/** Every role, with each thing it may carry and without. */
const ACTORS: Readonly<Record<Role, readonly Actor[]>> = {
  caseworker: ['a', 'b', 'c', 'p', 'd'].map((institutionId) => ({ userId: `cw-${institutionId}`, role: 'caseworker', institutionId })),
  coordinator: [
    { userId: 'co-1', role: 'coordinator', networkId: 'n1' },
    coordinatorOfA,
    { userId: 'co-2p', role: 'coordinator', networkId: 'n2', institutionId: 'p' },
  ],
  dinsos: [{ userId: 'ds', role: 'dinsos' }, { userId: 'ds-d', role: 'dinsos', institutionId: 'd' }, dinsosOfB],
  auditor: [{ userId: 'au', role: 'auditor' }],
  analyst: [{ userId: 'an', role: 'analyst' }],
  admin: [{ userId: 'ad', role: 'admin' }],
  system: [{ userId: 'system', role: 'system' }],
};

describe('the read scope of case lists', () => {
  let events: SqliteEventStore;
  let views: SqliteReadStore;
  let query: CaseSummariesQuery;
  const states = new Map<string, CaseState>();

  beforeAll(async () => {
    events = new SqliteEventStore(':memory:');
    views = new SqliteReadStore(':memory:');
    let last = 0n;
    for (const [caseId, caseEvents] of Object.entries(CASES)) {
      const stored = caseEvents.map((event, index) => ({ id: `${caseId}-${index}`, type: event.type, data: event.data, metadata: {} }));
      last = (await events.append(`${CASE_STREAM_PREFIX}${caseId}`, stored, { expectedRevision: 'no_stream' })).position;
      states.set(caseId, caseEvents.reduce(evolveCase, initialCaseState));
    }
    const runner = new ProjectionRunner(caseSummariesProjection, events, views);
    await runner.start();
    const reached = await runner.reached(last, 10_000);
    await runner.stop();
    if (!reached) throw new Error(`The case summaries did not reach ${last}: ${runner.status().error}`);
    query = new CaseSummariesQuery(views);
  });
  afterAll(async () => {
    await Promise.all([events.close(), views.close()]);
  });

  const readable = (actor: Actor): string[] =>
    [...states].filter(([, state]) => state.status !== 'none' && mayReadCase(actor, state)).map(([caseId]) => caseId).sort();

  async function listed(actor: Actor): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await query.listCases(actor, {}, { cursor, limit: 2 });
      ids.push(...page.items.map((item) => item._id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    return ids.sort();
  }

  const everyActor = Object.values(ACTORS).flat().map((actor) => [`${actor.role} ${actor.userId}`, actor] as const);

  it.each(everyActor)('%s lists exactly the cases it may read', async (_who, actor) => {
    const mayRead = readable(actor);
    if (mayRead.length === 0) {
      await expect(listed(actor)).rejects.toThrow(ForbiddenError);
    } else {
      expect(await listed(actor)).toEqual(mayRead);
    }
  });

  it('tells people apart: each case role reads some cases and not others, the other roles none', () => {
    for (const role of ['caseworker', 'coordinator', 'dinsos'] as const) {
      for (const actor of ACTORS[role]) expect(readable(actor).length).toBeGreaterThan(0);
      for (const actor of ACTORS[role]) expect(readable(actor).length).toBeLessThan(states.size);
    }
    for (const role of ['auditor', 'analyst', 'admin', 'system'] as const) for (const actor of ACTORS[role]) expect(readable(actor)).toEqual([]);
    // A coordinator's own institution counts beyond their network; dinsos's, beyond escalated cases.
    expect(readable(coordinatorOfA)).toEqual(['a-alone', 'a-asks-b', 'a-with-p', 'b-declined-by-c', 'c-with-a']);
    expect(readable(dinsosOfB)).toEqual(['a-asks-b', 'b-declined-by-c', 'c-escalated']);
  });
});
