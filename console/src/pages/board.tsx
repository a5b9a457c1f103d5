/**
 * The coordinator's board for their network: cases by status, referrals past their due time, referrals no
 * one has answered yet, and each member's load of active incoming referrals.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, read } from '../api/client';
import { useInstitutionName } from '../api/directory';
import type { ReferralRow } from '../api/types';
import { DueLabel, LoadFailed, Loading, Section, StatusBadge, UrgencyBadge } from '../components/ui';
import { formatNumber } from '../format';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { useNow } from './referral-box';

const ACTIVE = ['requested', 'accepted', 'in_progress', 'on_hold'];

/** Every case the coordinator may list, a page of 100 at a time (a network holds hundreds, not millions). */
async function networkCases() {
  const items = [];
  let cursor: string | undefined;
  do {
    const page = await read(api.GET('/api/v1/cases', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < 2_000);
  return items;
}

export default function BoardPage() {
  const { t, language } = useI18n();
  const { session } = useSession();
  const name = useInstitutionName();
  const now = useNow();
  const networkId = session.networkId!;
  const network = useQuery({ queryKey: ['network', networkId], queryFn: () => read(api.GET('/api/v1/networks/{id}', { params: { path: { id: networkId } } })) });
  const cases = useQuery({ queryKey: ['cases', 'board'], queryFn: networkCases });
  const members = network.data?.memberIds ?? [];
  const inboxes = useQueries({
    queries: members.map((id) => ({
      queryKey: ['box', 'inbox', id, 'board'],
      queryFn: () => read(api.GET('/api/v1/institutions/{id}/inbox', { params: { path: { id }, query: { limit: 100 } } })),
    })),
  });
  if (network.isPending || cases.isPending) return <Loading />;
  if (network.isError) return <LoadFailed error={network.error} retry={() => void network.refetch()} />;
  if (cases.isError) return <LoadFailed error={cases.error} retry={() => void cases.refetch()} />;

  const rows: ReferralRow[] = inboxes.flatMap((inbox) => inbox.data?.items ?? []);
  const active = rows.filter((row) => ACTIVE.includes(row.status));
  const overdue = active.filter((row) => Date.parse(row.dueAt) < now).sort((left, right) => left.dueAt.localeCompare(right.dueAt));
  const unanswered = rows.filter((row) => row.status === 'requested').sort((left, right) => left.dueAt.localeCompare(right.dueAt));
  const byStatus = [
    { label: t('caseStatus.open'), count: cases.data.filter((view) => view.status === 'open').length },
    { label: t('caseStatus.closed'), count: cases.data.filter((view) => view.status === 'closed').length },
  ];
  const referralList = (items: ReferralRow[]) => items.length === 0 ? <p className="muted">{t('board.none')}</p> : (
    <ul className="rows compact">
      {items.map((row) => (
        <li key={row.referralId} className="row">
          <Link href={`/cases/${row.caseId}`} className="row-title">{name(row.fromInstitutionId)} → {name(row.toInstitutionId)}</Link>
          <div className="row-meta"><StatusBadge status={row.status} /><UrgencyBadge urgency={row.urgency} /><DueLabel dueAt={row.dueAt} active now={now} /></div>
        </li>
      ))}
    </ul>
  );

  return (
    <>
      <h1>{t('board.title')}: {network.data.name}</h1>
      <div className="stats">
        {byStatus.map((stat) => <div key={stat.label} className="stat"><span className="stat-value">{formatNumber(stat.count, language)}</span><span>{stat.label}</span></div>)}
        <div className={overdue.length > 0 ? 'stat warn' : 'stat'}><span className="stat-value">{formatNumber(overdue.length, language)}</span><span>{t('board.overdue')}</span></div>
        <div className="stat"><span className="stat-value">{formatNumber(unanswered.length, language)}</span><span>{t('board.unanswered')}</span></div>
      </div>
      <div className="columns">
        <Section title={t('board.overdue')}>{referralList(overdue)}</Section>
        <Section title={t('board.unanswered')}>{referralList(unanswered)}</Section>
      </div>
      <Section title={t('board.members')}>
        <table className="table">
          <caption className="sr-only">{t('board.members')}</caption>
          <thead><tr><th scope="col">{t('refer.target')}</th><th scope="col" className="number">{t('board.activeReferrals')}</th><th scope="col" className="number">{t('board.overdue')}</th></tr></thead>
          <tbody>
            {members.map((id) => {
              const mine = active.filter((row) => row.toInstitutionId === id);
              return (
                <tr key={id}>
                  <th scope="row">{name(id)}</th>
                  <td className="number">{formatNumber(mine.length, language)}</td>
                  <td className="number">{formatNumber(mine.filter((row) => Date.parse(row.dueAt) < now).length, language)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>
    </>
  );
}
