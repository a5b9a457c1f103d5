/**
 * The analysts' dashboard (and dinsos's): where referrals go between kinds of institution, how long they
 * take to be accepted and completed, why they are declined, how many breach their SLA and how many loops are
 * closed — by month, filtered by period, region, network and category. Small cells come from the API as
 * null and are shown as "< 5", never as zero. The CSV is the same table the API exports.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ProblemError, read, type Problem } from '../api/client';
import { useCategories, useCategoryName, useNetworks, useRegions } from '../api/directory';
import type { AnalyticsSummary, Distribution, Durations, ReferralFlows } from '../api/types';
import { ChartFigure, Suppressed, type Cell } from '../components/chart';
import { Field, LoadFailed, Loading, ProblemBanner, Section } from '../components/ui';
import { formatMonth, formatNumber } from '../format';
import { known, useI18n } from '../i18n';

interface Filters {
  /** `YYYY-MM`, inclusive. */
  readonly from: string;
  /** `YYYY-MM`, inclusive. */
  readonly to: string;
  readonly regionCode: string;
  readonly networkId: string;
  readonly category: string;
}

const NO_FILTERS: Filters = { from: '', to: '', regionCode: '', networkId: '', category: '' };

/** The API's query: months as the first day of the month (UTC), `to` exclusive. */
function apiQuery(filters: Filters): Record<string, string> {
  const query: Record<string, string> = {};
  if (filters.from) query['from'] = `${filters.from}-01`;
  if (filters.to) {
    const [year, month] = filters.to.split('-').map(Number) as [number, number];
    query['to'] = new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10);
  }
  for (const name of ['regionCode', 'networkId', 'category'] as const) if (filters[name]) query[name] = filters[name];
  return query;
}

const count = (value: number | null): Cell => (value === null ? 'suppressed' : value);
/** A percentile: withheld with its count, absent when nothing was measured. */
const percentile = (distribution: Distribution, value: number | null): Cell => (distribution.count === null ? 'suppressed' : value);
/** A rate is null when too few referrals ended to show it; with none at all there is nothing to show. */
const rate = (value: number | null, referrals: number | null): Cell => (value !== null ? value : referrals === 0 ? null : 'suppressed');

