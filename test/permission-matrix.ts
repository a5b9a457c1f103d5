/**
 * The permission matrix (docs/domain.md, "Roles"): for every route the app serves, the answer each kind of
 * caller gets when acting on each kind of object. `ok` is any 2xx; 302, 401, 403 and 404 are exact; 422 marks a
 * domain refusal named in a comment. test/permission-matrix.e2e.spec.ts runs it against the running app, and
 * fails on a route without a row as on a row without a route.
 */

/** The columns: who calls. Auditor, analyst and admin tokens also name RW 03 and the demo network, to show a claim grants nothing a role does not. */
export const CALLERS = [
  'caseworker', //         of RW 03: owns the case, sent its referral; the institution whose inbox is read
  'caseworker:target', //  of the Puskesos: the referral's target (a participant once it accepts)
  'caseworker:other', //   of the Posyandu: same network, never touched the case
  'caseworker:net2', //    of an institution in another network
  'coordinator', //        of the demo network
  'coordinator:net2', //   of another network
  'dinsos', //             of the Dinas Sosial institution (city-wide)
  'auditor',
  'analyst',
  'admin',
  'none', //               no token
] as const;
export type Caller = (typeof CALLERS)[number];

/**
 * The rows' objects. A case lives in the demo network, is owned by RW 03, has the network's consent and a
 * referral to the Puskesos, and is at the stage the route needs (a fresh one for each caller allowed to
 * change it). `escalated case`: the same, escalated to Dinsos. `institution`: RW 03 for reads, a fresh KPS of
 * the demo network for changes, a KPS for registering. `city-wide provider`: a fresh one, or one registered.
 * `network`: the demo network. `subject`: the person of such a case.
 * `user`: a person just invited to the console.
 * `webhook`: a webhook subscription of RW 03 (institution scope); `city webhook`: one of dinsos for the city.
 * `unknown …`: an id nothing has.
 */
export type Target =
  | '-' | 'case' | 'escalated case' | 'unknown case' | 'unknown referral'
  | 'institution' | 'city-wide provider' | 'unknown institution' | 'network' | 'unknown network' | 'subject' | 'unknown subject'
  | 'user' | 'unknown user' | 'webhook' | 'city webhook' | 'unknown webhook';

export type Outcome = 'ok' | 302 | 401 | 403 | 404 | 422;

export interface Row {
  readonly route: string;
  readonly on: Target;
  readonly expect: Readonly<Record<Caller, Outcome>>;
}

const row = (route: string, on: Target, ...cells: Outcome[]): Row => {
  if (cells.length !== CALLERS.length) throw new Error(`${route} (${on}): ${cells.length} cells for ${CALLERS.length} callers`);
  return { route, on, expect: Object.fromEntries(CALLERS.map((caller, index) => [caller, cells[index]!])) as Record<Caller, Outcome> };
};

/** The same cells for several routes. */
const rows = (routes: readonly string[], on: Target, ...cells: Outcome[]): Row[] => routes.map((route) => row(route, on, ...cells));

const ok = 'ok';
const TARGET_STEPS = ['accept', 'decline', 'start', 'hold', 'resume', 'complete', 'fail'].map((step) => `POST /cases/{id}/referrals/{rid}/${step}`);
const REFERRER_STEPS = ['cancel', 'acknowledge'].map((step) => `POST /cases/{id}/referrals/{rid}/${step}`);
const PARTICIPANT_ROUTES = ['POST /cases/{id}/consents', 'POST /cases/{id}/consents/{consentId}/withdraw', 'POST /cases/{id}/notes', 'POST /cases/{id}/needs'];
const CASE_READS = ['GET /cases/{id}', 'GET /cases/{id}/timeline', 'GET /cases/{id}/notes', 'GET /cases/{id}/reasons'];
const AUDITOR_READS = ['GET /audit/cases/{id}/events', 'GET /audit/cases/{id}/state', 'GET /audit/cases/{id}/export'];
const INSTITUTION_CHANGES = ['rename', 'services', 'suspend', 'reactivate'].map((change) => `POST /institutions/{id}/${change}`);
const BOXES = ['GET /institutions/{id}/inbox', 'GET /institutions/{id}/outbox', 'GET /institutions/{id}/referral-events'];
const MEMBERSHIP = ['POST /networks/{id}/members', 'DELETE /networks/{id}/members/{institutionId}'];
const SUBJECT_RIGHTS = ['POST /subjects/{subjectId}/erasure', 'GET /subjects/{subjectId}/access-report'];
const ANALYTICS = ['summary', 'referral-flows', 'durations', 'export.csv'].map((name) => `GET /analytics/${name}`);
const WEBHOOK_READS = ['GET /webhooks/{id}', 'GET /webhooks/{id}/deliveries'];
const WEBHOOK_CHANGES = [...['pause', 'resume', 'rotate-secret', 'redeliver'].map((change) => `POST /webhooks/{id}/${change}`), 'DELETE /webhooks/{id}'];
const CASE_ROUTES = [...CASE_READS, ...PARTICIPANT_ROUTES, 'POST /cases/{id}/referrals', ...TARGET_STEPS, ...REFERRER_STEPS, 'POST /cases/{id}/escalate', 'POST /cases/{id}/close', 'POST /cases/{id}/reopen'];

