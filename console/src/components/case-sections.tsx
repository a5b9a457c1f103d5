/** The parts of a case page below its referrals: consents, notes, history, and the case-level actions. */
import { useState } from 'react';
import { api, type Problem } from '../api/client';
import { useCaseNotes, useCaseTimeline } from '../api/case-queries';
import { useCommand } from '../api/commands';
import { useInstitutionName, useInstitutions } from '../api/directory';
import type { CaseView } from '../api/types';
import { formatDateTime } from '../format';
import { known, useI18n } from '../i18n';
import { ActionDialog } from './action-dialog';
import { OutcomeField, ReasonField, type Outcome } from './fields';
import { Choices, Field, LoadFailed, Loading, ProblemBanner, Section } from './ui';

interface Changed {
  readonly view: CaseView;
  readonly onChanged: () => Promise<void>;
  readonly onStale: () => void;
}

type Consent = { id: string; recipients: 'network' | string[]; givenBy?: string; recordedAt?: string; expiresAt?: string | null; withdrawnAt?: string | null };

export function Consents({ view, onChanged, onStale, mayChange }: Changed & { mayChange: boolean }) {
  const { t, language } = useI18n();
  const name = useInstitutionName();
  const consents = view.consents as Consent[];
  return (
    <Section title={t('case.consents')}>
      {consents.length === 0 ? <p className="muted">{t('case.noConsent')}</p> : (
        <ul className="plain">
          {consents.map((consent) => (
            <li key={consent.id} className={consent.withdrawnAt ? 'withdrawn' : ''}>
              {t('case.consentTo')}: {consent.recipients === 'network' ? t('case.consentNetwork') : consent.recipients.map(name).join(', ')}
              {' · '}{t('case.consentBy')}: {consent.givenBy ? t(`givenBy.${consent.givenBy as 'subject' | 'guardian'}`) : '–'}
              {' · '}{formatDateTime(consent.recordedAt, language)}
              {consent.withdrawnAt ? <strong> · {t('case.consentWithdrawn')} {formatDateTime(consent.withdrawnAt, language)}</strong> : null}
              {mayChange && !consent.withdrawnAt && view.status === 'open' ? (
                <> {' '}
                  <ActionDialog action={`withdraw:${consent.id}`} label={t('case.withdraw')} revision={view.revision} onDone={onChanged} onStale={onStale} variant="danger"
                    fields={() => <p>{t('case.withdrawConfirm')}</p>}
                    send={(headers) => api.POST('/api/v1/cases/{id}/consents/{consentId}/withdraw', { params: { path: { id: view.id, consentId: consent.id } }, body: {}, headers })} />
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

export function Notes({ view, onChanged, mayAdd, mayRead }: Changed & { mayAdd: boolean; mayRead: boolean }) {
  const { t, language } = useI18n();
  const name = useInstitutionName();
  const notes = useCaseNotes(view.id, mayRead);
  const [text, setText] = useState('');
  const [visibility, setVisibility] = useState<'participants' | 'institution'>('participants');
  const add = useCommand(`note:${view.id}`);
  return (
    <Section title={t('case.notes')}>
      {!mayRead ? <p className="muted">{t('case.subjectHidden')}</p> : notes.isPending ? <Loading /> : notes.isError ? <LoadFailed error={notes.error} retry={() => void notes.refetch()} /> : notes.data.items.length === 0 ? (
        <p className="muted">{t('case.noNotes')}</p>
      ) : (
        <ul className="notes">
          {notes.data.items.map((note) => (
            <li key={note.id}>
              <p className="note-meta">
                {note.authorInstitutionId ? name(note.authorInstitutionId) : note.author.role} · {formatDateTime(note.addedAt, language)} · <span className="badge">{t(`visibility.${note.visibility}`)}</span>
              </p>
              <p className="note-text">{note.erased ? <em>{t('case.erasedShort')}</em> : note.text}</p>
            </li>
          ))}
        </ul>
      )}
      {mayAdd && view.status === 'open' ? (
        <form className="form compact" noValidate onSubmit={(event) => {
          event.preventDefault();
          void add.run((headers) => api.POST('/api/v1/cases/{id}/notes', { params: { path: { id: view.id } }, body: { text: text.trim(), visibility }, headers })).then(async (done) => {
            if (done) {
              setText('');
              await onChanged();
            }
          });
        }}>
          <ProblemBanner problem={add.problem?.errors?.length ? null : add.problem} lostConnection={add.lostConnection} />
          <Field label={t('case.noteText')} name="text" problem={add.problem} required>
            {(props) => <textarea {...props} rows={3} value={text} maxLength={8000} onChange={(event) => setText(event.target.value)} />}
          </Field>
          <Choices legend={t('case.visibility')} name="visibility" problem={add.problem}>
            <div className="radios">
              {(['participants', 'institution'] as const).map((value) => (
                <label key={value} className="check">
                  <input type="radio" name={`visibility-${view.id}`} checked={visibility === value} onChange={() => setVisibility(value)} /> {t(`visibility.${value}`)}
                </label>
              ))}
            </div>
          </Choices>
          <div className="actions"><button type="submit" disabled={add.pending}>{add.pending ? t('action.sending') : t('case.addNote')}</button></div>
        </form>
      ) : null}
    </Section>
  );
}

export function History({ view }: { view: CaseView }) {
  const { t, language } = useI18n();
  const name = useInstitutionName();
  const timeline = useCaseTimeline(view.id);
  return (
    <Section title={t('case.timeline')}>
      {timeline.isPending ? <Loading /> : timeline.isError ? <LoadFailed error={timeline.error} retry={() => void timeline.refetch()} /> : (
        <ol className="timeline">
          {timeline.data.items.map((entry) => (
            <li key={entry.revision}>
              <span className="when">{formatDateTime(entry.occurredAt, language)}</span>
              <span className="what">{known(t, 'timeline', entry.type)}</span>
              <span className="who muted">{entry.actor.institutionId ? name(entry.actor.institutionId) : t(`role.${entry.actor.role as 'admin'}`)}</span>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

/** Escalate, close, reopen: for the owning institution and those acting for the network. */
export function CaseManagement({ view, onChanged, onStale }: Changed) {
  const { t } = useI18n();
  const directory = useInstitutions().data ?? [];
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<Outcome>('resolved');
  const [escalateTo, setEscalateTo] = useState('');
  const cityWide = directory.filter((institution) => institution.scope === 'city' && institution.status === 'active' && !view.escalatedTo.includes(institution.id));
  const common = { revision: view.revision, onDone: onChanged, onStale };
  const reasonField = (problem: Problem | null, label: string, name: string) => (
    <ReasonField label={label} name={name} value={reason} onChange={setReason} problem={problem} maxLength={name === 'summary' ? 4000 : 2000} />
  );
  if (view.status === 'closed') {
    return (
      <div className="actions wrap">
        <ActionDialog {...common} action={`reopen:${view.id}`} label={t('case.reopen')}
          send={(headers) => api.POST('/api/v1/cases/{id}/reopen', { params: { path: { id: view.id } }, body: { reason: reason.trim() }, headers })}
          fields={(problem) => reasonField(problem, t('action.reason'), 'reason')} />
      </div>
    );
  }
  return (
    <div className="actions wrap">
      <ActionDialog {...common} action={`escalate:${view.id}`} label={t('case.escalate')}
        send={(headers) => api.POST('/api/v1/cases/{id}/escalate', { params: { path: { id: view.id } }, body: { toInstitutionId: escalateTo || cityWide[0]?.id || '', reason: reason.trim() }, headers })}
        fields={(problem) => (
          <>
            <Field label={t('refer.target')} name="toInstitutionId" problem={problem} required>
              {(props) => (
                <select {...props} value={escalateTo || cityWide[0]?.id || ''} onChange={(event) => setEscalateTo(event.target.value)}>
                  {cityWide.map((institution) => <option key={institution.id} value={institution.id}>{institution.name}</option>)}
                </select>
              )}
            </Field>
            {reasonField(problem, t('action.reason'), 'reason')}
          </>
        )} />
      <ActionDialog {...common} action={`close:${view.id}`} label={t('case.closeCase')} variant="danger"
        send={(headers) => api.POST('/api/v1/cases/{id}/close', { params: { path: { id: view.id } }, body: { outcome, summary: reason.trim() }, headers })}
        fields={(problem) => (
          <>
            <OutcomeField value={outcome} onChange={setOutcome} problem={problem} />
            {reasonField(problem, t('action.summary'), 'summary')}
          </>
        )} />
    </div>
  );
}
