/**
 * Live referral changes for open consoles (the inbox updates by itself). One poller per process reads the
 * referral rows the case-summaries projection wrote since the last look (by `lastPosition`, indexed), so the
 * cost does not grow with the number of open consoles, and hands each row to the consoles of its sender and
 * target. It reads the view, not the log: a row arrives once the view holds it, so the console's refetch
 * finds it, on any replica, whichever runs the projection. Rows carry ids, statuses and times only.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { logged } from '../../core/error-log.js';
import { READ_STORE, type ReadStore } from '../../read-store/read-store.port.js';
import { REFERRALS, type ReferralDocument } from '../case-summaries/case-summaries.projection.js';
import type { InboxItem } from '../case-summaries/case-summaries.query.js';
import type { Positioned } from '../view-projection.js';

export interface ReferralChange extends Omit<InboxItem, 'overdue' | 'loopClosed' | 'categories'> {
  /** The log position the views have reached with this change: a read with X-Min-Position of it sees it. */
  readonly position: string;
}

type Listener = (change: ReferralChange) => void;

/** How often the poller looks while someone listens. */
const POLL_MS = 500;
const BATCH = 500;

@Injectable()
export class ReferralFeed implements OnModuleDestroy {
  private readonly logger = new Logger('ReferralFeed');
  private readonly listeners = new Map<string, Set<Listener>>();
  /** How to end each open stream: at shutdown they end, so the server can close (a console reconnects elsewhere). */
  private readonly closers = new Set<() => void>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(@Inject(READ_STORE) private readonly views: ReadStore) {}

  /** Calls `listener` with every change of a referral to or from `institutionId` from now on; returns the unsubscribe. */
  async subscribe(institutionId: string, listener: Listener): Promise<() => void> {
    if (this.cursor === null) {
      const [latest] = await this.views.collection<Positioned<ReferralDocument>>(REFERRALS).find({}, { sort: { lastPosition: -1 }, limit: 1 });
      this.cursor ??= latest?.lastPosition ?? 0;
    }
    const set = this.listeners.get(institutionId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(institutionId, set);
    this.timer ??= setInterval(() => void this.tick(), POLL_MS);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(institutionId);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Registers how to end a stream when the application stops; returns the unregister. */
  endOnShutdown(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const close of [...this.closers]) close();
    this.closers.clear();
    this.listeners.clear();
  }

  private async tick(): Promise<void> {
    if (this.polling) return;
    this.polling = this.poll().catch((error) => this.logger.warn(...logged(error))).finally(() => {
      this.polling = null;
    });
  }

  private async poll(): Promise<void> {
    for (;;) {
      const found = await this.views.collection<Positioned<ReferralDocument>>(REFERRALS).find({ lastPosition: { $gt: this.cursor ?? 0 } }, { sort: { lastPosition: 1 }, limit: BATCH });
      // The rows of one case share its position: a full page may end part-way through one, so leave that one for the next look.
      const full = found.length === BATCH;
      const last = found[found.length - 1]?.lastPosition;
      const whole = full ? found.filter((row) => row.lastPosition !== last) : found;
      const rows = whole.length > 0 ? whole : found;
      for (const row of rows) {
        const change: ReferralChange = {
          caseId: row.caseId, referralId: row._id, fromInstitutionId: row.fromInstitutionId, toInstitutionId: row.toInstitutionId,
          status: row.status, urgency: row.urgency, requestedAt: row.requestedAt, dueAt: row.dueAt, position: String(row.lastPosition),
        };
        const targets = new Set([...(this.listeners.get(row.toInstitutionId) ?? []), ...(this.listeners.get(row.fromInstitutionId) ?? [])]);
        for (const listener of targets) listener(change);
        this.cursor = Math.max(this.cursor ?? 0, row.lastPosition);
      }
      if (!full) return;
    }
  }
}
