/**
 * Auditor reads, recorded as events of their own (every auditor read is itself recorded), so
 * the same hash chain and `verify` cover them. They name the case, the route and the query: never the
 * person the case is about.
 */
import type { DomainEvent } from '../core/decider.js';

export const ACCESS_STREAM_PREFIX = 'access-';
/** Reads of one case: what its data subject's access report lists. */
export const accessStreamId = (caseId: string): string => `${ACCESS_STREAM_PREFIX}${caseId}`;
/** Reads of the whole log (integrity checks). `_` cannot begin a case id, so no case's stream is this one. */
export const STORE_ACCESS_STREAM = `${ACCESS_STREAM_PREFIX}_store`;

export const CASE_AUDIT_ROUTES = ['events', 'state', 'export', 'access-log'] as const;
export type CaseAuditRoute = (typeof CASE_AUDIT_ROUTES)[number];

/** The validated query, each value as text. */
export type ReadQuery = Readonly<Record<string, string>>;

export type AccessEvent =
  | DomainEvent<'CaseHistoryRead', { readonly caseId: string; readonly route: CaseAuditRoute; readonly query: ReadQuery }>
  /** Recorded before the check runs: `stream` is the one asked for, or null for the whole log. */
  | DomainEvent<'IntegrityCheckRequested', { readonly stream: string | null }>;