export const MATRIX: readonly Row[] = [
  //                                                     cw    cw:tgt cw:oth cw:n2 coord co:n2 dinsos audit analy admin none
  ...rows(['GET /health/live', 'GET /health/ready', 'GET /metrics'], '-',
                                                          ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   ok),
  ...rows(['GET /reference/categories', 'GET /reference/regions', 'GET /institutions', 'GET /networks'], '-',
                                                          ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   401),
  row('POST /networks', '-',                              403,  403,   403,   403,  403,  403,  ok,    403,  403,  ok,   401),
  // Dinsos registers (and manages) the city-wide providers; an admin manages every institution.
  row('POST /institutions', 'institution',                403,  403,   403,   403,  403,  403,  403,   403,  403,  ok,   401),
  row('POST /institutions', 'city-wide provider',         403,  403,   403,   403,  403,  403,  ok,    403,  403,  ok,   401),
  row('GET /institutions/{id}', 'institution',            ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   401),
  row('GET /institutions/{id}', 'unknown institution',    404,  404,   404,   404,  404,  404,  404,   404,  404,  404,  401),
  ...rows(INSTITUTION_CHANGES, 'institution',             403,  403,   403,   403,  403,  403,  403,   403,  403,  ok,   401),
  ...rows(INSTITUTION_CHANGES, 'city-wide provider',      403,  403,   403,   403,  403,  403,  ok,    403,  403,  ok,   401),
  ...rows(INSTITUTION_CHANGES, 'unknown institution',     403,  403,   403,   403,  403,  403,  404,   403,  403,  404,  401),
  ...rows(BOXES, 'institution',                           ok,   403,   403,   403,  ok,   403,  403,   403,  403,  403,  401),
  ...rows(BOXES, 'unknown institution',                   404,  404,   404,   404,  404,  404,  404,   403,  403,  403,  401),
  row('GET /networks/{id}', 'network',                    ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   401),
  row('GET /networks/{id}', 'unknown network',            404,  404,   404,   404,  404,  404,  404,   404,  404,  404,  401),
  ...rows(MEMBERSHIP, 'network',                          403,  403,   403,   403,  ok,   403,  ok,    403,  403,  ok,   401),
  ...rows(MEMBERSHIP, 'unknown network',                  403,  403,   403,   403,  404,  404,  404,   403,  403,  404,  401),
  row('POST /networks/{id}/coordinators', 'network',      403,  403,   403,   403,  403,  403,  ok,    403,  403,  ok,   401),
  row('POST /networks/{id}/coordinators', 'unknown network', 403, 403,  403,   403,  403,  403,  404,   403,  403,  404,  401),

  // Opening a case in the demo network. 422: the caseworker's own institution, which would own it, is not a member.
  row('POST /cases', 'network',                           ok,   ok,    ok,    422,  ok,   403,  403,   403,  403,  403,  401),
  // Every case role may list; what each sees is scoped (test/views.e2e.spec.ts).
  row('GET /cases', '-',                                  ok,   ok,    ok,    ok,   ok,   ok,   ok,    403,  403,  403,  401),
  ...rows(CASE_READS, 'case',                             ok,   ok,    403,   403,  ok,   403,  403,   403,  403,  403,  401),
  ...rows(CASE_READS, 'escalated case',                   ok,   ok,    403,   403,  ok,   403,  ok,    403,  403,  403,  401),
  // The target is no participant until it accepts.
  ...rows([...PARTICIPANT_ROUTES, 'POST /cases/{id}/referrals'], 'case',
                                                          ok,   403,   403,   403,  ok,   403,  403,   403,  403,  403,  401),
  ...rows([...PARTICIPANT_ROUTES, 'POST /cases/{id}/referrals'], 'escalated case',
                                                          ok,   403,   403,   403,  ok,   403,  ok,    403,  403,  403,  401),
  ...rows(TARGET_STEPS, 'case',                           403,  ok,    403,   403,  ok,   403,  403,   403,  403,  403,  401),
  ...rows(TARGET_STEPS, 'escalated case',                 403,  ok,    403,   403,  ok,   403,  ok,    403,  403,  403,  401),
  ...rows([...REFERRER_STEPS, 'POST /cases/{id}/close', 'POST /cases/{id}/reopen'], 'case',
                                                          ok,   403,   403,   403,  ok,   403,  403,   403,  403,  403,  401),
  ...rows([...REFERRER_STEPS, 'POST /cases/{id}/close', 'POST /cases/{id}/reopen'], 'escalated case',
                                                          ok,   403,   403,   403,  ok,   403,  ok,    403,  403,  403,  401),
  // The owner or the coordinator escalates; dinsos, who receives escalations, does not.
  row('POST /cases/{id}/escalate', 'case',                ok,   403,   403,   403,  ok,   403,  403,   403,  403,  403,  401),
  row('POST /cases/{id}/escalate', 'escalated case',      ok,   403,   403,   403,  ok,   403,  403,   403,  403,  403,  401),
  row('POST /cases/{id}/escalate', 'unknown case',        404,  404,   404,   404,  404,  404,  403,   403,  403,  403,  401),
  ...rows(CASE_ROUTES.filter((route) => route !== 'POST /cases/{id}/escalate'), 'unknown case',
                                                          404,  404,   404,   404,  404,  404,  404,   403,  403,  403,  401),
  ...rows([...TARGET_STEPS, ...REFERRER_STEPS], 'unknown referral',
                                                          404,  404,   404,   404,  404,  404,  404,   403,  403,  403,  401),

  ...rows(AUDITOR_READS, 'case',                          403,  403,   403,   403,  403,  403,  403,   ok,   403,  403,  401),
  ...rows(AUDITOR_READS, 'unknown case',                  403,  403,   403,   403,  403,  403,  403,   404,  403,  403,  401),
  // Who read a case's history, for data subjects' access requests.
  row('GET /audit/cases/{id}/access-log', 'case',         403,  403,   403,   403,  403,  403,  ok,    ok,   403,  403,  401),
  row('GET /audit/cases/{id}/access-log', 'unknown case', 403,  403,   403,   403,  403,  403,  404,   404,  403,  403,  401),
  // Finding a case to audit: ids and dates only.
  row('GET /audit/cases', '-',                            403,  403,   403,   403,  403,  403,  403,   ok,   403,  403,  401),
  row('GET /audit/verify', '-',                           403,  403,   403,   403,  403,  403,  403,   ok,   403,  403,  401),
  ...rows(ANALYTICS, '-',                                 403,  403,   403,   403,  403,  403,  ok,    403,  ok,   403,  401),
  // UU 27/2022: erasure and the access report are the city's (dinsos) alone.
  ...rows(SUBJECT_RIGHTS, 'subject',                      403,  403,   403,   403,  403,  403,  ok,    403,  403,  403,  401),
  ...rows(SUBJECT_RIGHTS, 'unknown subject',              403,  403,   403,   403,  403,  403,  404,   403,  403,  403,  401),

  // The console's sign-in is public: a code that is not one is 401 whoever asks.
  row('POST /auth/sign-in', '-',                           401,  401,   401,   401,  401,  401,  401,   401,  401,  401,  401),
  ...rows(['GET /auth/session', 'POST /auth/sign-out'], '-', ok,  ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   401),
  // Sign-in at the identity provider is public too, and a browser's navigation: here (no provider configured)
  // both legs send everyone back to the sign-in page.
  row('GET /auth/methods', '-',                           ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   ok,   ok,   ok),
  ...rows(['GET /auth/oidc/login', 'GET /auth/oidc/callback'], '-',
                                                          302,  302,   302,   302,  302,  302,  302,   302,  302,  302,  302),
  // People and their access: admins manage them; auditors read who had access when.
  row('GET /users', '-',                                  403,  403,   403,   403,  403,  403,  403,   ok,   403,  ok,   401),
  row('POST /users/invitations', '-',                     403,  403,   403,   403,  403,  403,  403,   403,  403,  ok,   401),
  row('POST /users/{id}/revoke', 'user',                  403,  403,   403,   403,  403,  403,  403,   403,  403,  ok,   401),
  row('POST /users/{id}/revoke', 'unknown user',          403,  403,   403,   403,  403,  403,  403,   403,  403,  404,  401),

  // Webhooks: a caseworker for its institution, a coordinator for its network, dinsos for the city (each body names its own), an admin for any.
  row('POST /webhooks', '-',                              ok,   ok,    ok,    ok,   ok,   ok,   ok,    403,  403,  ok,   401),
  // Listed for every role that manages some, scoped to what each manages; auditors read every one (the audit trail).
  row('GET /webhooks', '-',                               ok,   ok,    ok,    ok,   ok,   ok,   ok,    ok,   403,  ok,   401),
  ...rows(WEBHOOK_READS, 'webhook',                       ok,   403,   403,   403,  403,  403,  403,   ok,   403,  ok,   401),
  ...rows(WEBHOOK_READS, 'city webhook',                  403,  403,   403,   403,  403,  403,  ok,    ok,   403,  ok,   401),
  ...rows(WEBHOOK_READS, 'unknown webhook',               404,  404,   404,   404,  404,  404,  404,   404,  403,  404,  401),
  ...rows(WEBHOOK_CHANGES, 'webhook',                     ok,   403,   403,   403,  403,  403,  403,   403,  403,  ok,   401),
  ...rows(WEBHOOK_CHANGES, 'city webhook',                403,  403,   403,   403,  403,  403,  ok,    403,  403,  ok,   401),
  ...rows(WEBHOOK_CHANGES, 'unknown webhook',             404,  404,   404,   404,  404,  404,  404,   403,  403,  404,  401),
];
