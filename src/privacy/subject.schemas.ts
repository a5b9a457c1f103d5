/** Requests and responses of the data-subject routes, for validation and the OpenAPI document. */
import { z } from 'zod';
import { CASE_AUDIT_ROUTES } from '../audit/access.events.js';
import { text } from '../http/schemas.js';

/** Why the data is erased: the office's words (a request reference, say), not the subject's data; kept short. */
export const erasureSchema = z.strictObject({ reason: text(300) })
  .meta({ id: 'ErasureRequest', examples: [{ reason: 'Request PDP-2026-014 of 2 November 2026' }] });

export const accessReportResponseSchema = z.object({
  subjectId: z.string(),
  erased: z.boolean(),
  erasure: z.object({ at: z.string(), by: z.object({ userId: z.string(), role: z.string() }), reason: z.string() }).nullable(),
  cases: z.array(z.object({
    id: z.string(),
    networkId: z.string(),
    ownerInstitutionId: z.string(),
    status: z.enum(['open', 'closed']),
    openedAt: z.string(),
    closedAt: z.string().optional(),
    erased: z.boolean().describe('the personal data of the case can no longer be read by anyone'),
    personalFields: z.array(z.string()).describe('the personal data held, as `<event type>.<field>`: names, never values; none once erased'),
  })),
  reads: z.array(z.object({
    caseId: z.string(),
    at: z.string(),
    actor: z.object({ userId: z.string(), role: z.string(), institutionId: z.string().optional() }),
    route: z.enum(CASE_AUDIT_ROUTES),
    query: z.record(z.string(), z.string()),
  })).describe('every recorded read of the subject\'s case histories, oldest first'),
}).meta({ id: 'AccessReport' });
