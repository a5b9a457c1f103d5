/**
 * What a webhook says: the kind of news, whose it is, and the body every subscription receives alike. Bodies
 * follow the Standard Webhooks shape `{ type, timestamp, data }` and carry no personal data: ids, kinds,
 * institution names, urgency, due times, codes (decline reason, outcome) and a link to the case in the
 * console. A receiver that needs more asks the API with its own token. Pure functions: the reactor and the
 * SLA warnings gather the facts (the case, the names) and call these.
 */
import { assertNever } from '../core/decider.js';
import { derivedId } from '../core/ids.js';
import type { CaseEvent, CaseEventType } from '../cases/case.events.js';
import type { ExistingCase, Referral } from '../cases/case.state.js';
import type { WebhookEventKind, WebhookScope } from './webhook.events.js';

/** The case event a message comes from: its type, data and id as the log holds them. */
export interface SourceEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly occurredAt: string;
}

export interface WebhookMessage {
  /** `webhook-id`: the same for every subscription and every attempt, so a receiver de-duplicates on it. */
  readonly messageId: string;
  readonly kind: WebhookEventKind;
  readonly caseId: string;
  /** Who the news concerns: a subscription receives it when its scope covers one of these. */
  readonly networkId: string;
  readonly institutionIds: readonly string[];
  /** The exact body sent, the same on every attempt. */
  readonly body: string;
}

/** Institution names by id, for the bodies (a name missing from the directory reads as null). */
export type InstitutionNames = ReadonlyMap<string, string>;

/** The kind of news a case event is, or null for what webhooks do not tell (consents, notes, needs, opening). */
export function messageKind(type: CaseEventType): WebhookEventKind | null {
  switch (type) {
    case 'ReferralRequested': return 'referral.requested';
    case 'ReferralAccepted': return 'referral.accepted';
    case 'ReferralDeclined': return 'referral.declined';
    case 'ReferralCancelled': return 'referral.cancelled';
    case 'ReferralStarted': return 'referral.started';
    case 'ReferralPutOnHold': return 'referral.on_hold';
    case 'ReferralResumed': return 'referral.resumed';
    case 'ReferralCompleted': return 'referral.completed';
    case 'ReferralFailed': return 'referral.failed';
    case 'ReferralExpired': return 'referral.expired';
    case 'ReferralOutcomeAcknowledged': return 'referral.acknowledged';
    case 'CaseEscalated': return 'case.escalated';
    case 'CaseClosed': return 'case.closed';
    case 'CaseReopened': return 'case.reopened';
    case 'CaseOpened':
    case 'ConsentRecorded':
    case 'ConsentWithdrawn':
    case 'NeedsAssessed':
    case 'CaseNoteAdded':
      return null;
    default:
      return assertNever(type);
  }
}

/** The institutions whose news a case event is: the two ends of a referral; the owner, the participants and the escalation's target for the case. */
export function institutionsOf(kind: WebhookEventKind, state: ExistingCase, event: { readonly data: unknown }): string[] {
  if (kind.startsWith('referral.')) {
    const referral = referralOf(state, event.data);
    return referral ? [referral.fromInstitutionId, referral.toInstitutionId] : [];
  }
  const escalatedTo = kind === 'case.escalated' ? [(event.data as { toInstitutionId: string }).toInstitutionId] : [];
  return [...new Set([state.ownerInstitutionId, ...state.participants, ...escalatedTo])];
}

/** Whether a subscription of `scope` receives news concerning these. */
export function scopeCovers(scope: WebhookScope, networkId: string, institutionIds: readonly string[]): boolean {
  switch (scope.level) {
    case 'city':
      return true;
    case 'network':
      return scope.networkId === networkId;
    case 'institution':
      return institutionIds.includes(scope.institutionId);
    default:
      return assertNever(scope);
  }
}

const referralOf = (state: ExistingCase, data: unknown): Referral | undefined =>
  state.referrals.find((referral) => referral.id === (data as { referralId?: string }).referralId);

const institution = (id: string, names: InstitutionNames) => ({ id, name: names.get(id) ?? null });

export const caseUrl = (publicUrl: string, caseId: string): string => `${publicUrl}/cases/${encodeURIComponent(caseId)}`;

function referralData(state: ExistingCase, referral: Referral, names: InstitutionNames, publicUrl: string) {
  return {
    caseId: state.id,
    networkId: state.networkId,
    referralId: referral.id,
    from: institution(referral.fromInstitutionId, names),
    to: institution(referral.toInstitutionId, names),
    urgency: referral.urgency,
    requestedAt: referral.requestedAt,
    dueAt: referral.dueAt,
    caseUrl: caseUrl(publicUrl, state.id),
  };
}

/** The message of one case event, or null when webhooks do not tell it. Field names never hold personal data: only ids, codes and times are picked. */
export function caseEventMessage(event: SourceEvent, state: ExistingCase, names: InstitutionNames, publicUrl: string): WebhookMessage | null {
  const kind = messageKind(event.type as CaseEventType);
  if (kind === null) return null;
  const typed = { type: event.type, data: event.data } as CaseEvent;
  let data: Record<string, unknown>;
  if (kind.startsWith('referral.')) {
    const referral = referralOf(state, event.data);
    if (!referral) return null;
    data = {
      ...referralData(state, referral, names, publicUrl),
      ...(typed.type === 'ReferralDeclined' ? { reasonCode: typed.data.reasonCode } : {}),
      ...(typed.type === 'ReferralCompleted' ? { outcome: typed.data.outcome } : {}),
    };
  } else {
    data = {
      caseId: state.id,
      networkId: state.networkId,
      owner: institution(state.ownerInstitutionId, names),
      urgency: state.urgency,
      ...(typed.type === 'CaseEscalated' ? { escalatedTo: institution(typed.data.toInstitutionId, names) } : {}),
      ...(typed.type === 'CaseClosed' ? { outcome: typed.data.outcome } : {}),
      caseUrl: caseUrl(publicUrl, state.id),
    };
  }
  return {
    messageId: `msg_${event.id}`,
    kind,
    caseId: state.id,
    networkId: state.networkId,
    institutionIds: institutionsOf(kind, state, event),
    body: JSON.stringify({ type: kind, timestamp: event.occurredAt, data }),
  };
}

/** "Due in N hours": the SLA warning of a referral still unanswered, once per referral and threshold. */
export function dueSoonMessage(state: ExistingCase, referral: Referral, thresholdHours: number, at: string, names: InstitutionNames, publicUrl: string): WebhookMessage {
  return {
    messageId: `msg_${derivedId('referral-due-soon', referral.id, String(thresholdHours))}`,
    kind: 'referral.due_soon',
    caseId: state.id,
    networkId: state.networkId,
    institutionIds: [referral.fromInstitutionId, referral.toInstitutionId],
    body: JSON.stringify({ type: 'referral.due_soon', timestamp: at, data: { ...referralData(state, referral, names, publicUrl), dueInHours: thresholdHours } }),
  };
}

/** The institutions a message body names, for looking their names up before building it. */
export function namedInstitutions(kind: WebhookEventKind, state: ExistingCase, event: { readonly data: unknown }): string[] {
  if (kind.startsWith('referral.')) return institutionsOf(kind, state, event);
  return [state.ownerInstitutionId, ...(kind === 'case.escalated' ? [(event.data as { toInstitutionId: string }).toInstitutionId] : [])];
}
