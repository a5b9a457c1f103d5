/** Names for the answers the console reads, taken from the generated client (client/schema.ts). */
import type { paths } from '../../../client/index';

type JsonOf<Response> = Response extends { content: { 'application/json': infer Body } } ? Body : never;
type Get<Path extends keyof paths> = paths[Path] extends { get: { responses: { 200: infer Response } } } ? JsonOf<Response> : never;

export type Session = Get<'/api/v1/auth/session'>;
export type Role = Session['role'];
export type CaseView = Get<'/api/v1/cases/{id}'>;
export type CaseList = Get<'/api/v1/cases'>;
export type Referral = CaseView['referrals'][number];
export type ReferralBox = Get<'/api/v1/institutions/{id}/inbox'>;
export type ReferralRow = ReferralBox['items'][number];
export type Institution = Get<'/api/v1/institutions/{id}'>;
export type Network = Get<'/api/v1/networks/{id}'>;
export type Timeline = Get<'/api/v1/cases/{id}/timeline'>;
export type Category = Get<'/api/v1/reference/categories'>['items'][number];
export type Region = Get<'/api/v1/reference/regions'>['items'][number];
export type ReferralStatus = Referral['status'];
export type Urgency = CaseView['urgency'];
export type AuditCaseIndex = Get<'/api/v1/audit/cases'>;
export type AuditEvents = Get<'/api/v1/audit/cases/{id}/events'>;
export type AuditEvent = AuditEvents['items'][number];
export type AuditState = Get<'/api/v1/audit/cases/{id}/state'>;
export type AccessLog = Get<'/api/v1/audit/cases/{id}/access-log'>;
export type IntegrityReport = Get<'/api/v1/audit/verify'>;
export type AccessReport = Get<'/api/v1/subjects/{subjectId}/access-report'>;
export type UserList = Get<'/api/v1/users'>;
export type User = UserList['items'][number];
export type AnalyticsSummary = Get<'/api/v1/analytics/summary'>;
export type ReferralFlows = Get<'/api/v1/analytics/referral-flows'>;
export type Durations = Get<'/api/v1/analytics/durations'>;
export type Distribution = Durations['timeToAccept'];
export type CaseReason = Get<'/api/v1/cases/{id}/reasons'>['items'][number];
