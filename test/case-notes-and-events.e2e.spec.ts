/**
 * What an open console reads besides the views: a case's notes (opened per reader, by their visibility) and
 * the live stream of referral changes of an institution (ids, statuses and times only; it ends with the
 * token that opened it).
 */
import { mintToken } from '../src/auth/token.js';
import { NETWORK, OWNER, POSYANDU, PUSKESOS } from './support/demo.js';
import { SAMPLE_NIK, SECRET, TestApp } from './support/test-app.js';

describe('case notes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
  });
  afterAll(() => t.stop());

  it('shows every participant the notes for participants, and a note kept to an institution only to it', async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const target = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    const coordinator = await t.token({ role: 'coordinator', networkId: NETWORK });
    const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Siti', nik: SAMPLE_NIK, regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'high', description: 'Atap bocor' });
    const caseId = opened.body.id;
    await t.post(`/cases/${caseId}/notes`, owner, { text: 'Untuk semua peserta', visibility: 'participants' });
    await t.post(`/cases/${caseId}/notes`, owner, { text: 'Hanya RW 03', visibility: 'institution' });
    await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
    const referred = await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'Bantuan' });

    const texts = async (token: string) => {
      const response = await t.get(`/cases/${caseId}/notes`, token);
      expect(response.status).toBe(200);
      return response.body.items.map((note: { text: string }) => note.text);
    };
    expect(await texts(owner)).toEqual(['Untuk semua peserta', 'Hanya RW 03']);
    // The target may read the case to decide, but is no participant until it accepts.
    expect(await texts(target)).toEqual([]);
    expect(await texts(coordinator)).toEqual(['Untuk semua peserta']);
    await t.post(`/cases/${caseId}/referrals/${referred.body.referralId}/accept`, target);
    expect(await texts(target)).toEqual(['Untuk semua peserta']);
    await t.post(`/cases/${caseId}/notes`, target, { text: 'Catatan Puskesos sendiri', visibility: 'institution' });
    expect(await texts(target)).toEqual(['Untuk semua peserta', 'Catatan Puskesos sendiri']);
    expect(await texts(owner)).toEqual(['Untuk semua peserta', 'Hanya RW 03']);
    expect((await t.get(`/cases/${caseId}/notes`, await t.token({ role: 'caseworker', institutionId: POSYANDU }))).status).toBe(403);

    const view = await t.get(`/cases/${caseId}`, owner);
    expect(view.body.description).toBe('Atap bocor');

    // The words of the steps: the target reads why it was referred; the sender reads the completion summary.
    await t.post(`/cases/${caseId}/referrals/${referred.body.referralId}/complete`, target, { outcome: 'resolved', summary: 'Sembako diantar' });
    const words = async (token: string) => (await t.get(`/cases/${caseId}/reasons`, token)).body.items.map((item: { type: string; field: string; text: string }) => [item.type, item.field, item.text]);
    expect(await words(owner)).toEqual([['ReferralRequested', 'reason', 'Bantuan'], ['ReferralCompleted', 'summary', 'Sembako diantar']]);
    expect(await words(target)).toEqual(await words(owner));
    expect((await t.get(`/cases/${caseId}/reasons`, await t.token({ role: 'caseworker', institutionId: POSYANDU }))).status).toBe(403);
    expect((await t.get(`/cases/${caseId}/reasons`, await t.token({ role: 'analyst' }))).status).toBe(403);
  });

  it('reads notes and the description as erased once the subject\'s data is erased', async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Budi', regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'low', description: 'Rahasia' });
    await t.post(`/cases/${opened.body.id}/notes`, owner, { text: 'Rahasia juga', visibility: 'participants' });
    const subjectId = (await t.get(`/cases/${opened.body.id}`, owner)).body.subject.id;
    expect((await t.post(`/subjects/${subjectId}/erasure`, await t.token({ role: 'dinsos' }), { reason: 'PDP 1/2026' })).status).toBe(200);
    const notes = await t.get(`/cases/${opened.body.id}/notes`, owner);
    expect(notes.body.items).toEqual([expect.objectContaining({ text: null, erased: true })]);
    await t.post(`/cases/${opened.body.id}/close`, owner, { outcome: 'resolved', summary: 'Rahasia penutupan' });
    const reasons = await t.get(`/cases/${opened.body.id}/reasons`, owner);
    expect(reasons.body.items).toEqual([expect.objectContaining({ type: 'CaseClosed', field: 'summary', text: null, erased: true })]);
    const view = await t.get(`/cases/${opened.body.id}`, owner);
    expect(view.body.description).toBeUndefined();
    expect(JSON.stringify([notes.body, view.body, reasons.body])).not.toContain('Rahasia');
  });
});

