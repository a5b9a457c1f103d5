/**
 * "Due in N hours" (the expiry scheduler's sibling): referrals still requested whose due time is within one
 * of WEBHOOK_SLA_WARNING_HOURS are announced to the subscriptions that want `referral.due_soon`, once per
 * referral and threshold (the message id derives from both, and a delivery is made once). Only the tightest
 * threshold already reached is sent, so a pass that comes late does not send stale warnings; a threshold
 * longer than the referral's whole time (24 h on an emergency due in 24 h) is never sent. The referral view
 * finds candidates; the case's own stream decides (still requested?), and nothing is queued before the outbox
 * has queued the case's events up to there, so a warning never overtakes the news before it.
 */
import { caseDecider } from '../../cases/case.decider.js';
import { caseStreamId } from '../../cases/case.events.js';
import type { CommandHandling } from '../../core/command-handling.js';
import { REFERRALS, type ReferralDocument } from '../../projections/case-summaries/case-summaries.projection.js';
import type { ReadStore, WriteOperation } from '../../read-store/read-store.port.js';
import { dueSoonMessage, scopeCovers } from '../webhook-messages.js';
import { enqueue, WEBHOOK_DELIVERIES } from './deliveries.js';
import { institutionNames, receivesAt, type WebhookOutbox } from './webhook-outbox.js';

const BATCH = 500;
const HOUR = 3_600_000;

/** The threshold to announce for a referral at `now`: the tightest one reached that is shorter than its whole time, or null. */
export function thresholdReached(requestedAt: string, dueAt: string, now: Date, thresholdsHours: readonly number[]): number | null {
  const left = Date.parse(dueAt) - now.getTime();
  const whole = Date.parse(dueAt) - Date.parse(requestedAt);
  const reached = thresholdsHours.filter((hours) => left > 0 && left <= hours * HOUR && whole > hours * HOUR);
  return reached.length === 0 ? null : Math.min(...reached);
}

export async function queueDueSoonWarnings(
  now: Date,
  dependencies: { readonly views: ReadStore; readonly commands: CommandHandling; readonly outbox: WebhookOutbox; readonly thresholdsHours: readonly number[]; readonly publicUrl: string },
): Promise<number> {
  const { views, commands, outbox, thresholdsHours, publicUrl } = dependencies;
  const wanted = outbox.routes().filter((route) => route.deletedPosition === null && route.state.eventKinds.includes('referral.due_soon'));
  if (wanted.length === 0 || thresholdsHours.length === 0) return 0;
  const horizon = new Date(now.getTime() + Math.max(...thresholdsHours) * HOUR).toISOString();
  const candidates = await views.collection<ReferralDocument>(REFERRALS).find(
    { status: 'requested', dueAt: { $gt: now.toISOString(), $lte: horizon } }, { sort: { dueAt: 1 }, limit: BATCH });
  const writes: WriteOperation[] = [];
  for (const candidate of candidates) {
    const threshold = thresholdReached(candidate.requestedAt, candidate.dueAt, now, thresholdsHours);
    if (threshold === null) continue;
    const { state, position } = await commands.load(caseDecider, caseStreamId(candidate.caseId));
    const referral = state.status === 'none' ? undefined : state.referrals.find((one) => one.id === candidate._id);
    if (state.status === 'none' || referral?.status !== 'requested' || position === null) continue;
    if (outbox.position === null || outbox.position < position) continue;
    const order = Number(position) + 0.5;
    const receivers = wanted.filter((route) => receivesAt(route, 'referral.due_soon', order)
      && scopeCovers(route.state.scope, state.networkId, [referral.fromInstitutionId, referral.toInstitutionId]));
    if (receivers.length === 0) continue;
    const names = await institutionNames(commands, [referral.fromInstitutionId, referral.toInstitutionId]);
    const message = dueSoonMessage(state, referral, threshold, now.toISOString(), names, publicUrl);
    for (const route of receivers) writes.push(enqueue(route._id, message, order, now.toISOString()));
  }
  if (writes.length === 0) return 0;
  return (await views.collection(WEBHOOK_DELIVERIES).bulkWrite(writes)).upserted;
}
