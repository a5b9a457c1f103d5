/** Request bodies of the case and referral routes. Strict: unknown fields are refused. */
import { z } from 'zod';
import { categoriesSchema, idSchema, isoDateTimeSchema, pageQuery, regionCodeSchema, text } from '../http/schemas.js';
import { isKnownCategory } from '../reference/reference.js';
import { isValidNikShape } from '../reference/reference.js';
import { CONSENT_GIVERS, DECLINE_REASON_CODES, NOTE_VISIBILITIES, OUTCOMES, URGENCIES } from './case.events.js';

const digits = (length: number, what: string) => z.string().regex(new RegExp(`^\\d{${length}}$`), `must be ${length} digits (${what})`);

export const subjectSchema = z.strictObject({
  name: text(200),
  nik: z.string().refine(isValidNikShape, 'must be a 16-digit NIK: region, birth date (DDMMYY, day+40 for women), serial').optional(),
  kkNumber: digits(16, 'Kartu Keluarga number').optional(),
  address: text(500).optional(),
  rt: z.string().regex(/^\d{1,3}$/, 'must be 1–3 digits').optional(),
  rw: z.string().regex(/^\d{1,3}$/, 'must be 1–3 digits').optional(),
  regionCode: regionCodeSchema('kelurahan'),
  phone: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'must be a phone number').optional(),
  birthDate: z.iso.date().optional(),
}).meta({ id: 'SubjectInput', description: 'The person the case helps: personal data, stored encrypted and never logged. `regionCode` is the kelurahan they live in.' });

export const openCaseSchema = z.strictObject({
  id: idSchema.optional(),
  networkId: idSchema,
  /** For coordinators (and city-wide providers): the institution that will own the case. */
  ownerInstitutionId: idSchema.optional(),
  subject: subjectSchema,
  categories: categoriesSchema.min(1, 'at least one category'),
  urgency: z.enum(URGENCIES),
  description: text(4000),
}).meta({
  id: 'OpenCaseRequest',
  examples: [{
    networkId: 'wksbm-jurangombo-utara',
    subject: { name: 'Siti Aminah', nik: '3371015205800001', regionCode: '33.71.01.1008', address: 'Jl. Tidar 12', rt: '01', rw: '03' },
    categories: ['PPKS-08'],
    urgency: 'high',
    description: 'Lives alone, no income since her husband died',
  }],
});

export const recordConsentSchema = z.strictObject({
  id: idSchema.optional(),
  scope: z.literal('referral'),
  recipients: z.union([z.literal('network'), z.array(idSchema).min(1).max(50)]),
  givenBy: z.enum(CONSENT_GIVERS),
  expiresAt: isoDateTimeSchema.optional(),
}).meta({
  id: 'RecordConsentRequest',
  description: 'Consent to share the case with `recipients`: a list of institutions, or `"network"` (every institution of the case\'s network). Until `expiresAt`, or until withdrawn.',
  examples: [{ scope: 'referral', recipients: 'network', givenBy: 'subject' }],
});

export const addNoteSchema = z.strictObject({
  id: idSchema.optional(),
  text: text(8000),
  visibility: z.enum(NOTE_VISIBILITIES),
}).meta({ id: 'AddNoteRequest', description: '`participants`: every institution of the case may read it; `institution`: only the author\'s own.' });

export const assessNeedsSchema = z.strictObject({
  categories: categoriesSchema.min(1, 'at least one category'),
  urgency: z.enum(URGENCIES),
}).meta({ id: 'AssessNeedsRequest' });

export const requestReferralSchema = z.strictObject({
  id: idSchema.optional(),
  toInstitutionId: idSchema,
  reason: text(2000),
  urgency: z.enum(URGENCIES).optional(),
  emergencyOverride: z.strictObject({ reason: text(2000) }).optional(),
}).meta({
  id: 'RequestReferralRequest',
  description: '`urgency` defaults to the case\'s and sets the due time. Without consent on record that covers the target, only an `emergencyOverride` with its reason lets the referral go.',
  examples: [{ toInstitutionId: 'puskesos-jurangombo-utara', reason: 'Needs a home visit and a PKH assessment' }],
});

export const reasonSchema = z.strictObject({ reason: text(2000) }).meta({ id: 'ReasonRequest' });
export const declineSchema = z.strictObject({ reasonCode: z.enum(DECLINE_REASON_CODES), reason: text(2000) })
  .meta({ id: 'DeclineReferralRequest', examples: [{ reasonCode: 'no_capacity', reason: 'No home-visit staff until next month' }] });
export const completeSchema = z.strictObject({ outcome: z.enum(OUTCOMES), summary: text(4000) })
  .meta({ id: 'CompleteReferralRequest', examples: [{ outcome: 'resolved', summary: 'Enrolled in PKH; first payment in March' }] });
export const escalateSchema = z.strictObject({ toInstitutionId: idSchema, reason: text(2000) })
  .meta({ id: 'EscalateCaseRequest', description: '`toInstitutionId`: a city-wide provider, usually the Dinas Sosial.' });
export const closeCaseSchema = z.strictObject({ outcome: z.enum(OUTCOMES), summary: text(4000) })
  .meta({ id: 'CloseCaseRequest', examples: [{ outcome: 'resolved', summary: 'Receiving PKH support; family visits weekly' }] });

export const caseListQuerySchema = z.strictObject({
  status: z.enum(['open', 'closed']).optional(),
  networkId: idSchema.optional(),
  category: z.string().refine(isKnownCategory, 'must be a PPKS category code').optional(),
  institutionId: idSchema.optional(),
  regionCode: regionCodeSchema().optional(),
  escalated: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
  ...pageQuery,
});
