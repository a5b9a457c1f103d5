/**
 * A caseworker's whole closed loop over HTTP, driven through the typed client generated from the OpenAPI
 * document (so the document cannot drift from the server), every other path of the referral lifecycle, and
 * the stored stream behind them: types, order, metadata and the hash chain.
 */
import { CommandBus } from '@nestjs/cqrs';
import { ChangeCase } from '../src/cases/commands/case.commands.js';
import { ReferralExpiryScheduler } from '../src/cases/referral-expiry.scheduler.js';
import { SYSTEM_ACTOR, type Actor } from '../src/core/actor.js';
import { findChainBreak } from '../src/core/event-envelope.js';
import { newId } from '../src/core/ids.js';
import { openedPersonal } from './support/personal-data.js';
import { Scenario } from './support/scenario.js';
import { SAMPLE_NIK, TestApp } from './support/test-app.js';
import { NETWORK, OWNER, POSYANDU, PUSKESMAS, PUSKESOS } from './support/demo.js';


let t: TestApp;
let s: Scenario;
let owner: string;
let puskesos: string;
let posyandu: string;
let puskesmas: string;

beforeAll(async () => {
  t = await TestApp.start();
  s = new Scenario(t);
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
  posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
  puskesmas = await t.token({ role: 'caseworker', institutionId: PUSKESMAS });
});
afterAll(() => t.stop());

const step = (caseId: string, referralId: string, action: string, token: string, body: unknown = {}) =>
  t.post(`/cases/${caseId}/referrals/${referralId}/${action}`, token, body);

