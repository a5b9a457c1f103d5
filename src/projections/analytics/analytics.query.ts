/**
 * Aggregates for analysts, computed from the fact views at read time (a city's facts fit in memory; and
 * FerretDB's `$group` knows only `$sum`). Counts below ANALYTICS_MIN_CELL (but above zero) are
 * suppressed as null, so no small group of people can be singled out.
 */
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { READ_STORE, type Filter, type ReadStore } from '../../read-store/read-store.port.js';
import { ANALYTICS_CASES, ANALYTICS_REFERRALS, type CaseFact, type ReferralFact } from './analytics.projection.js';

export interface AnalyticsFilters {
  /** Inclusive ISO date or date-time. */
  readonly from?: string;
  /** Exclusive ISO date or date-time. */
  readonly to?: string;
  /** A region and everything inside it (a kecamatan code includes its kelurahan). */
  readonly regionCode?: string;
  readonly networkId?: string;
  readonly category?: string;
}

const TERMINAL = new Set(['declined', 'cancelled', 'expired', 'completed', 'failed']);
const HOUR_MS = 3_600_000;

function factFilter(filters: AnalyticsFilters, timeField: 'openedAt' | 'requestedAt'): Filter {
  const filter: Record<string, unknown> = {};
  const time: Record<string, string> = {};
  if (filters.from) time['$gte'] = filters.from;
  if (filters.to) time['$lt'] = filters.to;
  if (Object.keys(time).length > 0) filter[timeField] = time;
  if (filters.regionCode) filter['regionCode'] = { $regex: `^${filters.regionCode.replace(/\./g, '\\.')}(\\.|$)` };
  if (filters.networkId) filter['networkId'] = filters.networkId;
  if (filters.category) filter['categories'] = filters.category;
  return filter;
}