export default function AnalyticsPage() {
  const { t } = useI18n();
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const query = apiQuery(filters);
  const invalidRange = filters.from && filters.to && filters.to < filters.from ? t('analytics.badRange') : null;
  const enabled = invalidRange === null;
  const summary = useQuery({ queryKey: ['analytics', 'summary', query], enabled, queryFn: () => read(api.GET('/api/v1/analytics/summary', { params: { query } })) });
  const flows = useQuery({ queryKey: ['analytics', 'flows', query], enabled, queryFn: () => read(api.GET('/api/v1/analytics/referral-flows', { params: { query } })) });
  const durations = useQuery({ queryKey: ['analytics', 'durations', query], enabled, queryFn: () => read(api.GET('/api/v1/analytics/durations', { params: { query } })) });
  const problem = summary.error instanceof ProblemError ? summary.error.problem : null;
  const csv = `/api/v1/analytics/export.csv${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;

  return (
    <>
      <div className="page-head">
        <h1>{t('analytics.title')}</h1>
        <a className="button" href={csv} download="rujukan-analytics.csv">{t('analytics.csv')}</a>
      </div>
      <p className="muted">{t('analytics.intro')}</p>
      <FilterForm filters={filters} onChange={setFilters} problem={problem} invalidRange={invalidRange} />
      {!enabled ? null : summary.isPending || flows.isPending || durations.isPending ? <Loading /> : summary.isError && problem?.errors?.length ? (
        <ProblemBanner problem={problem} />
      ) : summary.isError || flows.isError || durations.isError ? (
        <LoadFailed error={summary.error ?? flows.error ?? durations.error} retry={() => {
          void summary.refetch();
          void flows.refetch();
          void durations.refetch();
        }} />
      ) : (
        <Dashboard summary={summary.data} flows={flows.data} durations={durations.data} />
      )}
    </>
  );
}

function FilterForm({ filters, onChange, problem, invalidRange }: { filters: Filters; onChange: (filters: Filters) => void; problem: Problem | null; invalidRange: string | null }) {
  const { t } = useI18n();
  const regions = (useRegions().data ?? []).filter((region) => region.level === 'kecamatan' || region.level === 'kelurahan');
  const networks = useNetworks().data ?? [];
  const categories = useCategories().data ?? [];
  const set = (name: keyof Filters) => (value: string) => onChange({ ...filters, [name]: value });
  return (
    <form className="card form filters-form" role="search" aria-label={t('analytics.filters')} onSubmit={(event) => event.preventDefault()}>
      <div className="grid-filters">
        <Field label={t('analytics.from')} name="query.from" problem={problem}>
          {(props) => <input {...props} type="month" value={filters.from} onChange={(event) => set('from')(event.target.value)} />}
        </Field>
        <Field label={t('analytics.to')} name="query.to" problem={problem} localError={invalidRange}>
          {(props) => <input {...props} type="month" value={filters.to} onChange={(event) => set('to')(event.target.value)} />}
        </Field>
        <Field label={t('analytics.region')} name="query.regionCode" problem={problem}>
          {(props) => (
            <select {...props} value={filters.regionCode} onChange={(event) => set('regionCode')(event.target.value)}>
              <option value="">{t('analytics.everywhere')}</option>
              {regions.map((region) => <option key={region.code} value={region.code}>{region.name} ({t(`regionLevel.${region.level as 'kecamatan' | 'kelurahan'}`)})</option>)}
            </select>
          )}
        </Field>
        <Field label={t('case.network')} name="query.networkId" problem={problem}>
          {(props) => (
            <select {...props} value={filters.networkId} onChange={(event) => set('networkId')(event.target.value)}>
              <option value="">{t('cases.all')}</option>
              {networks.map((network) => <option key={network.id} value={network.id}>{network.name}</option>)}
            </select>
          )}
        </Field>
        <Field label={t('open.categories')} name="query.category" problem={problem}>
          {(props) => (
            <select {...props} value={filters.category} onChange={(event) => set('category')(event.target.value)}>
              <option value="">{t('cases.all')}</option>
              {categories.map((category) => <option key={category.code} value={category.code}>{category.name}</option>)}
            </select>
          )}
        </Field>
      </div>
      <div className="actions">
        <button type="button" onClick={() => onChange(NO_FILTERS)} disabled={Object.values(filters).every((value) => !value)}>{t('analytics.clear')}</button>
      </div>
    </form>
  );
}

function Dashboard({ summary, flows, durations }: { summary: AnalyticsSummary; flows: ReferralFlows; durations: Durations }) {
  const { t, language } = useI18n();
  const category = useCategoryName();
  const regions = useRegions().data ?? [];
  const networks = useNetworks().data ?? [];
  const kind = (value: string) => known(t, 'kind', value);
  const month = (value: string) => formatMonth(value, language);
  const n = summary.suppressedBelow;
  const hours = (value: number) => t('analytics.hours', { value: formatNumber(value, language, { maximumFractionDigits: 1 }) });
  const stat = (label: string, value: Cell, percent = false, warn = false) => (
    <div className={`stat${warn ? ' warn' : ''}`}>
      <span className="stat-value">
        {value === 'suppressed' ? <Suppressed n={n} rate={percent} /> : value === null ? '–' : percent ? formatNumber(value, language, { style: 'percent', maximumFractionDigits: 0 }) : formatNumber(value, language)}
      </span>
      <span>{label}</span>
    </div>
  );
  const statuses = Object.entries(summary.referrals.byStatus);

  return (
    <>
      <p className="banner" role="note">{t('analytics.suppressedNote', { n })}</p>
      <div className="stats" role="group" aria-label={t('analytics.keyFigures')}>
        {stat(t('analytics.casesOpened'), count(summary.cases.opened))}
        {stat(t('analytics.referrals'), count(summary.referrals.total))}
        {stat(t('analytics.slaBreaches'), count(summary.referrals.slaBreaches), false, true)}
        {stat(t('analytics.loopClosure'), rate(summary.referrals.loopClosureRate, summary.referrals.total), true)}
      </div>

      <Section title={t('analytics.byMonth')}>
        <ChartFigure title={t('analytics.byMonthChart')} rowHeader={t('analytics.month')} suppressedBelow={n}
          labels={summary.referralsByMonth.map((row) => month(row.month))}
          series={[
            { label: t('analytics.referrals'), values: summary.referralsByMonth.map((row) => count(row.referrals)) },
            { label: t('analytics.slaBreaches'), values: summary.referralsByMonth.map((row) => count(row.slaBreaches)) },
            { label: t('analytics.loopClosure'), values: summary.referralsByMonth.map((row) => rate(row.loopClosureRate, row.referrals)), line: true, percent: true },
          ]} />
      </Section>

      <Section title={t('analytics.flows')}>
        <ChartFigure title={t('analytics.flowsChart')} rowHeader={t('analytics.flow')} suppressedBelow={n} horizontal
          labels={flows.items.map((flow) => `${kind(flow.fromKind)} → ${kind(flow.toKind)}`)}
          series={[
            { label: t('analytics.referrals'), values: flows.items.map((flow) => count(flow.referrals)) },
            { label: t('status.accepted'), values: flows.items.map((flow) => count(flow.accepted)) },
            { label: t('status.declined'), values: flows.items.map((flow) => count(flow.declined)) },
            { label: t('status.completed'), values: flows.items.map((flow) => count(flow.completed)) },
          ]} />
      </Section>

      <Section title={t('analytics.durations')}>
        <p>
          {t('analytics.overall')}: {t('analytics.toAccept')} {overall(durations.timeToAccept, hours, n)} · {t('analytics.toComplete')} {overall(durations.timeToComplete, hours, n)}
        </p>
        <div className="columns">
          {(['timeToAccept', 'timeToComplete'] as const).map((measure) => (
            <ChartFigure key={measure} horizontal format={hours} suppressedBelow={n} rowHeader={t('analytics.kindMonth')}
              title={t(measure === 'timeToAccept' ? 'analytics.acceptChart' : 'analytics.completeChart')}
              labels={durations.byKindAndMonth.map((row) => `${kind(row.toKind)} · ${month(row.month)}`)}
              series={[
                { label: 'p50', values: durations.byKindAndMonth.map((row) => percentile(row[measure], row[measure].p50Hours)) },
                { label: 'p90', values: durations.byKindAndMonth.map((row) => percentile(row[measure], row[measure].p90Hours)) },
              ]} />
          ))}
        </div>
      </Section>

      <div className="columns">
        <Section title={t('analytics.declines')}>
          <ChartFigure title={t('analytics.declinesChart')} rowHeader={t('action.reasonCode')} suppressedBelow={n} horizontal
            labels={summary.declineReasons.map((row) => known(t, 'decline', row.reasonCode))}
            series={[{ label: t('analytics.referrals'), values: summary.declineReasons.map((row) => count(row.referrals)) }]} />
        </Section>
        <Section title={t('analytics.statuses')}>
          <ChartFigure title={t('analytics.statusesChart')} rowHeader={t('box.status')} suppressedBelow={n} horizontal
            labels={statuses.map(([status]) => known(t, 'status', status))}
            series={[{ label: t('analytics.referrals'), values: statuses.map(([, value]) => count(value)) }]} />
        </Section>
      </div>

      <Section title={t('analytics.cases')}>
        <div className="stats">
          {stat(t('analytics.casesOpened'), count(summary.cases.opened))}
          {stat(t('caseStatus.open'), count(summary.cases.open))}
          {stat(t('caseStatus.closed'), count(summary.cases.closed))}
        </div>
        <div className="columns">
          <ChartFigure title={t('analytics.casesByMonth')} rowHeader={t('analytics.month')} suppressedBelow={n}
            labels={summary.byMonth.map((row) => month(row.month))}
            series={[{ label: t('analytics.cases'), values: summary.byMonth.map((row) => count(row.cases)) }]} />
          <ChartFigure title={t('analytics.casesByCategory')} rowHeader={t('open.categories')} suppressedBelow={n} horizontal
            labels={summary.byCategory.map((row) => category(row.category))}
            series={[{ label: t('analytics.cases'), values: summary.byCategory.map((row) => count(row.cases)) }]} />
          <ChartFigure title={t('analytics.casesByRegion')} rowHeader={t('analytics.region')} suppressedBelow={n} horizontal
            labels={summary.byRegion.map((row) => regions.find((region) => region.code === row.regionCode)?.name ?? row.regionCode)}
            series={[{ label: t('analytics.cases'), values: summary.byRegion.map((row) => count(row.cases)) }]} />
          <ChartFigure title={t('analytics.casesByNetwork')} rowHeader={t('case.network')} suppressedBelow={n} horizontal
            labels={summary.byNetwork.map((row) => networks.find((network) => network.id === row.networkId)?.name ?? row.networkId)}
            series={[{ label: t('analytics.cases'), values: summary.byNetwork.map((row) => count(row.cases)) }]} />
        </div>
      </Section>
    </>
  );
}

function overall(distribution: Distribution, hours: (value: number) => string, n: number) {
  if (distribution.count === null) return <Suppressed n={n} />;
  if (distribution.p50Hours === null || distribution.p90Hours === null) return '–';
  return `p50 ${hours(distribution.p50Hours)}, p90 ${hours(distribution.p90Hours)}`;
}
