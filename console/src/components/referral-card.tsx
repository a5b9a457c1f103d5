/** One referral of a case: who sent it to whom, its state, time left, and the actions its state allows for this person. */
import { useState } from 'react';
import { api, type Problem } from '../api/client';
import { stepsFor, type Step } from '../api/case-actions';
import { useInstitutionName, useInstitutions } from '../api/directory';
import type { CaseReason, CaseView, Referral } from '../api/types';
import { formatDateTime } from '../format';
import { known, useI18n } from '../i18n';
import { useSession } from '../session';
import { ActionDialog } from './action-dialog';
import { OutcomeField, ReasonField, type Outcome } from './fields';
import { DueLabel, Field, StatusBadge, UrgencyBadge } from './ui';

const DECLINE_CODES = ['no_capacity', 'not_eligible', 'outside_area', 'missing_documents', 'duplicate', 'other'] as const;
const ACTIVE = ['requested', 'accepted', 'in_progress', 'on_hold'];

interface Props {
  readonly view: CaseView;
  readonly referral: Referral;
  /** The words written with this referral's steps (its reason, a decline's reason, the completion summary…). */
  readonly words: readonly CaseReason[];
  readonly now: number;
  readonly onChanged: () => Promise<void>;
  readonly onStale: () => void;
}

export function ReferralCard({ view, referral, words, now, onChanged, onStale }: Props) {
  const { t, language } = useI18n();
  const { session } = useSession();
  const name = useInstitutionName();
  const directory = useInstitutions().data ?? [];
  const steps = stepsFor(session, view, referral, directory);
  const active = ACTIVE.includes(referral.status);
  return (
    <li className={`referral${active && Date.parse(referral.dueAt) < now ? ' overdue' : ''}`}>
      <div className="referral-head">
        <p><strong>{name(referral.fromInstitutionId)}</strong> → <strong>{name(referral.toInstitutionId)}</strong></p>
        <div className="row-meta">
          <StatusBadge status={referral.status} loopClosed={referral.loopClosed} />
          <UrgencyBadge urgency={referral.urgency} />
          <DueLabel dueAt={referral.dueAt} active={active} now={now} />
        </div>
      </div>
      <dl className="row-facts">
        <div><dt>{t('box.requested')}</dt><dd>{formatDateTime(referral.requestedAt, language)}</dd></div>
        <div><dt>{t('box.due')}</dt><dd>{formatDateTime(referral.dueAt, language)}</dd></div>
        {referral.declineReasonCode ? <div><dt>{t('action.reasonCode')}</dt><dd>{known(t, 'decline', referral.declineReasonCode)}</dd></div> : null}
        {referral.outcome ? <div><dt>{t('action.outcome')}</dt><dd>{known(t, 'outcome', referral.outcome)}</dd></div> : null}
        {words.map((word) => (
          <div key={`${word.revision}-${word.field}`}>
            <dt>{known(t, 'words', `${word.type}.${word.field}`)}</dt>
            <dd className="prose">{word.erased ? <em>{t('case.erasedShort')}</em> : word.text}</dd>
          </div>
        ))}
      </dl>
      {steps.length > 0 ? (
        <div className="actions wrap">
          {steps.map((step) => <StepButton key={step} step={step} view={view} referral={referral} onChanged={onChanged} onStale={onStale} />)}
        </div>
      ) : null}
    </li>
  );
}

function StepButton({ step, view, referral, onChanged, onStale }: { step: Step } & Omit<Props, 'now' | 'words'>) {
  const { t } = useI18n();
  const [reason, setReason] = useState('');
  const [reasonCode, setReasonCode] = useState<(typeof DECLINE_CODES)[number]>('no_capacity');
  const [outcome, setOutcome] = useState<Outcome>('resolved');
  const path = { id: view.id, rid: referral.id };
  const common = { action: `${step}:${referral.id}`, label: t(`action.${step}`), revision: view.revision, onDone: onChanged, onStale };
  const reasonField = (problem: Problem | null, name = 'reason', label = t('action.reason')) => (
    <ReasonField label={label} name={name} value={reason} onChange={setReason} problem={problem} maxLength={name === 'summary' ? 4000 : 2000} />
  );
  switch (step) {
    case 'accept':
      return <ActionDialog {...common} variant="primary" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/accept', { params: { path }, body: {}, headers })} />;
    case 'start':
      return <ActionDialog {...common} variant="primary" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/start', { params: { path }, body: {}, headers })} />;
    case 'resume':
      return <ActionDialog {...common} variant="primary" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/resume', { params: { path }, body: {}, headers })} />;
    case 'acknowledge':
      return <ActionDialog {...common} variant="primary" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/acknowledge', { params: { path }, body: {}, headers })} />;
    case 'decline':
      return (
        <ActionDialog {...common} variant="danger" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/decline', { params: { path }, body: { reasonCode, reason: reason.trim() }, headers })}
          fields={(problem) => (
            <>
              <Field label={t('action.reasonCode')} name="reasonCode" problem={problem} required>
                {(props) => (
                  <select {...props} value={reasonCode} onChange={(event) => setReasonCode(event.target.value as typeof reasonCode)}>
                    {DECLINE_CODES.map((code) => <option key={code} value={code}>{known(t, 'decline', code)}</option>)}
                  </select>
                )}
              </Field>
              {reasonField(problem)}
            </>
          )} />
      );
    case 'hold':
      return <ActionDialog {...common} send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/hold', { params: { path }, body: { reason: reason.trim() }, headers })} fields={(problem) => reasonField(problem)} />;
    case 'fail':
      return <ActionDialog {...common} variant="danger" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/fail', { params: { path }, body: { reason: reason.trim() }, headers })} fields={(problem) => reasonField(problem)} />;
    case 'cancel':
      return <ActionDialog {...common} variant="danger" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/cancel', { params: { path }, body: { reason: reason.trim() }, headers })} fields={(problem) => reasonField(problem)} />;
    case 'complete':
      return (
        <ActionDialog {...common} variant="primary" send={(headers) => api.POST('/api/v1/cases/{id}/referrals/{rid}/complete', { params: { path }, body: { outcome, summary: reason.trim() }, headers })}
          fields={(problem) => (
            <>
              <OutcomeField value={outcome} onChange={setOutcome} problem={problem} />
              {reasonField(problem, 'summary', t('action.summary'))}
            </>
          )} />
      );
  }
}
