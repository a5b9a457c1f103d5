/**
 * Which actions a case's referrals allow, for this person: the referral's state (the closed loop of the
 * domain) and the person's relation to it (its target, its sender, or someone acting for the network). The
 * server decides in the end; the console offers only what can succeed.
 */
import type { Institution, Referral, Session, CaseView } from './types';

export type TargetStep = 'accept' | 'decline' | 'start' | 'hold' | 'resume' | 'complete' | 'fail';
export type ReferrerStep = 'cancel' | 'acknowledge';
export type Step = TargetStep | ReferrerStep;

const TARGET_STEPS: Readonly<Record<string, readonly TargetStep[]>> = {
  requested: ['accept', 'decline'],
  accepted: ['start', 'complete', 'fail'],
  in_progress: ['hold', 'complete', 'fail'],
  on_hold: ['resume', 'complete', 'fail'],
};
const ACTIVE = ['requested', 'accepted', 'in_progress', 'on_hold'];

/** Coordinators act for their network's institutions; dinsos for everyone in an escalated case. */
function actsForNetwork(session: Session, view: CaseView): boolean {
  return (session.role === 'coordinator' && session.networkId === view.networkId) || (session.role === 'dinsos' && view.escalatedTo.length > 0);
}

function actsFor(session: Session, view: CaseView, institutionId: string, directory: readonly Institution[]): boolean {
  if (session.institutionId === institutionId) return true;
  if (session.role === 'dinsos') return view.escalatedTo.length > 0;
  return session.role === 'coordinator' && session.networkId === view.networkId &&
    (directory.find((institution) => institution.id === institutionId)?.networkIds.includes(view.networkId) ?? false);
}

export function stepsFor(session: Session, view: CaseView, referral: Referral, directory: readonly Institution[]): Step[] {
  if (view.status !== 'open') return [];
  const steps: Step[] = [];
  if (actsFor(session, view, referral.toInstitutionId, directory)) steps.push(...(TARGET_STEPS[referral.status] ?? []));
  if (actsFor(session, view, referral.fromInstitutionId, directory) || actsForNetwork(session, view)) {
    if (ACTIVE.includes(referral.status)) steps.push('cancel');
    else if (!referral.loopClosed) steps.push('acknowledge');
  }
  return [...new Set(steps)];
}

/** Consents, notes, needs, referrals: the owner and the institutions that accepted, and those acting for the network. */
export function isParticipant(session: Session, view: CaseView): boolean {
  return actsForNetwork(session, view) || (session.institutionId !== null && view.participants.includes(session.institutionId));
}

export function mayManageCase(session: Session, view: CaseView): boolean {
  return actsForNetwork(session, view) || session.institutionId === view.ownerInstitutionId;
}

/** A consent on record that covers a referral to `institutionId` now (as the decider judges it). */
export function coveringConsent(view: CaseView, institutionId: string, inNetwork: boolean, now: number): boolean {
  return view.consents.some((consent) => {
    const { withdrawnAt, expiresAt, recipients } = consent as { withdrawnAt?: string | null; expiresAt?: string | null; recipients: 'network' | string[] };
    if (withdrawnAt) return false;
    if (expiresAt && Date.parse(expiresAt) <= now) return false;
    return recipients === 'network' ? inNetwork : recipients.includes(institutionId);
  });
}
