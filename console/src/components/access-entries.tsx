/** Recorded reads of case histories: when, who, which route with which query (a subject's access report, a case's access log). */
import { useInstitutionName } from '../api/directory';
import type { AccessLog } from '../api/types';
import { useUserName } from '../api/users';
import { formatDateTime } from '../format';
import { known, useI18n } from '../i18n';

type Entry = AccessLog['items'][number] & { readonly caseId?: string };

export function AccessEntries({ entries, label }: { entries: readonly Entry[]; label: string }) {
  const { t, language } = useI18n();
  const institution = useInstitutionName();
  const user = useUserName();
  if (entries.length === 0) return <p className="muted">{t('audit.noReads')}</p>;
  return (
    <ol className="rows compact access" aria-label={label}>
      {entries.map((entry, index) => (
        <li key={`${entry.at}-${index}`} className="row">
          <p className="access-what">
            <strong>{known(t, 'auditRoute', entry.route)}</strong>
            {Object.keys(entry.query).length ? <span className="muted"> · {Object.entries(entry.query).map(([name, value]) => `${name}=${value}`).join(' ')}</span> : null}
          </p>
          <dl className="row-facts">
            <div><dt>{t('audit.when')}</dt><dd>{formatDateTime(entry.at, language)}</dd></div>
            <div>
              <dt>{t('audit.who')}</dt>
              <dd>{user(entry.actor.userId)} · {known(t, 'role', entry.actor.role)}{entry.actor.institutionId ? ` · ${institution(entry.actor.institutionId)}` : ''}</dd>
            </div>
            {entry.caseId ? <div><dt>{t('case.title')}</dt><dd><code>{entry.caseId}</code></dd></div> : null}
          </dl>
        </li>
      ))}
    </ol>
  );
}