function countBy<T>(items: readonly T[], keys: (item: T) => readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) for (const key of keys(item)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Items grouped by a key, the groups in key order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    groups.set(name, [...(groups.get(name) ?? []), item]);
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

/** The calendar month (UTC) of an ISO time, as `YYYY-MM`. */
const monthOf = (iso: string) => iso.slice(0, 7);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / HOUR_MS;
const round = (value: number) => Math.round(value * 100) / 100;

@Injectable()
export class AnalyticsQuery {
  private readonly minCell: number;

  constructor(@Inject(READ_STORE) private readonly views: ReadStore, @Inject(APP_CONFIG) config: AppConfig) {
    this.minCell = config.analyticsMinCell;
  }

  /** A count as analysts may see it: null when it is small enough to single people out. */
  private cell(count: number): number | null {
    return count > 0 && count < this.minCell ? null : count;
  }

  private cells(counts: Map<string, number>, key: string, value: string) {
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, count]) => ({ [key]: name, [value]: this.cell(count) }));
  }

  private cases(filters: AnalyticsFilters) {
    return this.views.collection<CaseFact>(ANALYTICS_CASES).find(factFilter(filters, 'openedAt'));
  }

  private referrals(filters: AnalyticsFilters) {
    return this.views.collection<ReferralFact>(ANALYTICS_REFERRALS).find(factFilter(filters, 'requestedAt'));
  }

  async summary(filters: AnalyticsFilters) {
    const [cases, referrals] = await Promise.all([this.cases(filters), this.referrals(filters)]);
    const closed = cases.filter((fact) => fact.status === 'closed').length;
    const byStatus = countBy(referrals, (fact) => [fact.status]);
    const { referrals: total, loopClosureRate, slaBreaches } = this.referralHealth(referrals);
    return {
      suppressedBelow: this.minCell,
      cases: { opened: this.cell(cases.length), closed: this.cell(closed), open: this.cell(cases.length - closed) },
      referrals: {
        total,
        byStatus: Object.fromEntries([...byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => [status, this.cell(count)])),
        loopClosureRate,
        slaBreaches,
      },
      referralsByMonth: [...groupBy(referrals, (fact) => monthOf(fact.requestedAt))].map(([month, facts]) => ({ month, ...this.referralHealth(facts) })),
      byCategory: this.cells(countBy(cases, (fact) => fact.categories), 'category', 'cases'),
      byRegion: this.cells(countBy(cases, (fact) => [fact.regionCode]), 'regionCode', 'cases'),
      byNetwork: this.cells(countBy(cases, (fact) => [fact.networkId]), 'networkId', 'cases'),
      byMonth: this.cells(countBy(cases, (fact) => [monthOf(fact.openedAt)]), 'month', 'cases'),
      declineReasons: this.cells(countBy(referrals.filter((fact) => fact.declineReasonCode !== null), (fact) => [fact.declineReasonCode!]), 'reasonCode', 'referrals'),
    };
  }

  /** How many referrals, how many breached their SLA, and the share of ended ones whose loop was closed (null below the minimum). */
  private referralHealth(referrals: readonly ReferralFact[]) {
    const ended = referrals.filter((fact) => TERMINAL.has(fact.status));
    const acknowledged = ended.filter((fact) => fact.loopClosed).length;
    return {
      referrals: this.cell(referrals.length),
      slaBreaches: this.cell(referrals.filter((fact) => this.breachedSla(fact)).length),
      loopClosureRate: ended.length >= this.minCell ? round(acknowledged / ended.length) : null,
    };
  }

  /** Not answered (accepted or declined) by its due time: expired, or answered late. */
  private breachedSla(fact: ReferralFact): boolean {
    return fact.status === 'expired' || (fact.respondedAt !== null && fact.respondedAt > fact.dueAt);
  }

  async referralFlows(filters: AnalyticsFilters) {
    const referrals = await this.referrals(filters);
    return {
      suppressedBelow: this.minCell,
      items: [...groupBy(referrals, (fact) => `${fact.fromKind}→${fact.toKind}`)].map(([, facts]) => ({
        fromKind: facts[0]!.fromKind,
        toKind: facts[0]!.toKind,
        referrals: this.cell(facts.length),
        accepted: this.cell(facts.filter((fact) => fact.acceptedAt !== null).length),
        declined: this.cell(facts.filter((fact) => fact.status === 'declined').length),
        completed: this.cell(facts.filter((fact) => fact.status === 'completed').length),
      })),
    };
  }

  /** Time to accept and to complete, overall and by the target's kind and the month of the request. */
  async durations(filters: AnalyticsFilters) {
    const referrals = await this.referrals(filters);
    const distribution = (hours: number[]) => {
      const sorted = [...hours].sort((a, b) => a - b);
      if (sorted.length < this.minCell) return { count: this.cell(sorted.length), p50Hours: null, p90Hours: null };
      return { count: sorted.length, p50Hours: round(percentile(sorted, 50)), p90Hours: round(percentile(sorted, 90)) };
    };
    const both = (facts: readonly ReferralFact[]) => ({
      timeToAccept: distribution(facts.filter((fact) => fact.acceptedAt !== null).map((fact) => hoursBetween(fact.requestedAt, fact.acceptedAt!))),
      timeToComplete: distribution(facts.filter((fact) => fact.completedAt !== null).map((fact) => hoursBetween(fact.requestedAt, fact.completedAt!))),
    });
    return {
      suppressedBelow: this.minCell,
      ...both(referrals),
      byKindAndMonth: [...groupBy(referrals, (fact) => `${fact.toKind}\u0000${monthOf(fact.requestedAt)}`)].map(([key, facts]) => {
        const [toKind, month] = key.split('\u0000') as [string, string];
        return { toKind, month, ...both(facts) };
      }),
    };
  }

  /** One row per (month, region, network, category, case status) cell: the table behind the summary. */
  async exportRows(filters: AnalyticsFilters): Promise<string[][]> {
    const cases = await this.cases(filters);
    const counts = countBy(cases, (fact) => fact.categories.map((category) => [monthOf(fact.openedAt), fact.regionCode, fact.networkId, category, fact.status].join('\u0000')));
    const rows = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => [...key.split('\u0000'), String(this.cell(count) ?? '')]);
    return [['month', 'regionCode', 'networkId', 'category', 'status', 'cases'], ...rows];
  }
}
