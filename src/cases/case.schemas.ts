/** Request bodies of the case and referral routes (DESIGN §9). Strict: unknown fields are refused. */
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
});

export const openCaseSchema = z.strictObject({
  id: idSchema.optional(),
  networkId: idSchema,
  /** For coordinators (and city-wide providers): the institution that will own the case. */
  ownerInstitutionId: idSchema.optional(),
  subject: subjectSchema,
  categories: categoriesSchema.min(1, 'at least one category'),
  urgency: z.enum(URGENCIES),
  description: text(4000),
});

export const recordConsentSchema = z.strictObject({
  id: idSchema.optional(),
  scope: z.literal('referral'),
  recipients: z.union([z.literal('network'), z.array(idSchema).min(1).max(50)]),
  givenBy: z.enum(CONSENT_GIVERS),
  expiresAt: isoDateTimeSchema.optional(),
});

export const addNoteSchema = z.strictObject({
  id: idSchema.optional(),
  text: text(8000),
  visibility: z.enum(NOTE_VISIBILITIES),
});

export const assessNeedsSchema = z.strictObject({
  categories: categoriesSchema.min(1, 'at least one category'),
  urgency: z.enum(URGENCIES),
});

export const requestReferralSchema = z.strictObject({
  id: idSchema.optional(),
  toInstitutionId: idSchema,
  reason: text(2000),
  urgency: z.enum(URGENCIES).optional(),
  emergencyOverride: z.strictObject({ reason: text(2000) }).optional(),
});

export const reasonSchema = z.strictObject({ reason: text(2000) });
export const declineSchema = z.strictObject({ reasonCode: z.enum(DECLINE_REASON_CODES), reason: text(2000) });
export const completeSchema = z.strictObject({ outcome: z.enum(OUTCOMES), summary: text(4000) });
export const emptySchema = z.strictObject({});
export const escalateSchema = z.strictObject({ toInstitutionId: idSchema, reason: text(2000) });
export const closeCaseSchema = z.strictObject({ outcome: z.enum(OUTCOMES), summary: text(4000) });

export const caseListQuerySchema = z.strictObject({
  status: z.enum(['open', 'closed']).optional(),
  networkId: idSchema.optional(),
  category: z.string().refine(isKnownCategory, 'must be a PPKS category code').optional(),
  institutionId: idSchema.optional(),
  regionCode: regionCodeSchema().optional(),
  ...pageQuery,
});
