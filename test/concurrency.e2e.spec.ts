/**
 * The command path under concurrency: retries of one request racing each other, bursts on one
 * case, conflicting referral answers, and two apps on one event file as two processes would be. Whatever
 * the interleaving, every acknowledged command is stored exactly once and each stream's chain holds.
 */
import { findChainBreak } from '../src/core/event-envelope.js';
import { WrongExpectedVersionError, type RecordedEvent } from '../src/event-store/event-store.port.js';
import { Scenario } from './support/scenario.js';
import { TestApp, type Response } from './support/test-app.js';
import { OWNER, PUSKESOS } from './support/demo.js';
import { openedPersonal } from './support/personal-data.js';


let t: TestApp;
let s: Scenario;
let owner: string;
let puskesos: string;

beforeAll(async () => {
  t = await TestApp.start();
  s = new Scenario(t);
  owner = await t.token({ role: 'caseworker', institutionId: OWNER });
  puskesos = await t.token({ role: 'caseworker', institutionId: PUSKESOS });
});
afterAll(() => t.stop());

const ofType = (events: readonly RecordedEvent[], type: string) => events.filter((event) => event.type === type);

/** Notes with distinct texts, alternating between the owner's and PUSKESOS's caseworkers. */
function addNotes(app: TestApp, caseId: string, count: number, label: string): Promise<Response>[] {
  return Array.from({ length: count }, (_, index) =>
    app.post(`/cases/${caseId}/notes`, index % 2 === 0 ? owner : puskesos, { text: `${label} note ${index}`, visibility: 'participants' }));
}

/** Every note answered 201 appears exactly once, at the revision its response named, in an unbroken chain. */
async function expectNotesStoredOnce(events: readonly RecordedEvent[], responses: readonly Response[], texts: readonly string[]): Promise<void> {
  expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
  const notes = ofType(events, 'CaseNoteAdded');
  expect(notes).toHaveLength(texts.length);
  const opened = await Promise.all(notes.map((note) => openedPersonal(t, note) as Promise<{ text: string }>));
  expect(opened.map((personal) => personal.text).sort()).toEqual([...texts].sort());
  const revisions = responses.map((response) => response.body.revision as string);
  expect(new Set(revisions).size).toBe(responses.length);
  for (const response of responses) {
    const stored = notes.find((note) => (note.data as { noteId: string }).noteId === response.body.noteId);
    expect(stored).toBeDefined();
    expect([stored!.revision.toString(), stored!.position.toString()]).toEqual([response.body.revision, response.body.position]);
  }
  expect(events.map((event) => Number(event.revision))).toEqual(events.map((_, index) => index));
  expect(findChainBreak(events)).toBeNull();
}

describe('retries of one request racing each other', () => {
  it('10 concurrent POST /cases with one Idempotency-Key open one case and all get the same answer', async () => {
    const key = 'open-case-burst';
    const responses = await Promise.all(Array.from({ length: 10 }, () => s.requestCase(owner, {}, { 'idempotency-key': key })));

    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
    const [first] = responses;
    expect(first!.body).toEqual({ id: expect.any(String), revision: '0', position: expect.stringMatching(/^\d+$/) });
    for (const response of responses) expect(response.body).toEqual(first!.body);
    expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);

    const events = await t.stream(`case-${first!.body.id}`);
    expect(events.map((event) => event.type)).toEqual(['CaseOpened']);
    expect(events[0]!.position.toString()).toBe(first!.body.position);
  });

  it('10 concurrent referral requests with one Idempotency-Key request one referral', async () => {
    const caseId = await s.openCase();
    expect((await t.post(`/cases/${caseId}/consents`, owner, { scope: 'referral', recipients: 'network', givenBy: 'subject' })).status).toBe(201);
    const body = { toInstitutionId: PUSKESOS, reason: 'Needs a home visit' };
    const responses = await Promise.all(Array.from({ length: 10 }, () =>
      t.post(`/cases/${caseId}/referrals`, owner, body, { 'idempotency-key': 'refer-burst' })));

    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
    for (const response of responses) expect(response.body).toEqual(responses[0]!.body);
    expect(responses[0]!.body).toMatchObject({ id: caseId, revision: '2', referralId: expect.any(String) });

    const requested = ofType(await t.stream(`case-${caseId}`), 'ReferralRequested');
    expect(requested).toHaveLength(1);
    expect(requested[0]!.data).toMatchObject({ referralId: responses[0]!.body.referralId, toInstitutionId: PUSKESOS });
    expect((await t.get(`/cases/${caseId}`, owner)).body.referrals).toHaveLength(1);
  });
});

