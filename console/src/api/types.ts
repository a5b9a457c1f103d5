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
