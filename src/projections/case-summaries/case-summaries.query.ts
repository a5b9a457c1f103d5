/** Reads of the case views: one case, a subject's cases, the scoped case list, and institutions' inboxes and outboxes. */
import { Inject, Injectable } from '@nestjs/common';
import { readScope } from '../../cases/case.policy.js';
import type { Actor } from '../../core/actor.js';
import { ForbiddenError } from '../../core/domain-error.js';
import { findPage, type Page } from '../../read-store/pagination.js';
import { READ_STORE, type Filter, type ReadStore } from '../../read-store/read-store.port.js';
import { CASE_TIMELINE, type TimelineEntry } from '../case-timeline/case-timeline.projection.js';
import { CASES, REFERRALS, type CaseDocument, type ReferralDocument } from './case-summaries.projection.js';

export interface CaseListFilters {
  readonly status?: 'open' | 'closed';
  readonly networkId?: string;
  readonly category?: string;
  readonly institutionId?: string;
  readonly regionCode?: string;
  readonly escalated?: boolean;
}

export interface ReferralListFilters {
  readonly status?: string;
  readonly overdue?: boolean;
}

export interface InboxItem {
  readonly caseId: string;
  readonly referralId: string;
  readonly fromInstitutionId: string;
  readonly toInstitutionId: string;
  readonly status: string;
  readonly urgency: string;
  readonly requestedAt: string;
  readonly dueAt: string;
  readonly loopClosed: boolean;
  readonly categories: readonly string[];
  readonly overdue: boolean;
}

/**
 * The cases an actor may list: the read policy's own conditions (case.policy.ts, `readScope`) as a filter over
 * the case summaries, whose `touchedBy`, `networkId` and `escalated` are those facts of each case.
 */
export function caseScope(actor: Actor): Filter {
  const conditions = readScope(actor);
  const [only, ...more] = conditions;
  if (only === undefined) throw new ForbiddenError(`The ${actor.role} role does not list cases`);
  return more.length === 0 ? only : { $or: conditions };
}

/**
 * All of the filters, as one flat filter when no field repeats (what an index narrows on at a glance);
 * fields that do repeat are kept apart under `$and`.
 */
function allOf(...filters: Filter[]): Filter {
  const merged: Record<string, unknown> = {};
  const apart: Filter[] = [];
  for (const filter of filters) {
    if (Object.keys(filter).some((key) => key in merged)) apart.push(filter);
    else Object.assign(merged, filter);
  }
  return apart.length === 0 ? merged : { ...merged, $and: apart };
}

@Injectable()
export class CaseSummariesQuery {
  constructor(@Inject(READ_STORE) private readonly views: ReadStore) {}

  findCase(caseId: string): Promise<CaseDocument | null> {
    return this.views.collection<CaseDocument>(CASES).findOne({ _id: caseId });
  }

  /** Every case of a data subject, oldest first (a person has a handful, never thousands). */
  subjectCases(subjectId: string): Promise<CaseDocument[]> {
    return this.views.collection<CaseDocument>(CASES).find({ 'state.subject.id': subjectId }, { sort: { openedAt: 1, _id: 1 }, limit: 1_000 });
  }

  timeline(caseId: string, page: { cursor: string | null; limit: number }): Promise<Page<TimelineEntry>> {
    return findPage(this.views.collection<TimelineEntry>(CASE_TIMELINE), { caseId }, { sort: { revision: 1 }, ...page });
  }

  listCases(actor: Actor, filters: CaseListFilters, page: { cursor: string | null; limit: number }): Promise<Page<CaseDocument>> {
    return this.casePage(caseScope(actor), filters, page);
  }

  /** Every case, newest first: the index auditors find a case in (the route answers ids and dates only). */
  caseIndex(filters: CaseListFilters, page: { cursor: string | null; limit: number }): Promise<Page<CaseDocument>> {
    return this.casePage({}, filters, page);
  }

  private casePage(scope: Filter, filters: CaseListFilters, page: { cursor: string | null; limit: number }): Promise<Page<CaseDocument>> {
    const filter = allOf(scope, {
      ...(filters.status ? { status: filters.status } : {}),
      ...(filters.networkId ? { networkId: filters.networkId } : {}),
      ...(filters.category ? { categories: filters.category } : {}),
      ...(filters.regionCode ? { regionCode: filters.regionCode } : {}),
      ...(filters.escalated !== undefined ? { escalated: filters.escalated } : {}),
    }, filters.institutionId ? { touchedBy: filters.institutionId } : {});
    return findPage(this.views.collection<CaseDocument>(CASES), filter, { sort: { openedAt: -1 }, ...page });
  }

  /** Referrals to (inbox) or from (outbox) an institution: active ones first, the most overdue first. */
  async referrals(box: 'inbox' | 'outbox', institutionId: string, filters: ReferralListFilters, page: { cursor: string | null; limit: number }, now: Date): Promise<Page<InboxItem>> {
    const nowIso = now.toISOString();
    const filter = allOf(
      box === 'inbox' ? { toInstitutionId: institutionId } : { fromInstitutionId: institutionId },
      filters.status ? { status: filters.status } : {},
      filters.overdue === true ? { active: true, dueAt: { $lt: nowIso } } : {},
      filters.overdue === false ? { $or: [{ active: false }, { dueAt: { $gte: nowIso } }] } : {},
    );
    const result = await findPage(this.views.collection<ReferralDocument>(REFERRALS), filter, { sort: { active: -1, dueAt: 1 }, ...page });
    return {
      items: result.items.map((referral) => ({
        caseId: referral.caseId,
        referralId: referral._id,
        fromInstitutionId: referral.fromInstitutionId,
        toInstitutionId: referral.toInstitutionId,
        status: referral.status,
        urgency: referral.urgency,
        requestedAt: referral.requestedAt,
        dueAt: referral.dueAt,
        // Rows written before these fields existed get them at their case's next event, or with a rebuild.
        loopClosed: referral.loopClosed ?? false,
        categories: referral.categories ?? [],
        overdue: referral.active && referral.dueAt < nowIso,
      })),
      nextCursor: result.nextCursor,
    };
  }
}
