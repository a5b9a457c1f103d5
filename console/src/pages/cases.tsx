/** The cases the person's institution holds or takes part in (a coordinator: the network's; dinsos: escalated ones). */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { api, read } from '../api/client';
import { useCategoryName, useInstitutionName } from '../api/directory';
import type { CaseView } from '../api/types';
import { LoadFailed, Loading, StatusBadge, UrgencyBadge } from '../components/ui';
import { formatDateTime } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';

export function subjectName(view: CaseView, erasedLabel: string): string {
  return 'erased' in view.subject ? erasedLabel : String(view.subject.name);
}

export default function CasesPage() {
  return <CaseList escalatedOnly={false} />;
}

/** Dinsos's first screen: the cases escalated to the city. */
export function EscalationsPage() {
  return <CaseList escalatedOnly />;
}

function CaseList({ escalatedOnly }: { escalatedOnly: boolean }) {
  const { t, language } = useI18n();
  const { session } = useSession();
  const institution = useInstitutionName();
  const category = useCategoryName();
  const [status, setStatus] = useState<'open' | 'closed' | ''>('open');
  const query = useInfiniteQuery({
    queryKey: ['cases', status, escalatedOnly],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET('/api/v1/cases', {
      params: { query: { limit: 20, ...(status ? { status } : {}), ...(escalatedOnly ? { escalated: 'true' as const } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (page) => page.nextCursor,
  });
  const cases = query.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <div className="page-head">
        <h1>{t(escalatedOnly ? 'escalations.title' : 'cases.title')}</h1>
        {session.role !== 'dinsos' ? <Link href="/cases/new" className="button">{t('nav.openCase')}</Link> : null}
      </div>
      <p className="muted">{t(escalatedOnly ? 'escalations.intro' : session.role === 'coordinator' ? 'cases.introNetwork' : 'cases.intro')}</p>
      <label className="inline">
        {t('cases.filterStatus')}{' '}
        <select value={status} onChange={(event) => setStatus(event.target.value as typeof status)}>
          <option value="open">{t('caseStatus.open')}</option>
          <option value="closed">{t('caseStatus.closed')}</option>
          <option value="">{t('cases.all')}</option>
        </select>
      </label>
      {query.isPending ? <Loading /> : query.isError ? <LoadFailed error={query.error} retry={() => void query.refetch()} /> : cases.length === 0 ? (
        <p className="empty">{t(escalatedOnly ? 'escalations.empty' : status ? 'cases.emptyStatus' : 'cases.empty', { status: status ? t(`caseStatus.${status}`).toLowerCase() : '' })}</p>
      ) : (
        <ul className="rows" aria-label={t(escalatedOnly ? 'escalations.title' : 'cases.title')}>
          {cases.map((view) => (
            <li key={view.id} className="row">
              <div className="row-main">
                <Link href={`/cases/${view.id}`} className="row-title">{subjectName(view, t('case.erasedShort'))}</Link>
                <div className="row-meta">
                  <span className={`badge case-${view.status}`}>{t(`caseStatus.${view.status}`)}</span>
                  <UrgencyBadge urgency={view.urgency} />
                  {view.referrals.slice(-1).map((referral) => <StatusBadge key={referral.id} status={referral.status} loopClosed={referral.loopClosed} />)}
                </div>
              </div>
              <dl className="row-facts">
                <div><dt>{t('cases.owner')}</dt><dd>{institution(view.ownerInstitutionId)}</dd></div>
                <div><dt>{t('cases.categories')}</dt><dd>{view.categories.map(category).join(', ')}</dd></div>
                <div><dt>{t('cases.opened')}</dt><dd>{formatDateTime(view.openedAt, language)}</dd></div>
                {view.escalatedTo.length ? <div><dt>{t('case.escalatedTo')}</dt><dd>{view.escalatedTo.map(institution).join(', ')}</dd></div> : null}
              </dl>
            </li>
          ))}
        </ul>
      )}
      {query.hasNextPage ? <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>{t('app.more')}</button> : null}
    </>
  );
}
