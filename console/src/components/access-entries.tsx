/** Recorded reads of case histories: when, who, which route with which query (a subject's access report, a case's access log). */
import type { AccessLog } from '../api/types';
import { useInstitutionName } from '../api/directory';
import { formatDateTime } from '../format';
import { known, useI18n } from '../i18n';

type Entry = AccessLog['items'][number] & { readonly caseId?: string };

export function AccessEntries({ entries, caption, showCase = false }: { entries: readonly Entry[]; caption: string; showCase?: boolean }) {
  const { t, language } = useI18n();
  const institution = useInstitutionName();
  if (entries.length === 0) return <p className="muted">{t('audit.noReads')}</p>;
  return (
    <div className="table-scroll">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('audit.when')}</th>
            <th scope="col">{t('audit.who')}</th>
            {showCase ? <th scope="col">{t('case.title')}</th> : null}
            <th scope="col">{t('audit.what')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, index) => (
            <tr key={`${entry.at}-${index}`}>
              <td>{formatDateTime(entry.at, language)}</td>
              <td>{entry.actor.userId} · {known(t, 'role', entry.actor.role)}{entry.actor.institutionId ? ` · ${institution(entry.actor.institutionId)}` : ''}</td>
              {showCase ? <td><code>{entry.caseId?.slice(0, 8)}</code></td> : null}
              <td>
                {known(t, 'auditRoute', entry.route)}
                {Object.keys(entry.query).length ? <span className="muted"> {Object.entries(entry.query).map(([name, value]) => `${name}=${value}`).join(' ')}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