describe('the referral event stream', () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await TestApp.start();
    baseUrl = await t.listen();
  });
  afterAll(() => t.stop());

  interface Event {
    readonly event: string;
    readonly data: Record<string, unknown>;
  }

  /** Reads server-sent events until `until` says stop, `timeoutMs` passes, or the stream ends. */
  async function listen(
    institutionId: string, token: string, until: (events: Event[]) => boolean, onOpen: () => Promise<void> = async () => {}, timeoutMs = 20_000,
  ): Promise<{ events: Event[]; ended: boolean }> {
    const aborted = new AbortController();
    const timer = setTimeout(() => aborted.abort(), timeoutMs);
    const response = await fetch(`${baseUrl}/api/v1/institutions/${institutionId}/referral-events`, { headers: { authorization: `Bearer ${token}` }, signal: aborted.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: Event[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    let opened = false;
    const reader = response.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: null }));
      if (done === null) return { events, ended: false };
      if (done) {
        clearTimeout(timer);
        return { events, ended: true };
      }
      buffer += decoder.decode(value, { stream: true });
      for (let split = buffer.indexOf('\n\n'); split >= 0; split = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      if (!opened && events.some((event) => event.event === 'ready')) {
        opened = true;
        await onOpen();
      }
      if (until(events)) {
        clearTimeout(timer);
        aborted.abort();
        return { events, ended: false };
      }
    }
  }

  it('tells the target and the sender of a referral, with ids and statuses only', async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const target = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    let caseId = '';
    let referralId = '';
    const referral = (seen: Event[], status: string) => seen.some((event) => event.event === 'referral' && event.data['status'] === status);
    const first = await listen(PUSKESOS, target, (seen) => referral(seen, 'requested'), async () => {
      const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'high', description: 'Atap bocor' });
      caseId = opened.body.id;
      await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
      referralId = (await t.post(`/cases/${caseId}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'Bantuan sembako' })).body.referralId;
    });
    // The sender hears of the answer in its outbox.
    const second = await listen(OWNER, owner, (seen) => referral(seen, 'accepted'), async () => {
      await t.post(`/cases/${caseId}/referrals/${referralId}/accept`, target);
    });
    const events = [...first.events, ...second.events];
    const changes = events.filter((event) => event.event === 'referral');
    expect(changes.map((event) => [event.data['status'], event.data['box']])).toEqual([['requested', 'inbox'], ['accepted', 'outbox']]);
    expect(changes[0]!.data).toEqual({
      caseId, referralId: expect.any(String), fromInstitutionId: OWNER, toInstitutionId: PUSKESOS, status: 'requested', urgency: 'high',
      requestedAt: expect.any(String), dueAt: expect.any(String), position: expect.stringMatching(/^\d+$/), box: 'inbox',
    });
    const sent = JSON.stringify(events);
    for (const personal of ['Siti Aminah', SAMPLE_NIK, 'Atap bocor', 'Bantuan sembako']) expect(sent).not.toContain(personal);
  });

  it('says nothing of other institutions\' referrals', async () => {
    const owner = await t.token({ role: 'caseworker', institutionId: OWNER });
    const posyandu = await t.token({ role: 'caseworker', institutionId: POSYANDU });
    const target = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
    let written = false;
    // The Puskesos's stream, open alongside, proves the change reached the feed while the Posyandu heard nothing.
    const [posyandusView, puskesosView] = await Promise.all([
      listen(POSYANDU, posyandu, () => false, async () => {}, 4_000),
      listen(PUSKESOS, target, (seen) => seen.some((event) => event.event === 'referral'), async () => {
        const opened = await t.post('/cases', owner, { networkId: NETWORK, subject: { name: 'Ani', regionCode: '33.71.01.1008' }, categories: ['PPKS-08'], urgency: 'normal', description: 'x' });
        await t.post(`/cases/${opened.body.id}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' });
        await t.post(`/cases/${opened.body.id}/referrals`, owner, { toInstitutionId: PUSKESOS, reason: 'x' });
        written = true;
      }),
    ]);
    expect(written).toBe(true);
    expect(puskesosView.events.filter((event) => event.event === 'referral')).toHaveLength(1);
    expect(posyandusView.events.map((event) => event.event)).toEqual(['ready']);
  });

  it('ends when the token that opened it expires', async () => {
    const shortLived = await mintToken({ sub: 'joko', role: 'caseworker', institutionId: PUSKESOS, expiresIn: '2s' }, SECRET);
    const started = Date.now();
    const { events, ended } = await listen(PUSKESOS, shortLived, () => false);
    expect(ended).toBe(true);
    expect(events.map((event) => event.event)).toEqual(['ready', 'session-ended']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
