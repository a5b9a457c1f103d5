/**
 * Referring the case: pick the institution from the directory (filtered by the kind and the categories it
 * serves; network members and city-wide providers only), say why, and make sure consent covers it: recorded
 * here in the same flow, or an emergency override with its reason.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { coveringConsent } from '../api/case-actions';
import { useCommand } from '../api/commands';
import { useCategoryName, useInstitutions } from '../api/directory';
import type { CaseView } from '../api/types';
import { known, useI18n } from '../i18n';
import { Choices, Dialog, Field, ProblemBanner } from './ui';

const URGENCIES = ['emergency', 'high', 'normal', 'low'] as const;

interface Props {
  readonly view: CaseView;
  readonly referringInstitutionId: string | null;
  readonly now: number;
  readonly onChanged: () => Promise<void>;
  readonly onStale: () => void;
}

export function ReferDialog({ view, referringInstitutionId, now, onChanged, onStale }: Props) {
  const { t } = useI18n();
  const category = useCategoryName();
  const directory = useInstitutions().data ?? [];
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState('');
  const [categoryFilter, setCategoryFilter] = useState('');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [urgency, setUrgency] = useState<(typeof URGENCIES)[number]>(view.urgency);
  const [recordConsent, setRecordConsent] = useState(true);
  const [givenBy, setGivenBy] = useState<'subject' | 'guardian'>('subject');
  const [emergency, setEmergency] = useState(false);
  const [emergencyReason, setEmergencyReason] = useState('');
  const consent = useCommand(`consent-for-referral:${view.id}:${target}`);
  const refer = useCommand(`refer:${view.id}`);

  const busy = new Set([referringInstitutionId, ...view.referrals.filter((referral) => ['requested', 'accepted', 'in_progress', 'on_hold'].includes(referral.status)).map((referral) => referral.toInstitutionId)]);
  const wanted = categoryFilter ? [categoryFilter] : view.categories;
  const candidates = directory.filter((institution) =>
    institution.status === 'active' &&
    !busy.has(institution.id) &&
    (institution.scope === 'city' || institution.networkIds.includes(view.networkId)) &&
    (!kind || institution.kind === kind) &&
    institution.categoriesServed.some((code) => wanted.includes(code)));
  const kinds = [...new Set(directory.filter((institution) => institution.scope === 'city' || institution.networkIds.includes(view.networkId)).map((institution) => institution.kind))].sort();
  const chosen = directory.find((institution) => institution.id === target);
  const covered = chosen ? coveringConsent(view, chosen.id, chosen.networkIds.includes(view.networkId), now) : false;
  const problem = refer.problem ?? consent.problem;

  async function submit(event: FormEvent) {
    event.preventDefault();
    let revision = view.revision;
    if (chosen && !covered && !emergency && recordConsent) {
      const recorded = await consent.run((headers) => api.POST('/api/v1/cases/{id}/consents', {
        params: { path: { id: view.id } }, body: { scope: 'referral', recipients: [chosen.id], givenBy }, headers,
      }), revision);
      if (!recorded) return;
      revision = recorded.revision;
    }
    const sent = await refer.run((headers) => api.POST('/api/v1/cases/{id}/referrals', {
      params: { path: { id: view.id } },
      body: {
        toInstitutionId: target, reason: reason.trim(), urgency,
        ...(emergency && !covered ? { emergencyOverride: { reason: emergencyReason.trim() } } : {}),
      },
      headers,
    }), revision);
    if (sent) {
      setOpen(false);
      setTarget('');
      setReason('');
      await onChanged();
    }
  }

  const stale = refer.problem?.status === 412 || consent.problem?.status === 412;
  useEffect(() => {
    if (!stale) return;
    setOpen(false);
    onStale();
  }, [stale, onStale]);

  return (
    <>
      <button type="button" className="primary" onClick={() => setOpen(true)}>{t('case.refer')}</button>
      <Dialog open={open} title={t('refer.title')} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <ProblemBanner problem={problem?.errors?.length ? null : problem} lostConnection={refer.lostConnection || consent.lostConnection} />
          <div className="grid-2">
            <Field label={t('refer.kind')} name="kind">
              {(props) => (
                <select {...props} value={kind} onChange={(event) => setKind(event.target.value)}>
                  <option value="">{t('refer.anyKind')}</option>
                  {kinds.map((value) => <option key={value} value={value}>{value.toUpperCase().replace('_', ' ')}</option>)}
                </select>
              )}
            </Field>
            <Field label={t('refer.category')} name="category">
              {(props) => (
                <select {...props} value={categoryFilter} onChange={(event) => setCategoryFilter(event.target.value)}>
                  <option value="">{t('refer.anyCategory')}</option>
                  {view.categories.map((code) => <option key={code} value={code}>{category(code)}</option>)}
                </select>
              )}
            </Field>
          </div>
          <Choices legend={`${t('refer.target')} *`} name="toInstitutionId" problem={problem}>
            {candidates.length === 0 ? <p className="muted">{t('refer.noTargets')}</p> : (
              <div className="checks scroll">
                {candidates.map((institution) => (
                  <label key={institution.id} className="check">
                    <input type="radio" name="target" value={institution.id} checked={target === institution.id} onChange={() => setTarget(institution.id)} />
                    {' '}{institution.name}
                    {institution.scope === 'city' ? <span className="muted"> · {t('refer.cityWide')}</span> : null}
                  </label>
                ))}
              </div>
            )}
          </Choices>
          <Field label={t('refer.reason')} name="reason" problem={problem} required>
            {(props) => <textarea {...props} rows={3} value={reason} maxLength={2000} onChange={(event) => setReason(event.target.value)} />}
          </Field>
          <Field label={t('open.urgency')} name="urgency" problem={problem}>
            {(props) => (
              <select {...props} value={urgency} onChange={(event) => setUrgency(event.target.value as typeof urgency)}>
                {URGENCIES.map((value) => <option key={value} value={value}>{known(t, 'urgency', value)}</option>)}
              </select>
            )}
          </Field>
          {chosen ? (
            <fieldset className="field">
              <legend>{t('refer.consent')}</legend>
              {covered ? <p className="ok">{t('refer.consentCovered')}</p> : (
                <>
                  <label className="check">
                    <input type="checkbox" checked={recordConsent && !emergency} disabled={emergency} onChange={(event) => setRecordConsent(event.target.checked)} /> {t('refer.recordConsent')}
                  </label>
                  {recordConsent && !emergency ? (
                    <div className="radios indent">
                      {(['subject', 'guardian'] as const).map((value) => (
                        <label key={value} className="check">
                          <input type="radio" name="givenBy" checked={givenBy === value} onChange={() => setGivenBy(value)} /> {t(`givenBy.${value}`)}
                        </label>
                      ))}
                    </div>
                  ) : null}
                  <label className="check">
                    <input type="checkbox" checked={emergency} onChange={(event) => setEmergency(event.target.checked)} /> {t('refer.emergency')}
                  </label>
                  {emergency ? (
                    <Field label={t('refer.emergencyReason')} name="emergencyOverride.reason" problem={problem} required>
                      {(props) => <textarea {...props} rows={2} value={emergencyReason} maxLength={2000} onChange={(event) => setEmergencyReason(event.target.value)} />}
                    </Field>
                  ) : null}
                </>
              )}
            </fieldset>
          ) : null}
          <div className="actions">
            <button type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</button>
            <button type="submit" className="primary" disabled={refer.pending || consent.pending}>{refer.pending || consent.pending ? t('action.sending') : t('refer.submit')}</button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
