import fc from 'fast-check';
import { RecentLog, type LogRow } from './recent-log.js';

/** A log in memory: positions with gaps (rolled-back appends), a version that changes with every commit. */
class FakeLog {
  readonly rows: LogRow[] = [];
  private next = 1n;
  private commits = 0;
  reads = 0;

  commit(count: number, gap: number): void {
    this.next += BigInt(gap);
    for (let n = 0; n < count; n++) this.rows.push({ position: this.next++, stream_id: `s-${this.rows.length % 3}`, type: 'Happened' });
    this.commits++;
  }

  read(after: bigint, limit: number): LogRow[] {
    this.reads++;
    // Copies, as each query's rows are new objects.
    return this.rows.filter((row) => row.position > after).slice(0, limit).map((row) => ({ ...row }));
  }

  version(): string {
    return String(this.commits);
  }
}

const step = fc.oneof(
  fc.record({ kind: fc.constant('commit' as const), count: fc.integer({ min: 0, max: 6 }), gap: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('read' as const), reader: fc.integer({ min: 0, max: 3 }), limit: fc.integer({ min: 1, max: 8 }), back: fc.integer({ min: 0, max: 30 }) }),
);

describe('RecentLog', () => {
  it('answers every read as the file would, whatever the readers, their positions and the commits between', () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 80 }), fc.integer({ min: 1, max: 12 }), (steps, kept) => {
      const log = new FakeLog();
      const recent = new RecentLog({ read: (after, limit) => log.read(after, limit), decode: (row) => ({ ...row }), version: () => log.version() }, kept);
      // Four readers, each reading on from where it stopped, sometimes from further back (a runner starting over from its checkpoint).
      const cursors = [0n, 0n, 0n, 0n];
      for (const action of steps) {
        if (action.kind === 'commit') {
          log.commit(action.count, action.gap);
          continue;
        }
        const from = cursors[action.reader]! - BigInt(action.back) > 0n ? cursors[action.reader]! - BigInt(action.back) : 0n;
        const rows = recent.rowsAfter(from, action.limit);
        expect(rows.map((row) => row.position)).toEqual(log.read(from, action.limit).map((row) => row.position));
        cursors[action.reader] = rows.at(-1)?.position ?? from;
      }
    }));
  });

  it('reads each new row from the file once for readers following the head together, and not at all while nothing was committed', () => {
    const log = new FakeLog();
    const recent = new RecentLog({ read: (after, limit) => log.read(after, limit), decode: (row) => ({ ...row }), version: () => log.version() });
    log.commit(5, 0);
    const pages = [0, 1, 2].map(() => recent.rowsAfter(0n, 100));
    expect(log.reads).toBe(1);
    expect(pages.map((rows) => rows.length)).toEqual([5, 5, 5]);
    // Read to the end: nothing more until the next commit.
    expect([0, 1, 2].map(() => recent.rowsAfter(5n, 100))).toEqual([[], [], []]);
    expect(log.reads).toBe(1);

    log.commit(2, 0);
    expect([0, 1, 2].map(() => recent.rowsAfter(5n, 100).map((row) => row.position))).toEqual([[6n, 7n], [6n, 7n], [6n, 7n]]);
    expect(log.reads).toBe(2);
    expect(recent.event(pages[0]![0]!)).toBe(recent.event(pages[1]![0]!));
  });
});
