/**
 * Data subjects' rights (UU 27/2022), for dinsos: find a subject by id (the case page links here), read what
 * is held about them and who read it (the access report), and erase their personal data. The erasure asks
 * for a plain confirmation first: it cannot be undone.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'wouter';
import { api, read } from '../api/client';
import { useCommand } from '../api/commands';
import { useInstitutionName, useNetworks } from '../api/directory';
import type { AccessReport } from '../api/types';
import { AccessEntries } from '../components/access-entries';
import { Dialog, Field, LoadFailed, Loading, ProblemBanner, Section } from '../components/ui';
import { formatDateTime, shortId } from '../format';
import { known, useI18n } from '../i18n';

export default function SubjectsPage() {
  const { t } = useI18n();
  const [, navigate] = useLocation();
  const [subjectId, setSubjectId] = useState('');
  const [error, setError] = useState<string | null>(null);
  function submit(event: FormEvent) {
    event.preventDefault();
    const id = subjectId.trim();
    if (!/^[\w-]{1,64}$/.test(id)) {
      setError(t('subjects.idInvalid'));
      return;
    }
    navigate(`/subjects/${encodeURIComponent(id)}`);
  }
  return (
    <>
      <h1>{t('subjects.title')}</h1>
      <p className="muted">{t('subjects.intro')}</p>
      <form className="card form" onSubmit={submit} noValidate>
        <Field label={t('subjects.id')} name="subjectId" hint={t('subjects.idHint')} localError={error} required>
          {(props) => <input {...props} value={subjectId} autoComplete="off" spellCheck={false} onChange={(event) => {
            setSubjectId(event.target.value);
            setError(null);
          }} />}
        </Field>
        <div className="actions"><button type="submit" className="primary">{t('subjects.show')}</button></div>
      </form>
    </>
  );
}

export function SubjectPage() {
  const { id } = useParams<{ id: string }>();
  const { t } = useI18n();
  const report = useQuery({
    queryKey: ['subject', id],
    queryFn: () => read(api.GET('/api/v1/subjects/{subjectId}/access-report', { params: { path: { subjectId: id } } })),
  });
  return (
    <>
      <p><Link href="/subjects">← {t('subjects.title')}</Link></p>
      <h1>{t('subjects.reportTitle')}</h1>
      <p className="muted">{t('subjects.subject')}: <code>{id}</code></p>
      {report.isPending ? <Loading /> : report.isError ? <LoadFailed error={report.error} retry={() => void report.refetch()} /> : <Report report={report.data} />}
    </>
  );
}

function Report({ report }: { report: AccessReport }) {
  const { t, language } = useI18n();
  const institution = useInstitutionName();
  const networks = useNetworks().data ?? [];
  const network = (id: string) => networks.find((candidate) => candidate.id === id)?.name ?? id;
  return (
    <>
      {report.erasure ? (
        <p className="banner" role="status">
          <strong>{t('subjects.erasedOn', { at: formatDateTime(report.erasure.at, language) })}</strong>
          {' '}{t('subjects.erasedBy', { who: `${report.erasure.by.userId} (${known(t, 'role', report.erasure.by.role)})` })}
          {' · '}{t('action.reason')}: {report.erasure.reason}
        </p>
      ) : (
        <div className="actions wrap"><Erasure subjectId={report.subjectId} /></div>
      )}
      <Section title={t('subjects.cases')}>
        {report.cases.length === 0 ? <p className="muted">{t('subjects.noCases')}</p> : (
          <ul className="rows compact">
            {report.cases.map((held) => (
              <li key={held.id} className="row">
                <Link href={`/cases/${held.id}`} className="row-title">{t('case.title')} {shortId(held.id)}</Link>
                <div className="row-meta">
                  <span className={`badge case-${held.status}`}>{t(`caseStatus.${held.status}`)}</span>
                  {held.erased ? <span className="badge">{t('case.erasedShort')}</span> : null}
                </div>
                <dl className="row-facts">
                  <div><dt>{t('case.network')}</dt><dd>{network(held.networkId)}</dd></div>
                  <div><dt>{t('case.owner')}</dt><dd>{institution(held.ownerInstitutionId)}</dd></div>
                  <div><dt>{t('cases.opened')}</dt><dd>{formatDateTime(held.openedAt, language)}{held.closedAt ? ` – ${formatDateTime(held.closedAt, language)}` : ''}</dd></div>
                </dl>
                <details>
                  <summary>{t('subjects.fieldsHeld', { count: held.personalFields.length })}</summary>
                  {held.personalFields.length === 0 ? <p className="muted">{t('app.none')}</p> : (
                    <ul className="codes">{held.personalFields.map((field) => <li key={field}><code>{field}</code></li>)}</ul>
                  )}
                </details>
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('subjects.reads')}>
        <p className="muted">{t('subjects.readsIntro')}</p>
        <AccessEntries entries={report.reads} label={t('subjects.reads')} />
      </Section>
    </>
  );
}

/** The erasure, behind a dialog that says plainly what it does and needs an explicit "I understand". */
function Erasure({ subjectId }: { subjectId: string }) {
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const command = useCommand(`erase:${subjectId}`);
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [understood, setUnderstood] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!understood) return;
    const erased = await command.run((headers) => api.POST('/api/v1/subjects/{subjectId}/erasure', { params: { path: { subjectId } }, body: { reason: reason.trim() }, headers }));
    if (erased) {
      setOpen(false);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['subject', subjectId] }),
        queryClient.invalidateQueries({ queryKey: ['case'] }),
        queryClient.invalidateQueries({ queryKey: ['cases'] }),
        queryClient.invalidateQueries({ queryKey: ['notes'] }),
      ]);
    }
  }

  return (
    <>
      <button type="button" className="danger" onClick={() => {
        command.reset();
        setUnderstood(false);
        setOpen(true);
      }}>{t('erasure.button')}</button>
      <Dialog open={open} title={t('erasure.title')} onClose={() => setOpen(false)}>
        <form className="form" onSubmit={(event) => void submit(event)} noValidate>
          <div className="banner warning" id="erasure-effects">
            <p><strong>{t('erasure.warning')}</strong></p>
            <ul>
              <li>{t('erasure.key')}</li>
              <li>{t('erasure.unreadable')}</li>
              <li>{t('erasure.history')}</li>
              <li>{t('erasure.final')}</li>
            </ul>
          </div>
          <ProblemBanner problem={command.problem?.errors?.length ? null : command.problem} lostConnection={command.lostConnection} />
          <Field label={t('erasure.reason')} name="reason" problem={command.problem} hint={t('erasure.reasonHint')} required>
            {(props) => <input {...props} value={reason} maxLength={300} autoComplete="off" onChange={(event) => setReason(event.target.value)} />}
          </Field>
          <label className="check">
            <input type="checkbox" checked={understood} aria-describedby="erasure-effects" onChange={(event) => setUnderstood(event.target.checked)} /> {t('erasure.understood')}
          </label>
          <div className="actions">
            <button type="button" onClick={() => setOpen(false)}>{t('app.cancel')}</button>
            <button type="submit" className="danger" disabled={!understood || command.pending}>{command.pending ? t('action.sending') : t('erasure.confirm')}</button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
