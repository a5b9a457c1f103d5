/**
 * An institution's inbox (referrals sent to it) or outbox (referrals it sent): active ones first, the most
 * overdue on top, time left to the due time on each; updated live while open.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api, read } from '../api/client';
import { useCategoryName, useInstitutionName } from '../api/directory';
import { useReferralEvents } from '../api/live';
import type { ReferralRow } from '../api/types';
import { DueLabel, LoadFailed, Loading, StatusBadge, UrgencyBadge } from '../components/ui';
import { formatDateTime, shortId } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';

const ACTIVE = new Set(['requested', 'accepted', 'in_progress', 'on_hold']);

/** Re-renders every minute, so "time left" stays true on a screen left open. */
export function useNow(intervalMs = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function ReferralBoxPage({ box }: { box: 'inbox' | 'outbox' }) {
  const { t, language } = useI18n();
  const { session } = useSession();
  const institutionId = session.institutionId!;
  const name = useInstitutionName();
  const now = useNow();
  const live = useReferralEvents(institutionId);
  const [needsAction, setNeedsAction] = useState(false);
  const category = useCategoryName();
  const query = useInfiniteQuery({
    queryKey: ['box', box, institutionId],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => read(api.GET(box === 'inbox' ? '/api/v1/institutions/{id}/inbox' : '/api/v1/institutions/{id}/outbox', {
      params: { path: { id: institutionId }, query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
    })),
    getNextPageParam: (page) => page.nextCursor,
  });
  // What still needs someone: an active referral, or (in the outbox) an ended one whose outcome the sender has not acknowledged.
  const awaitsAcknowledgement = (row: ReferralRow) => box === 'outbox' && !ACTIVE.has(row.status) && !row.loopClosed;
  const rows = (query.data?.pages.flatMap((page) => page.items) ?? []).filter((row) => !needsAction || ACTIVE.has(row.status) || awaitsAcknowledgement(row));
  const other = (row: ReferralRow) => (box === 'inbox' ? row.fromInstitutionId : row.toInstitutionId);

  return (
    <>
      <div className="page-head">
        <h1>{t(box === 'inbox' ? 'inbox.title' : 'outbox.title')}</h1>
        <span className={`live ${live.connected ? 'on' : 'off'}`}>{live.connected ? t('app.updatedLive') : t('app.offline')}</span>
      </div>
      <p className="muted">{t(box === 'inbox' ? 'inbox.intro' : 'outbox.intro')}</p>
      <p className="sr-only" role="status" aria-live="polite">{live.changes > 0 ? t('box.newArrived') : ''}</p>
      <label className="check">
        <input type="checkbox" checked={needsAction} onChange={(event) => setNeedsAction(event.target.checked)} /> {t('box.filterNeedsAction')}
      </label>
      {query.isPending ? <Loading /> : query.isError ? <LoadFailed error={query.error} retry={() => void query.refetch()} /> : rows.length === 0 ? (
        <p className="empty">{t('box.empty')}</p>
      ) : (
        <ul className="rows" aria-label={t(box === 'inbox' ? 'inbox.title' : 'outbox.title')}>
          {rows.map((row) => {
            const active = ACTIVE.has(row.status);
            const overdue = active && Date.parse(row.dueAt) < now;
            return (
              <li key={row.referralId} className={`row${overdue || awaitsAcknowledgement(row) ? ' overdue' : ''}${active || awaitsAcknowledgement(row) ? '' : ' ended'}`}>
                <div className="row-main">
                  <Link href={`/cases/${row.caseId}`} className="row-title">
                    {t(box === 'inbox' ? 'box.from' : 'box.to')}: {name(other(row))}
                  </Link>
                  <p className="row-about">{row.categories.map(category).join(', ')} · {t('case.title')} {shortId(row.caseId)}</p>
                  <div className="row-meta">
                    <StatusBadge status={row.status} loopClosed={row.loopClosed} />
                    {awaitsAcknowledgement(row) ? <span className="badge attention">{t('box.awaitingAcknowledgement')}</span> : null}
                    <UrgencyBadge urgency={row.urgency} />
                    <DueLabel dueAt={row.dueAt} active={active} now={now} />
                  </div>
                </div>
                <dl className="row-facts">
                  <div><dt>{t('box.requested')}</dt><dd>{formatDateTime(row.requestedAt, language)}</dd></div>
                  <div><dt>{t('box.due')}</dt><dd>{formatDateTime(row.dueAt, language)}</dd></div>
                </dl>
              </li>
            );
          })}
        </ul>
      )}
      {query.hasNextPage ? <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>{t('app.more')}</button> : null}
    </>
  );
}

export const InboxPage = () => <ReferralBoxPage box="inbox" />;
export const OutboxPage = () => <ReferralBoxPage box="outbox" />;
