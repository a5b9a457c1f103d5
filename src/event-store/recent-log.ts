/**
 * The newest rows of the log a store's subscriptions have read, kept so that subscriptions following the head
 * together (a `projections run` process's six runners, woken by the same commit) read and decode each new row
 * once instead of once each, and do not ask the file again while nothing was committed. A row, once readable,
 * never changes and nothing is ever committed before it (one writer at a time, positions never reused), so the
 * rows between two positions, once read, stay exactly those.
 */

/** A row of the log as a subscription needs it: where it is, and what its filter is tested on. */
export interface LogRow {
  readonly position: bigint;
  readonly stream_id: string;
  readonly type: string;
}

export interface LogSource<R extends LogRow, E> {
  /** The rows with a position above `after`, in order, at most `limit`, from the file. */
  read(after: bigint, limit: number): R[];
  decode(row: R): E;
  /** Changes whenever a commit may have added rows (by this connection or another). */
  version(): string;
}

/** Rows kept: a few batches' worth of commands at the head; older ones are read again from the file. */
const KEPT_ROWS = 1_000;

export class RecentLog<R extends LogRow, E> {
  /** Every row with a position above `after`, up to the last of `rows` (all of them, none missing), in order. */
  private after: bigint | null = null;
  private rows: R[] = [];
  /** The source's version when the last of `rows` was the log's last row; null when unknown. */
  private headAt: string | null = null;
  /** Each kept row decoded, once the first subscription that keeps it has asked. */
  private readonly decoded = new WeakMap<R, E>();

  constructor(private readonly source: LogSource<R, E>, private readonly kept = KEPT_ROWS) {}

  /** The rows with a position above `after`, at most `limit`: those kept, then what the file holds past them. */
  rowsAfter(after: bigint, limit: number): R[] {
    // Taken before reading: a commit landing meanwhile changes it, and the next call reads again.
    const version = this.source.version();
    const end = this.rows.at(-1)?.position ?? this.after;
    if (this.after === null || end === null || after < this.after || after > end) {
      const rows = this.source.read(after, limit);
      // A subscription ahead of what is kept (or the first): the others will follow it there, if it reached the
      // head. Full pages (a catch-up, a rebuild's pass over the whole log) are not kept: rows that would
      // otherwise die young would outlive collections by the thousand.
      if (end === null || after >= end) {
        this.after = rows.length < limit ? after : null;
        this.rows = [];
        if (rows.length < limit) this.append(rows, version);
      }
      return rows;
    }
    const start = this.firstAfter(after);
    const found = this.rows.slice(start, start + limit);
    if (found.length === limit || version === this.headAt) return found;
    const newer = this.source.read(end, limit - found.length);
    this.append(newer, newer.length < limit - found.length ? version : null);
    return found.length === 0 ? newer : [...found, ...newer];
  }

  /** The row decoded: one object for every subscription that keeps it (events are read-only), if the row is kept. */
  event(row: R): E {
    const end = this.rows.at(-1)?.position;
    if (this.after === null || end === undefined || row.position <= this.after || row.position > end) return this.source.decode(row);
    let event = this.decoded.get(row);
    if (event === undefined) {
      event = this.source.decode(row);
      this.decoded.set(row, event);
    }
    return event;
  }

  /** The index of the first kept row past `after` (the length when none is). */
  private firstAfter(after: bigint): number {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.rows[middle]!.position > after) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  private append(rows: readonly R[], headAt: string | null): void {
    this.headAt = headAt;
    this.rows.push(...rows);
    const excess = this.rows.length - this.kept;
    if (excess > 0) {
      this.after = this.rows[excess - 1]!.position;
      this.rows = this.rows.slice(excess);
    }
  }
}
