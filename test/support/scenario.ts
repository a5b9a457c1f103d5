/**
 * The scenario driver of the end-to-end specs: a case opened, consented, referred and answered over the API by
 * the people of the demo institutions (test/support/demo.ts), through the typed client of client/. Each step
 * checks that it was answered as a success and returns the ids the next step needs; a spec asserts the rest.
 *
 *   const s = new Scenario(t);
 *   const { caseId, referralId } = await s.referredCase();
 *   await s.answer(caseId, referralId, 'accept', await s.caseworker(PUSKESOS));
 */
import type { components } from '../../client/index.js';
import { NETWORK, OWNER, PUSKESOS } from './demo.js';
import { SAMPLE_NIK, type Response, type TestApp } from './test-app.js';

type Schemas = components['schemas'];
export type CaseRequest = Schemas['OpenCaseRequest'];
export type SubjectInput = Schemas['SubjectInput'];
export type Urgency = CaseRequest['urgency'];
export type ReferralAnswer = 'accept' | 'decline' | 'start' | 'hold' | 'resume' | 'complete' | 'fail' | 'cancel' | 'acknowledge';

/** The case the specs open unless they say otherwise: Siti Aminah of the demo network's RW. */
export const CASE_REQUEST: CaseRequest = {
  networkId: NETWORK,
  subject: { name: 'Siti Aminah', nik: SAMPLE_NIK, regionCode: '33.71.01.1008', address: 'Jl. Tidar 12', rt: '01', rw: '03' },
  categories: ['PPKS-08', 'PPKS-24'],
  urgency: 'high',
  description: 'Lives alone, no income since her husband died',
};

export const REFERRAL_REASON = 'Needs a home visit';

/** A step's answer must be a success: a failure shows its status and problem document. */
function expectAnswered(what: string, status: number, body: unknown, expected: number): void {
  expect({ what, status, ...(status === expected ? {} : { body }) }).toEqual({ what, status: expected });
}

export class Scenario {
  private readonly tokens = new Map<string, Promise<string>>();

  /** With `hoursBetweenSteps`, the test clock moves on that far before each step, so every step has its own `occurredAt`. */
  constructor(private readonly t: TestApp, private readonly options: { readonly hoursBetweenSteps?: number } = {}) {}

  private client(token: string) {
    if (this.options.hoursBetweenSteps) this.t.clock.advanceHours(this.options.hoursBetweenSteps);
    return this.t.client(token);
  }

  /** A caseworker's token for an institution (the demo RW, which owns the specs' cases, unless named). */
  caseworker(institutionId = OWNER): Promise<string> {
    let token = this.tokens.get(institutionId);
    if (!token) this.tokens.set(institutionId, (token = this.t.token({ role: 'caseworker', institutionId })));
    return token;
  }

  /** `POST /cases` as `token`, whatever it answers (for specs about refusals, limits and replays). */
  requestCase(token: string, request: Partial<CaseRequest> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return this.t.post('/cases', token, { ...CASE_REQUEST, ...request }, headers);
  }

  /** Opens a case (CASE_REQUEST with the changes given), by the RW's caseworker unless another token is given: its id. */
  async openCase(request: Partial<CaseRequest> = {}, token?: string): Promise<string> {
    const { response, data, error } = await this.client(token ?? (await this.caseworker())).POST('/api/v1/cases', { body: { ...CASE_REQUEST, ...request } });
    expectAnswered('open a case', response.status, error, 201);
    return data!.id;
  }

  /** The subject's consent to referrals to the network (or to the institutions named), recorded by the owner unless another token is given. */
  async consent(caseId: string, { recipients = 'network', token }: { recipients?: string[] | 'network'; token?: string } = {}): Promise<void> {
    const { response, error } = await this.client(token ?? (await this.caseworker())).POST('/api/v1/cases/{id}/consents', {
      params: { path: { id: caseId } }, body: { scope: 'referral', recipients, givenBy: 'subject' },
    });
    expectAnswered('record consent', response.status, error, 201);
  }

  /** A referral to `to`, by the owner unless another token is given: its id. */
  async refer(caseId: string, to: string, { token, urgency, reason = REFERRAL_REASON }: { token?: string; urgency?: Urgency; reason?: string } = {}): Promise<string> {
    const { response, data, error } = await this.client(token ?? (await this.caseworker())).POST('/api/v1/cases/{id}/referrals', {
      params: { path: { id: caseId } }, body: { toInstitutionId: to, reason, ...(urgency ? { urgency } : {}) },
    });
    expectAnswered('refer', response.status, error, 201);
    return data!.referralId!;
  }

  /** A step of a referral (`accept`, `complete`, `acknowledge`, ...) as `token`, with its body. */
  async answer(caseId: string, referralId: string, action: ReferralAnswer, token: string, body: unknown = {}): Promise<void> {
    if (this.options.hoursBetweenSteps) this.t.clock.advanceHours(this.options.hoursBetweenSteps);
    const answered = await this.t.post(`/cases/${caseId}/referrals/${referralId}/${action}`, token, body);
    expectAnswered(action, answered.status, answered.body, 200);
  }

  /** A new case with the subject's consent to referrals within the network. */
  async consentedCase(request: Partial<CaseRequest> = {}): Promise<string> {
    const caseId = await this.openCase(request);
    await this.consent(caseId);
    return caseId;
  }

  /** A new case with the subject's consent for the network and a referral to `to` (the puskesos), still requested. */
  async referredCase(to = PUSKESOS, request: Partial<CaseRequest> = {}, reason = REFERRAL_REASON): Promise<{ caseId: string; referralId: string }> {
    const caseId = await this.consentedCase(request);
    return { caseId, referralId: await this.refer(caseId, to, { reason }) };
  }

  /** A referred case whose target accepted: the owner and the target are both participants. */
  async acceptedCase(to = PUSKESOS, request: Partial<CaseRequest> = {}): Promise<{ caseId: string; referralId: string }> {
    const referred = await this.referredCase(to, request);
    await this.answer(referred.caseId, referred.referralId, 'accept', await this.caseworker(to));
    return referred;
  }
}
