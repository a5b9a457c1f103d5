/**
 * Copies the subject keys (`subject_keys`) from one read store into another (`npx rujukan migrate` with
 * MONGODB_URL): unlike the views they cannot be rebuilt from the log, and without them every subject's
 * personal data reads as erased.
 *
 * Safe to rerun, and to run against a key store in use: a key is only inserted where the target holds no
 * document for its subject, and erasure wins both ways (a source tombstone replaces a target key, a target
 * tombstone stays). A target key other than the source's is a conflict: counted and named, never overwritten.
 */
import { isDeepStrictEqual } from 'node:util';
import { erasure, keyInsertion, SUBJECT_KEYS, type SubjectKeyDocument } from '../privacy/subject-key.store.js';
import { findPage, type Page } from '../read-store/pagination.js';
import type { ReadCollection, ReadStore, WriteOperation } from '../read-store/read-store.port.js';
import type { MigrationProgress } from './migrate-event-log.js';

const PAGE_SIZE = 500;

export interface KeyMigrationReport {
  /** Keys the target had no document for, now copied. */
  readonly copied: number;
  /** Subjects the target already held as the source has them, or already erased there. */
  readonly alreadyThere: number;
  /** Erasures written to the target: tombstones where it held a key or nothing. */
  readonly tombstones: number;
  /** Subjects whose key in the target differs from the source's, left as they are. */
  readonly conflicts: number;
  readonly conflictingSubjects: readonly string[];
}

type Outcome = 'copied' | 'alreadyThere' | 'tombstones' | 'conflicts';

const isTombstone = (document: SubjectKeyDocument | undefined): boolean => document !== undefined && document.wrapped === undefined;

export async function migrateSubjectKeys(
  source: ReadStore,
  target: ReadStore,
  onProgress: (progress: MigrationProgress) => void = () => {},
): Promise<KeyMigrationReport> {
  const from = source.collection<SubjectKeyDocument>(SUBJECT_KEYS);
  const to = target.collection<SubjectKeyDocument>(SUBJECT_KEYS);
  const total = await from.countDocuments();
  const counts: Record<Outcome, number> = { copied: 0, alreadyThere: 0, tombstones: 0, conflicts: 0 };
  const conflictingSubjects: string[] = [];
  let done = 0;
  let cursor: string | null = null;
  onProgress({ done, total });
  do {
    const page: Page<SubjectKeyDocument> = await findPage(from, {}, { sort: { _id: 1 }, limit: PAGE_SIZE, cursor });
    const before = await byId(to, page.items.map((document) => document._id));
    const writes = page.items.filter((document) => (isTombstone(document) ? !isTombstone(before.get(document._id)) : !before.has(document._id)));
    if (writes.length > 0) await to.bulkWrite(writes.map(writeOf));
    // Read back what was written: another writer may have stored a key or a tombstone in between.
    const after = new Map([...before, ...(writes.length > 0 ? await byId(to, writes.map((document) => document._id)) : [])]);
    for (const document of page.items) {
      const outcome = outcomeOf(document, before.get(document._id), after.get(document._id));
      counts[outcome] += 1;
      if (outcome === 'conflicts') conflictingSubjects.push(document._id);
    }
    done += page.items.length;
    cursor = page.nextCursor;
    onProgress({ done, total });
  } while (cursor !== null);
  return { ...counts, conflictingSubjects };
}

/** The source document's write: guarded, so it never puts a key where the target holds one or a tombstone. */
function writeOf(document: SubjectKeyDocument): WriteOperation {
  return document.wrapped === undefined ? erasure(document._id, document.erasedAt) : keyInsertion(document._id, document.wrapped);
}

function outcomeOf(source: SubjectKeyDocument, before: SubjectKeyDocument | undefined, after: SubjectKeyDocument | undefined): Outcome {
  if (isTombstone(source)) return isTombstone(before) ? 'alreadyThere' : 'tombstones';
  if (isTombstone(after)) return 'alreadyThere';
  if (!isDeepStrictEqual(after?.wrapped, source.wrapped)) return 'conflicts';
  return before === undefined ? 'copied' : 'alreadyThere';
}

async function byId(keys: ReadCollection<SubjectKeyDocument>, ids: readonly string[]): Promise<Map<string, SubjectKeyDocument>> {
  return new Map((await keys.find({ _id: { $in: ids } })).map((document) => [document._id, document]));
}
