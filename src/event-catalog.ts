/**
 * What the slices contribute to the event store, gathered in one place: core and the event-store port know no
 * slice (the dependency rules forbid it), so the app, the CLI and the benchmarks hand these to them.
 * A new kind of stream or a new upcaster is added here, beside its slice's own declaration.
 */
import { ACCESS_STREAM_PREFIX } from './audit/access.events.js';
import { CASE_STREAM_PREFIX } from './cases/case.events.js';
import { CASE_UPCASTERS } from './cases/case.upcasters.js';
import type { Upcasters } from './core/upcasting.js';
import { INSTITUTION_STREAM_PREFIX } from './institutions/institution.events.js';
import { NETWORK_STREAM_PREFIX } from './networks/network.events.js';
import { SUBJECT_STREAM_PREFIX } from './privacy/subject.events.js';
import { USER_STREAM_PREFIX } from './users/user.events.js';
import { WEBHOOK_STREAM_PREFIX } from './webhooks/webhook.events.js';

/** Every stream the service writes: a stream of a kind missing here is skipped by EventStoreDB subscriptions. */
export const SERVICE_STREAM_PREFIXES = [
  CASE_STREAM_PREFIX, INSTITUTION_STREAM_PREFIX, NETWORK_STREAM_PREFIX, ACCESS_STREAM_PREFIX, SUBJECT_STREAM_PREFIX, USER_STREAM_PREFIX, WEBHOOK_STREAM_PREFIX,
] as const;

/** Every slice's upcasters, by event type (event types are unique across slices). */
export const SERVICE_UPCASTERS: Upcasters = { ...CASE_UPCASTERS };
