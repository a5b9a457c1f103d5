/** Response schemas of the case routes, for the OpenAPI document. */
import { z } from 'zod';
import { DECLINE_REASON_CODES, NOTE_VISIBILITIES, OUTCOMES, URGENCIES } from './case.events.js';
import { ACTIVE_REFERRAL_STATUSES, TERMINAL_REFERRAL_STATUSES } from './case.state.js';

export const referralResponseSchema = z.object({
  id: z.string(),
  fromInstitutionId: z.string(),
  toInstitutionId: z.string(),
  status: z.enum([...ACTIVE_REFERRAL_STATUSES, ...TERMINAL_REFERRAL_STATUSES]),
  urgency: z.enum(URGENCIES),
  requestedAt: z.string(),
  dueAt: z.string(),
  acceptedAt: z.string().optional(),
  completedAt: z.string().optional(),
  outcome: z.enum(OUTCOMES).optional(),
  declineReasonCode: z.enum(DECLINE_REASON_CODES).optional(),
  loopClosed: z.boolean().describe('the referrer acknowledged the outcome'),
}).meta({ id: 'Referral' });

export const caseResponseSchema = z.object({
  id: z.string(),
  networkId: z.string(),
  status: z.enum(['open', 'closed']),
  ownerInstitutionId: z.string(),
  participants: z.array(z.string()),
  categories: z.array(z.string()),
  urgency: z.enum(URGENCIES),
  subject: z.union([
    z.object({ id: z.string(), regionCode: z.string(), name: z.string(), nik: z.string().optional() }).loose(),
    z.object({ id: z.string(), erased: z.literal(true) }).describe('the subject\'s data was erased at their request'),
  ]),
  description: z.string().optional().describe('what the problem is, as written when the case was opened; absent once the subject\'s data is erased'),
  referrals: z.array(referralResponseSchema),
  consents: z.array(z.object({ id: z.string(), recipients: z.union([z.literal('network'), z.array(z.string())]) }).loose()),
  escalatedTo: z.array(z.string()),
  openedAt: z.string(),
  closedAt: z.string().optional(),
  outcome: z.enum(OUTCOMES).optional(),
  revision: z.string().describe('the case stream\'s revision, as in ETag'),
}).meta({ id: 'Case', description: 'A case with its referrals. The subject\'s personal data is shown to those who may read the case, as `{ id, erased: true }` once erased.' });

export const caseListResponseSchema = z.object({ items: z.array(caseResponseSchema), nextCursor: z.string().nullable() }).meta({ id: 'CasePage' });

/** A referral as an institution's lists show it: ids, state and times, nothing personal. */
const referralRow = z.object({
  caseId: z.string(),
  referralId: z.string(),
  fromInstitutionId: z.string(),
  toInstitutionId: z.string(),
  status: referralResponseSchema.shape.status,
  urgency: z.enum(URGENCIES),
  requestedAt: z.string(),
  dueAt: z.string(),
});

export const inboxResponseSchema = z.object({
  items: z.array(referralRow.extend({
    loopClosed: z.boolean().describe('the referrer acknowledged the outcome: nothing more to do on it'),
    categories: z.array(z.string()).describe('the case\'s PPKS categories'),
    overdue: z.boolean(),
  }).meta({ id: 'ReferralBoxItem' })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'ReferralBoxPage' });

export const timelineResponseSchema = z.object({
  items: z.array(z.object({
    revision: z.string(),
    type: z.string(),
    occurredAt: z.string(),
    actor: z.object({ role: z.string(), institutionId: z.string().nullable() }),
    details: z.record(z.string(), z.unknown()).describe('The event without its personal data and free text'),
  }).meta({ id: 'TimelineEntry' })),
  nextCursor: z.string().nullable(),
}).meta({ id: 'TimelinePage' });

/** One event of `GET /institutions/:id/referral-events` (its `data`, as JSON): a referral to or from the institution changed. */
export const referralEventSchema = referralRow.extend({
  position: z.string().describe('the log position the views reached with this change: send it as X-Min-Position to read it back'),
  box: z.enum(['inbox', 'outbox']).describe('whether the referral is to (inbox) or from (outbox) the institution'),
}).meta({
  id: 'ReferralEvent',
  description: 'Events: `ready` once subscribed; `referral` (this object) when a referral to or from the institution changes; `session-ended` just before the stream closes because the token or session ended.',
});

export const notesResponseSchema = z.object({
  items: z.array(z.object({
    id: z.string(),
    visibility: z.enum(NOTE_VISIBILITIES),
    authorInstitutionId: z.string().nullable(),
    author: z.object({ userId: z.string().nullable(), role: z.string().nullable() }),
    addedAt: z.string(),
    text: z.string().nullable().describe('null once the subject\'s data is erased'),
    erased: z.boolean(),
  })).describe('the notes this caller may read, oldest first: notes for every participant to participants, coordinators and dinsos on escalated cases; notes kept to an institution to its people'),
}).meta({ id: 'NoteList' });

export const reasonsResponseSchema = z.object({
  items: z.array(z.object({
    revision: z.string(),
    type: z.string().describe('the event the words were written with, e.g. ReferralRequested, ReferralCompleted, CaseClosed'),
    referralId: z.string().nullable(),
    field: z.enum(['reason', 'overrideReason', 'summary']),
    at: z.string(),
    text: z.string().nullable().describe('null once the subject\'s data is erased'),
    erased: z.boolean(),
  }).meta({ id: 'CaseStepText' })),
}).meta({ id: 'CaseStepTexts' });
