/**
 * The per-subject data keys, wrapped by the key-encryption key, in the read store's
 * `subject_keys` collection. It sits beside the views but is not one: nothing can rebuild it from the log,
 * so projection rebuilds and checks never touch it, and it is backed up with the log. Erasure replaces a
 * subject's document by a tombstone without key material, which a later get-or-create leaves alone.
 *
 * Unwrapped keys are cached in this process. To open data a key is used for 5 s at most after it was read
 * (FRESH_MS): an erasure on another replica is honoured everywhere within 5 s, on this one at once. To seal
 * data, a key read earlier (up to 10 minutes) is used while the read store cannot be reached, so commands
 * still append during an outage: sealing under a key erased meanwhile leaves data nobody can read, which is
 * what an erasure means anyway.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CLOCK, systemClock, type Clock } from '../core/clock.js';
import {
  READ_STORE, ReadStoreUnavailableError, type Document, type ReadCollection, type ReadStore, type WriteOperation,
} from '../read-store/read-store.port.js';
import { keyEncryptionKey, newDataKey, unwrapDataKey, wrapDataKey } from './personal-data.crypto.js';
import type { GcmParts } from './personal.js';

export const SUBJECT_KEYS = 'subject_keys';

/** A subject's wrapped key, or the tombstone its erasure left. */
export type SubjectKeyDocument = Document & (
  | { readonly wrapped: GcmParts; readonly erasedAt?: undefined }
  | { readonly wrapped?: undefined; readonly erasedAt: string }
);

/** Stores `wrapped` as the subject's key unless the subject has a document already (a key, or a tombstone). */
export function keyInsertion(subjectId: string, wrapped: GcmParts): WriteOperation {
  return { updateOne: { filter: { _id: subjectId }, update: { $setOnInsert: { wrapped } }, upsert: true } };
}

/** Replaces the subject's document, whatever it holds, by a tombstone; erasing again keeps the first time. */
export function erasure(subjectId: string, at: string): WriteOperation {
  return { updateOne: { filter: { _id: subjectId }, update: { $unset: { wrapped: '' }, $min: { erasedAt: at } }, upsert: true } };
}

export type SubjectKey =
  | { readonly status: 'active'; readonly key: Buffer }
  | { readonly status: 'erased' }
  /** No key was ever made for this subject. */
  | { readonly status: 'unknown' };

/** How long a cached key may open data: the bound on honouring another replica's erasure. */
export const FRESH_MS = 5_000;
/** How long a cached key may still seal data while the read store is unreachable. */
const KEPT_MS = 10 * 60_000;
const CACHE_SIZE = 1_000;

@Injectable()
export class SubjectKeyStore {
  private readonly kek: Buffer;
  private readonly cache = new Map<string, { readonly key: SubjectKey; readonly readAt: number }>();

  constructor(
    @Inject(READ_STORE) private readonly views: ReadStore,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'masterKey'>,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {
    this.kek = keyEncryptionKey(config.masterKey);
  }

  private cached(subjectId: string, maxAgeMs: number): SubjectKey | null {
    const cached = this.cache.get(subjectId);
    return cached && this.clock.now().getTime() - cached.readAt < maxAgeMs ? cached.key : null;
  }

  private get keys(): ReadCollection<SubjectKeyDocument> {
    return this.views.collection<SubjectKeyDocument>(SUBJECT_KEYS);
  }

  /** The subject's key as it stands (read within the last FRESH_MS): what opens data. */
  async find(subjectId: string): Promise<SubjectKey> {
    return this.cached(subjectId, FRESH_MS) ?? this.remember(subjectId, await this.keys.findOne({ _id: subjectId }));
  }

  /**
   * The subject's key to seal with, made on first use; concurrent first uses agree on the one stored first.
   * Never `unknown`. While the read store is unreachable, a key read in the last 10 minutes does.
   */
  async findOrCreate(subjectId: string): Promise<SubjectKey> {
    try {
      const found = await this.find(subjectId);
      if (found.status !== 'unknown') return found;
      const wrapped = wrapDataKey(this.kek, subjectId, newDataKey());
      await this.keys.bulkWrite([keyInsertion(subjectId, wrapped)]);
      return this.remember(subjectId, await this.keys.findOne({ _id: subjectId }));
    } catch (error) {
      const kept = error instanceof ReadStoreUnavailableError ? this.cached(subjectId, KEPT_MS) : null;
      if (kept === null) throw error;
      return kept;
    }
  }

  /** Deletes the key for good (here and in the cache); erasing again keeps the first time. */
  async erase(subjectId: string, at: string): Promise<void> {
    this.cache.delete(subjectId);
    await this.keys.bulkWrite([erasure(subjectId, at)]);
    // Again: a read that overlapped the write may have cached the key meanwhile.
    this.cache.delete(subjectId);
  }

  private remember(subjectId: string, document: SubjectKeyDocument | null): SubjectKey {
    const key: SubjectKey = document === null ? { status: 'unknown' }
      : document.wrapped === undefined ? { status: 'erased' }
      : { status: 'active', key: unwrapDataKey(this.kek, subjectId, document.wrapped) };
    if (key.status === 'unknown') return key;
    this.cache.delete(subjectId);
    this.cache.set(subjectId, { key, readAt: this.clock.now().getTime() });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return key;
  }
}
