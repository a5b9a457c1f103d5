/** What each case event tells a receiver, whom it concerns, and that no personal data is in it. */
import type { CaseEvent } from '../cases/case.events.js';
import { evolveCase, initialCaseState, type CaseState, type ExistingCase } from '../cases/case.state.js';
import { caseEventMessage, dueSoonMessage, scopeCovers, type SourceEvent } from './webhook-messages.js';

const AT = '2026-11-02T08:00:00.000Z';
const NAMES = new Map([['rw-03', 'RW 03 Jurangombo Utara'], ['puskesos', 'Puskesos Jurangombo Utara'], ['dinsos', 'Dinas Sosial Kota Magelang']]);
const PERSONAL = ['Siti Aminah', '3371015205800001', 'Jl. Mawar 3', '081234567890', 'Lives alone, no income', 'Needs a home visit', 'No beds left', 'Housed at the shelter', 'Safety concern'];

const opened: CaseEvent = {
  type: 'CaseOpened',
  data: {
    caseId: 'case-1', networkId: 'wksbm-1', ownerInstitutionId: 'rw-03', subjectId: 'subject-1', regionCode: '33.71.01.1008', categories: ['PPKS-08'],
    urgency: 'high', openedAt: AT,
    personal: { subject: { name: 'Siti Aminah', nik: '3371015205800001', address: 'Jl. Mawar 3', phone: '081234567890' }, description: 'Lives alone, no income' },
  },
};
const requested: CaseEvent = {
  type: 'ReferralRequested',
  data: {
    referralId: 'ref-1', fromInstitutionId: 'rw-03', toInstitutionId: 'puskesos', urgency: 'high', requestedAt: AT, dueAt: '2026-11-05T08:00:00.000Z',
    targetInNetwork: true, consentId: 'consent-1', emergencyOverride: false, personal: { reason: 'Needs a home visit' },
  },
};
const declined: CaseEvent = { type: 'ReferralDeclined', data: { referralId: 'ref-1', at: AT, reasonCode: 'no_capacity', personal: { reason: 'No beds left' } } };
const completed: CaseEvent = { type: 'ReferralCompleted', data: { referralId: 'ref-1', at: AT, outcome: 'resolved', personal: { summary: 'Housed at the shelter' } } };
const escalated: CaseEvent = { type: 'CaseEscalated', data: { toInstitutionId: 'dinsos', at: AT, personal: { reason: 'Safety concern' } } };
const note: CaseEvent = { type: 'CaseNoteAdded', data: { noteId: 'n-1', authorInstitutionId: 'rw-03', visibility: 'participants', at: AT, personal: { text: 'Visited' } } };

const stateAfter = (...events: CaseEvent[]): ExistingCase => events.reduce<CaseState>(evolveCase, initialCaseState) as ExistingCase;
const source = (event: CaseEvent, id = 'e-1'): SourceEvent => ({ id, type: event.type, data: event.data, occurredAt: AT });

describe('webhook messages', () => {
  it('tells a referral request with ids, names, urgency, due time and the console link, and no personal data', () => {
    const message = caseEventMessage(source(requested, '0190a1b2-0000-7000-8000-000000000001'), stateAfter(opened, requested), NAMES, 'https://rujukan.example.org')!;
    expect(message).toMatchObject({
      messageId: 'msg_0190a1b2-0000-7000-8000-000000000001', kind: 'referral.requested', caseId: 'case-1', networkId: 'wksbm-1', institutionIds: ['rw-03', 'puskesos'],
    });
    expect(JSON.parse(message.body)).toEqual({
      type: 'referral.requested',
      timestamp: AT,
      data: {
        caseId: 'case-1', networkId: 'wksbm-1', referralId: 'ref-1',
        from: { id: 'rw-03', name: 'RW 03 Jurangombo Utara' }, to: { id: 'puskesos', name: 'Puskesos Jurangombo Utara' },
        urgency: 'high', requestedAt: AT, dueAt: '2026-11-05T08:00:00.000Z', caseUrl: 'https://rujukan.example.org/cases/case-1',
      },
    });
  });

  it('gives a decline its reason code and a completion its outcome, never their free text', () => {
    const decline = JSON.parse(caseEventMessage(source(declined), stateAfter(opened, requested, declined), NAMES, 'http://x')!.body);
    expect(decline.data.reasonCode).toBe('no_capacity');
    const completion = JSON.parse(caseEventMessage(source(completed), stateAfter(opened, requested, completed), NAMES, 'http://x')!.body);
    expect(completion.data.outcome).toBe('resolved');
  });

  it('tells an escalation to the owner and the institution it goes to', () => {
    const message = caseEventMessage(source(escalated), stateAfter(opened, escalated), NAMES, 'http://x')!;
    expect([...message.institutionIds].sort()).toEqual(['dinsos', 'rw-03']);
    expect(JSON.parse(message.body).data).toMatchObject({ owner: { id: 'rw-03' }, escalatedTo: { id: 'dinsos', name: 'Dinas Sosial Kota Magelang' }, urgency: 'high' });
  });

  it('tells nothing of notes, consents or the opening', () => {
    expect(caseEventMessage(source(note), stateAfter(opened, note), NAMES, 'http://x')).toBeNull();
    expect(caseEventMessage(source(opened), stateAfter(opened), NAMES, 'http://x')).toBeNull();
  });

  it('warns "due in N hours" once per referral and threshold: the id says which', () => {
    const state = stateAfter(opened, requested);
    const four = dueSoonMessage(state, state.referrals[0]!, 4, AT, NAMES, 'http://x');
    expect(JSON.parse(four.body)).toMatchObject({ type: 'referral.due_soon', data: { referralId: 'ref-1', dueInHours: 4, dueAt: '2026-11-05T08:00:00.000Z' } });
    expect(four.messageId).toBe(dueSoonMessage(state, state.referrals[0]!, 4, '2026-11-03T00:00:00.000Z', NAMES, 'http://x').messageId);
    expect(four.messageId).not.toBe(dueSoonMessage(state, state.referrals[0]!, 24, AT, NAMES, 'http://x').messageId);
  });

  it('carries none of the personal data of any event', () => {
    const events = [requested, declined, completed, escalated];
    const bodies = events.map((event) => caseEventMessage(source(event), stateAfter(opened, requested, event), NAMES, 'http://x')!.body);
    for (const body of bodies) for (const value of PERSONAL) expect(body).not.toContain(value);
  });

  it('reaches a scope only when it covers the institutions or the network concerned', () => {
    expect(scopeCovers({ level: 'institution', institutionId: 'puskesos' }, 'wksbm-1', ['rw-03', 'puskesos'])).toBe(true);
    expect(scopeCovers({ level: 'institution', institutionId: 'posyandu' }, 'wksbm-1', ['rw-03', 'puskesos'])).toBe(false);
    expect(scopeCovers({ level: 'network', networkId: 'wksbm-1' }, 'wksbm-1', [])).toBe(true);
    expect(scopeCovers({ level: 'network', networkId: 'wksbm-2' }, 'wksbm-1', ['rw-03'])).toBe(false);
    expect(scopeCovers({ level: 'city' }, 'wksbm-2', [])).toBe(true);
  });
});
