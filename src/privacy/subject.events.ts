/**
 * A data subject's own stream: what was done with their data as a whole. Today only its
 * erasure, whose reason is the office's, not the subject's data, so it is stored as it is.
 */
import type { DomainEvent } from '../core/decider.js';

export const SUBJECT_STREAM_PREFIX = 'subject-';
export const subjectStreamId = (subjectId: string): string => `${SUBJECT_STREAM_PREFIX}${subjectId}`;

export type SubjectEvent = DomainEvent<'SubjectDataErased', { readonly subjectId: string; readonly erasedAt: string; readonly reason: string }>;