describe('the closed loop', () => {
  it('open → consent → refer → accept → start → complete → acknowledge → close, stored as a verifiable stream', async () => {
    const caseId = await s.openCase();
    await s.consent(caseId);
    const referralId = await s.refer(caseId, PUSKESOS);
    const referral = { params: { path: { id: caseId, rid: referralId } } };
    const target = t.client(puskesos);
    const referrer = t.client(owner);

    expect((await target.POST('/api/v1/cases/{id}/referrals/{rid}/accept', referral)).response.status).toBe(200);
    expect((await target.POST('/api/v1/cases/{id}/referrals/{rid}/start', referral)).response.status).toBe(200);
    expect((await target.POST('/api/v1/cases/{id}/referrals/{rid}/complete', { ...referral, body: { outcome: 'resolved', summary: 'Enrolled in PKH' } })).response.status).toBe(200);
    expect((await referrer.POST('/api/v1/cases/{id}/referrals/{rid}/acknowledge', referral)).response.status).toBe(200);
    const closed = await referrer.POST('/api/v1/cases/{id}/close', { params: { path: { id: caseId } }, body: { outcome: 'resolved', summary: 'Receiving support' } });
    expect(closed.response.status).toBe(200);
    expect(closed.response.headers.get('etag')).toBe(`"${closed.data!.revision}"`);

    const view = await referrer.GET('/api/v1/cases/{id}', { params: { path: { id: caseId } } });
    expect(view.response.status).toBe(200);
    expect(view.data).toMatchObject({
      id: caseId, networkId: NETWORK, status: 'closed', ownerInstitutionId: OWNER, participants: [OWNER, PUSKESOS],
      categories: ['PPKS-08', 'PPKS-24'], urgency: 'high', subject: { name: 'Siti Aminah', nik: SAMPLE_NIK },
      referrals: [{ id: referralId, fromInstitutionId: OWNER, toInstitutionId: PUSKESOS, status: 'completed', outcome: 'resolved', loopClosed: true }],
      revision: '7',
    });
    expect(view.data!.referrals[0]!.dueAt).toBe(new Date(Date.parse(view.data!.referrals[0]!.requestedAt) + 72 * 3_600_000).toISOString());

    const events = await t.stream(`case-${caseId}`);
    expect(events.map((event) => event.type)).toEqual([
      'CaseOpened', 'ConsentRecorded', 'ReferralRequested', 'ReferralAccepted', 'ReferralStarted', 'ReferralCompleted',
      'ReferralOutcomeAcknowledged', 'CaseClosed',
    ]);
    expect(events.map((event) => Number(event.revision))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const event of events) {
      expect(event.metadata).toMatchObject({
        eventId: event.id, schemaVersion: 1, occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        commandId: expect.any(String), correlationId: expect.any(String), causationId: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
    expect(events[3]!.metadata['actor']).toEqual({ userId: `user-caseworker-${PUSKESOS}`, role: 'caseworker', institutionId: PUSKESOS });
    expect(findChainBreak(events)).toBeNull();
    // Personal data sits only in the `personal` field, sealed for the case's subject and event, and opens to what was sent.
    const subjectId = (events[0]!.data as { subjectId: string }).subjectId;
    expect(events[0]!.data).toMatchObject({ subjectId, personal: { v: 1, subjectId, eventId: events[0]!.id, iv: expect.any(String), ciphertext: expect.any(String), tag: expect.any(String) } });
    for (const secret of ['Siti', SAMPLE_NIK, 'Tidar', 'PKH', 'Receiving support']) expect(JSON.stringify(events.map((event) => event.data))).not.toContain(secret);
    expect(await openedPersonal(t, events[0]!)).toEqual({
      subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, address: 'Jl. Tidar 12', rt: '01', rw: '03' }, description: 'Lives alone, no income since her husband died',
    });
    expect(await openedPersonal(t, events[7]!)).toEqual({ summary: 'Receiving support' });

    // The timeline tells who did what and when, without the personal part.
    const timeline = await target.GET('/api/v1/cases/{id}/timeline', { params: { path: { id: caseId } } });
    expect(timeline.response.status).toBe(200);
    expect(timeline.data!.items.map((entry) => entry.type)).toEqual(events.map((event) => event.type));
    expect(timeline.data!.items[3]).toEqual({
      revision: '3', type: 'ReferralAccepted', occurredAt: events[3]!.metadata['occurredAt'],
      actor: { role: 'caseworker', institutionId: PUSKESOS }, details: { referralId, at: events[3]!.metadata['occurredAt'] },
    });
    for (const secret of ['Siti', SAMPLE_NIK, 'Tidar', 'PKH', 'Receiving support']) expect(JSON.stringify(timeline.data)).not.toContain(secret);
    expect((await t.client(posyandu).GET('/api/v1/cases/{id}/timeline', { params: { path: { id: caseId } } })).response.status).toBe(403);
  });

  it('refuses steps from the wrong institution and leaves the stream unchanged', async () => {
    const caseId = await s.openCase();
    await s.consent(caseId);
    const referralId = await s.refer(caseId, PUSKESOS);
    const before = await t.stream(`case-${caseId}`);

    expect((await step(caseId, referralId, 'accept', posyandu)).status).toBe(403);
    expect((await step(caseId, referralId, 'accept', owner)).status).toBe(403);
    expect((await step(caseId, referralId, 'cancel', puskesos, { reason: 'not mine' })).status).toBe(403);
    expect((await t.post(`/cases/${caseId}/notes`, posyandu, { text: 'peeking', visibility: 'participants' })).status).toBe(403);
    expect((await t.get(`/cases/${caseId}`, posyandu)).status).toBe(403);
    expect((await t.post(`/cases/${caseId}/close`, puskesos, { outcome: 'resolved', summary: 'x' })).status).toBe(403);
    const analyst = await t.token({ role: 'analyst' });
    expect((await t.get(`/cases/${caseId}`, analyst)).status).toBe(403);

    expect(await t.stream(`case-${caseId}`)).toEqual(before);
    // The target may read the case it is asked to take, before accepting.
    expect((await t.get(`/cases/${caseId}`, puskesos)).status).toBe(200);
  });

  it('decline with a reason code, then refer again and close once acknowledged', async () => {
    const caseId = await s.openCase();
    await s.consent(caseId);
    const first = await s.refer(caseId, POSYANDU);
    const declined = await step(caseId, first, 'decline', posyandu, { reasonCode: 'not_eligible', reason: 'Only serves toddlers' });
    expect(declined.status).toBe(200);
    expect((await t.post(`/cases/${caseId}/close`, owner, { outcome: 'resolved', summary: 'x' })).status).toBe(409);
    expect((await step(caseId, first, 'acknowledge', owner)).status).toBe(200);
    expect((await step(caseId, first, 'acknowledge', owner)).status).toBe(409);

    const view = await t.get(`/cases/${caseId}`, owner);
    expect(view.body.referrals[0]).toMatchObject({ status: 'declined', declineReasonCode: 'not_eligible', loopClosed: true });
    expect(view.body.participants).toEqual([OWNER]);
  });

  it('cancel by the referrer; hold and resume; fail', async () => {
    const caseId = await s.openCase();
    await s.consent(caseId, { recipients: [PUSKESMAS, PUSKESOS] });
    const toPuskesmas = await s.refer(caseId, PUSKESMAS);
    expect((await step(caseId, toPuskesmas, 'cancel', owner, { reason: 'Family moved the appointment' })).status).toBe(200);
    expect((await step(caseId, toPuskesmas, 'accept', puskesmas)).status).toBe(409);

    const toPuskesos = await s.refer(caseId, PUSKESOS);
    for (const [action, body] of [['accept', {}], ['start', {}], ['hold', { reason: 'Waiting for KK' }], ['resume', {}]] as const) {
      expect((await step(caseId, toPuskesos, action, puskesos, body)).status).toBe(200);
    }
    expect((await step(caseId, toPuskesos, 'resume', puskesos)).status).toBe(409);
    expect((await step(caseId, toPuskesos, 'fail', puskesos, { reason: 'Subject unreachable' })).status).toBe(200);

    const types = (await t.stream(`case-${caseId}`)).map((event) => event.type);
    expect(types.slice(2)).toEqual([
      'ReferralRequested', 'ReferralCancelled', 'ReferralRequested', 'ReferralAccepted', 'ReferralStarted', 'ReferralPutOnHold',
      'ReferralResumed', 'ReferralFailed',
    ]);
    const view = await t.get(`/cases/${caseId}`, owner);
    expect(view.body.referrals.map((referral: { status: string }) => referral.status)).toEqual(['cancelled', 'failed']);
  });

  it('the scheduler expires a requested referral past its due time, by the system, once', async () => {
    const caseId = await s.openCase();
    const requested = await t.post(`/cases/${caseId}/referrals`, owner, {
      toInstitutionId: PUSKESMAS, reason: 'Fainted at home', urgency: 'emergency', emergencyOverride: { reason: 'Unconscious, no family present' },
    });
    const referralId = requested.body.referralId as string;
    const scheduler = t.app.get(ReferralExpiryScheduler);
    await t.get(`/cases/${caseId}`, owner);
    expect(await scheduler.tick()).toBe(0);
    t.clock.advanceHours(25);
    expect(await scheduler.tick()).toBe(1);
    expect(await scheduler.tick()).toBe(0);

    const events = await t.stream(`case-${caseId}`);
    const expiry = events.filter((event) => event.type === 'ReferralExpired');
    expect(expiry).toHaveLength(1);
    expect(expiry[0]!.metadata['actor']).toEqual({ userId: 'system', role: 'system' });
    expect(events.find((event) => event.type === 'ReferralRequested')!.data).toMatchObject({ emergencyOverride: true, consentId: null });
    expect((await step(caseId, referralId, 'accept', puskesmas)).status).toBe(409);
    const view = await t.get(`/cases/${caseId}`, owner, { 'x-min-position': expiry[0]!.position.toString() });
    expect(view.body.referrals[0].status).toBe('expired');
  });

  it('refuses ExpireReferral from anyone but the system, and before the due time', async () => {
    const caseId = await s.openCase();
    await s.consent(caseId);
    const referralId = await s.refer(caseId, PUSKESOS);
    const bus = t.app.get(CommandBus);
    const expire = (actor: Actor) => {
      const commandId = newId();
      return bus.execute(new ChangeCase({ type: 'ExpireReferral', caseId, referralId }, {
        commandId, requestHash: commandId, actor, occurredAt: t.clock.now().toISOString(), correlationId: commandId, causationId: commandId, expectedRevision: null,
      }));
    };
    await expect(expire(SYSTEM_ACTOR)).rejects.toThrow(/not due/);
    t.clock.advanceHours(24 * 8);
    await expect(expire({ userId: 'u', role: 'caseworker', institutionId: OWNER })).rejects.toThrow(/scheduler/);
  });

  it('refuses a referral without consent, and every command but reopen on a closed case', async () => {
    const caseId = await s.openCase();
    const refused = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x' });
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'toInstitutionId' })]);

    expect((await t.post(`/cases/${caseId}/close`, owner, { outcome: 'not_resolved', summary: 'Moved away' })).status).toBe(200);
    expect((await t.post(`/cases/${caseId}/notes`, owner, { text: 'late note', visibility: 'participants' })).status).toBe(409);
    expect((await t.post(`/cases/${caseId}/needs`, owner, { categories: ['PPKS-24'], urgency: 'low' })).status).toBe(409);
    const reopened = await t.post(`/cases/${caseId}/reopen`, owner, { reason: 'Came back' });
    expect(reopened.status).toBe(200);
    expect((await t.get(`/cases/${caseId}`, owner)).body.status).toBe('open');
    expect((await t.post(`/cases/${caseId}/notes`, owner, { text: 'welcome back', visibility: 'participants' })).status).toBe(201);
  });

  it('refuses targets outside the network unless city-wide or escalated; the coordinator acts for the network', async () => {
    const other = 'pkk-other';
    const admin = await t.token({ role: 'admin' });
    await t.post('/institutions', admin, { id: other, name: 'PKK Kramat Utara', kind: 'pkk', regionCode: '33.71.02.1008', scope: 'network', categoriesServed: [] });
    const caseId = await s.openCase();
    await s.consent(caseId, { recipients: [other, PUSKESMAS] });
    const outside = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: other, reason: 'x' });
    expect(outside.status).toBe(422);
    expect(outside.body.errors[0].field).toBe('toInstitutionId');
    await s.refer(caseId, PUSKESMAS);

    const coordinator = await t.token({ role: 'coordinator', networkId: NETWORK });
    const otherCoordinator = await t.token({ role: 'coordinator', networkId: 'wksbm-elsewhere' });
    expect((await t.post(`/cases/${caseId}/escalate`, otherCoordinator, { toInstitutionId: 'dinsos-kota-magelang', reason: 'x' })).status).toBe(403);
    expect((await t.post(`/cases/${caseId}/escalate`, coordinator, { toInstitutionId: 'dinsos-kota-magelang', reason: 'Needs a shelter' })).status).toBe(200);
    expect((await t.post(`/cases/${caseId}/referrals`, coordinator, { toInstitutionId: other, reason: 'Cross-network help' })).status).toBe(201);

    const suspend = await t.post(`/institutions/${POSYANDU}/suspend`, admin, { reason: 'Audit' });
    expect(suspend.status).toBe(200);
    await s.consent(caseId);
    const toSuspended = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: POSYANDU, reason: 'x' });
    expect(toSuspended.status).toBe(409);
    await t.post(`/institutions/${POSYANDU}/reactivate`, admin, {});
  });
});