describe('a burst of commands on one case', () => {
  it('50 concurrent notes from two institutions, without If-Match: all accepted, none lost', async () => {
    const { caseId } = await s.acceptedCase();
    const before = (await t.stream(`case-${caseId}`)).length;
    const texts = Array.from({ length: 50 }, (_, index) => `burst note ${index}`);

    const responses = await Promise.all(addNotes(t, caseId, 50, 'burst'));

    const events = await t.stream(`case-${caseId}`);
    expect(events).toHaveLength(before + 50);
    await expectNotesStoredOnce(events, responses, texts);
    const authors = ofType(events, 'CaseNoteAdded').map((note) => (note.data as { authorInstitutionId: string }).authorInstitutionId);
    expect(authors.filter((author) => author === OWNER)).toHaveLength(25);
    expect(authors.filter((author) => author === PUSKESOS)).toHaveLength(25);
  });
});

describe('accept and decline racing on one referral', () => {
  it('exactly one answer wins on each of 10 referrals; the other is a 409 problem', async () => {
    const races = await Promise.all(Array.from({ length: 10 }, () => s.referredCase()));

    // Fired together across all cases, half of them with decline sent first.
    const results = await Promise.all(races.map(({ caseId, referralId }, index) => {
      const path = `/cases/${caseId}/referrals/${referralId}`;
      const accept = () => t.post(`${path}/accept`, puskesos);
      const decline = () => t.post(`${path}/decline`, puskesos, { reasonCode: 'no_capacity', reason: 'Full this month' });
      return index % 2 === 0
        ? Promise.all([accept(), decline()]).then(([accepted, declined]) => ({ accepted, declined }))
        : Promise.all([decline(), accept()]).then(([declined, accepted]) => ({ accepted, declined }));
    }));

    const winners: string[] = [];
    for (const [index, { accepted, declined }] of results.entries()) {
      const { caseId, referralId } = races[index]!;
      expect([accepted.status, declined.status].sort()).toEqual([200, 409]);
      const lost = accepted.status === 409 ? accepted : declined;
      expect(lost.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(lost.body).toMatchObject({ status: 409, title: expect.any(String), detail: expect.any(String) });

      const winner = accepted.status === 200 ? 'accepted' : 'declined';
      winners.push(winner);
      const events = await t.stream(`case-${caseId}`);
      const decisions = events.filter((event) => event.type === 'ReferralAccepted' || event.type === 'ReferralDeclined');
      expect(decisions.map((event) => event.type)).toEqual([winner === 'accepted' ? 'ReferralAccepted' : 'ReferralDeclined']);
      expect(findChainBreak(events)).toBeNull();
      const view = await t.get(`/cases/${caseId}`, owner, { 'x-min-position': (accepted.status === 200 ? accepted : declined).body.position });
      expect(view.body.referrals).toEqual([expect.objectContaining({ id: referralId, status: winner })]);
      expect(view.body.participants).toEqual(winner === 'accepted' ? [OWNER, PUSKESOS] : [OWNER]);
    }
    // Both orders were exercised, so both answers must have won somewhere.
    expect(new Set(winners)).toEqual(new Set(['accepted', 'declined']));
  });
});

describe('two apps on one event file (two processes)', () => {
  let second: TestApp;
  const conflicts = { first: 0, second: 0 };

  beforeAll(async () => {
    second = await TestApp.start({ dataDir: t.config.dataDir });
    // Count appends refused because the other app wrote first: proof that the retry path ran.
    for (const [name, app] of [['first', t], ['second', second]] as const) {
      const append = app.store.append.bind(app.store);
      jest.spyOn(app.store, 'append').mockImplementation(async (...args) => {
        try {
          return await append(...args);
        } catch (error) {
          if (error instanceof WrongExpectedVersionError) conflicts[name]++;
          throw error;
        }
      });
    }
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await second.stop();
  });

  it('the second app sees what the first seeded and stored', async () => {
    const opened = await s.requestCase(owner);
    const caseId = opened.body.id;
    const view = await second.get(`/cases/${caseId}`, owner, { 'x-min-position': opened.body.position });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: caseId, status: 'open', ownerInstitutionId: OWNER });
  });

  it('rounds of notes sent to both apps at once on one case: all accepted through retries, none lost or doubled', async () => {
    const { caseId } = await new Scenario(second).acceptedCase();
    conflicts.first = 0;
    conflicts.second = 0;
    // A command that lost a race reloads and retries (at most 5 attempts): it can lose again only to another
    // commit of the other app, so bursts of 3 per app per round stay within what the retries promise.
    const responses: Response[] = [];
    const texts: string[] = [];
    for (let round = 0; round < 8; round++) {
      responses.push(...await Promise.all([...addNotes(t, caseId, 3, `first ${round}`), ...addNotes(second, caseId, 3, `second ${round}`)]));
      for (const app of ['first', 'second']) texts.push(...[0, 1, 2].map((index) => `${app} ${round} note ${index}`));
    }

    await expectNotesStoredOnce(await t.stream(`case-${caseId}`), responses, texts);
    expect(await second.stream(`case-${caseId}`)).toEqual(await t.stream(`case-${caseId}`));
    expect(conflicts.first + conflicts.second).toBeGreaterThanOrEqual(8);
  });

  it('a burst beyond the retry budget may be refused with 409, but never loses or doubles an accepted note', async () => {
    const { caseId } = await s.acceptedCase();
    const responses = await Promise.all([...addNotes(t, caseId, 20, 'first'), ...addNotes(second, caseId, 20, 'second')]);

    for (const response of responses.filter((response) => response.status !== 201)) {
      expect(response.status).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const accepted = responses.filter((response) => response.status === 201);
    const events = await t.stream(`case-${caseId}`);
    const notes = ofType(events, 'CaseNoteAdded');
    expect(notes.map((note) => (note.data as { noteId: string }).noteId).sort()).toEqual(accepted.map((response) => response.body.noteId).sort());
    expect(new Set(accepted.map((response) => response.body.revision)).size).toBe(accepted.length);
    expect(findChainBreak(events)).toBeNull();
  });

  it('retries of one request sent to both apps store it once', async () => {
    const { caseId } = await s.acceptedCase();
    const body = { text: 'sent twice, to two replicas', visibility: 'participants' };
    const headers = { 'idempotency-key': 'note-on-both' };

    const responses = await Promise.all(Array.from({ length: 10 }, (_, index) =>
      (index % 2 === 0 ? t : second).post(`/cases/${caseId}/notes`, owner, body, headers)));

    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 201));
    for (const response of responses) expect(response.body).toEqual(responses[0]!.body);
    expect(ofType(await t.stream(`case-${caseId}`), 'CaseNoteAdded')).toHaveLength(1);
  });

  it('accept on one app and decline on the other: one wins, the other is refused', async () => {
    const races = await Promise.all(Array.from({ length: 5 }, () => s.referredCase()));

    const results = await Promise.all(races.map(({ caseId, referralId }) => Promise.all([
      t.post(`/cases/${caseId}/referrals/${referralId}/accept`, puskesos),
      second.post(`/cases/${caseId}/referrals/${referralId}/decline`, puskesos, { reasonCode: 'no_capacity', reason: 'Full this month' }),
    ])));

    for (const [index, [accepted, declined]] of results.entries()) {
      expect([accepted.status, declined.status].sort()).toEqual([200, 409]);
      const events = await t.stream(`case-${races[index]!.caseId}`);
      const decisions = events.filter((event) => event.type === 'ReferralAccepted' || event.type === 'ReferralDeclined');
      expect(decisions.map((event) => event.type)).toEqual([accepted.status === 200 ? 'ReferralAccepted' : 'ReferralDeclined']);
      expect(findChainBreak(events)).toBeNull();
    }
  });
});
