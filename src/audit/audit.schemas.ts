/** Queries and responses of the audit routes, for validation and the OpenAPI document. */
import { z } from 'zod';
import { caseResponseSchema } from '../cases/case.responses.js';
import { isoDateTimeSchema, pageQuery } from '../http/schemas.js';
import { CASE_AUDIT_ROUTES } from './access.events.js';

const MAX_INT64 = 2n ** 63n - 1n;

/** A revision or a position as a decimal string (they are 64-bit). */
export const decimalSchema = (what: string) => z
  .string()
  .regex(/^\d{1,19}$/, `must be ${what}: a decimal number`)
  .transform(BigInt)
  .refine((value) => value <= MAX_INT64, `must be ${what}: at most 2^63 - 1`);

const revisionSchema = decimalSchema('a revision');

/** Pages of a stream; the cursor is the revision to start from, as `nextCursor` gave it. */
export const streamPageQuerySchema = z.strictObject({ ...pageQuery, cursor: revisionSchema.optional() });

export const stateQuerySchema = z
  .strictObject({ asOf: isoDateTimeSchema.optional(), revision: revisionSchema.optional() })
  .superRefine((query, context) => {
    if ((query.asOf === undefined) === (query.revision === undefined)) {
      for (const field of ['asOf', 'revision']) context.addIssue({ code: 'custom', path: [field], message: 'give exactly one of asOf and revision' });
    }
  });

export const verifyQuerySchema = z.strictObject({
  stream: z.string().regex(/^[\w-]{1,200}$/, 'must be a stream name such as case-<id>').optional(),
});

const decimalText = z.string().describe('decimal string (64-bit)');
const nextCursor = z.string().nullable();

export const eventsResponseSchema = z.object({
  items: z.array(z.object({
    revision: decimalText,
    position: decimalText,
    type: z.string(),
    data: z.unknown().describe('as stored'),
    metadata: z.record(z.string(), z.unknown()).describe('as stored: eventId, occurredAt, actor, commandId, correlationId, causationId, hash, …'),
    personal: z.unknown().optional().describe('the personal part of `data` (stored sealed), opened; `{ erased: true }` once the subject\'s data is erased'),
  })),
  nextCursor,
}).meta({ id: 'AuditEventPage' });

export const stateResponseSchema = z.object({
  asOf: z.string().optional(),
  revision: decimalText.describe('the last event folded'),
  state: caseResponseSchema,
}).meta({ id: 'AuditCaseState' });

export const verifyResponseSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('events examined, the broken one included'),
  firstBroken: z.object({ stream: z.string(), revision: decimalText, eventId: z.string(), reason: z.string() }).nullable(),
}).meta({ id: 'IntegrityReport' });

export const exportResponseSchema = z.string().meta({ id: 'CaseExport', description: 'NDJSON, one event a line: { streamId, revision, position, id, type, data, metadata, recordedAt, current?, personal? }' });

export const accessLogResponseSchema = z.object({
  items: z.array(z.object({
    at: z.string(),
    actor: z.object({ userId: z.string(), role: z.string(), institutionId: z.string().optional() }),
    route: z.enum(CASE_AUDIT_ROUTES),
    query: z.record(z.string(), z.string()),
  })),
  nextCursor,
}).meta({ id: 'AccessLogPage' });

export const caseIndexResponseSchema = z.object({
  items: z.array(z.object({
    id: z.string(),
    networkId: z.string(),
    ownerInstitutionId: z.string(),
    status: z.enum(['open', 'closed']),
    escalated: z.boolean(),
    referrals: z.number().int().describe('how many referrals the case has had'),
    revision: decimalText.describe('its last revision: the stream holds revision + 1 events'),
    openedAt: z.string(),
    closedAt: z.string().nullable(),
  })).describe('newest first; ids and dates only, never personal data'),
  nextCursor,
}).meta({ id: 'AuditCasePage' });
