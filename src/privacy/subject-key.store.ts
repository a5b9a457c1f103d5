/**
 * The per-subject data keys, wrapped by the key-encryption key, in the read store's
 * `subject_keys` collection. It sits beside the views but is not one: nothing can rebuild it from the log,
 * so projection rebuilds and checks never touch it, and it is backed up with the log. Erasure replaces a
 * subject's document by a tombstone without key material, which a later get-or-create leaves alone.
 * Unwrapped keys are kept in this process for a minute at most: another replica forgets an erased key
 * within that time, this one at once.
 */
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { READ_STORE, type Document, type ReadCollection, type ReadStore, type WriteOperation } from '../read-store/read-store.port.js';
import { keyEncryptionKey, newDataKey, unwrapDataKey, wrapDataKey, type GcmParts } from './personal-data.crypto.js';

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

const CACHE_TTL_MS = 60_000;
const CACHE_SIZE = 1_000;

@Injectable()
export class SubjectKeyStore {
  private readonly kek: Buffer;
  private readonly cache = new Map<string, { readonly key: SubjectKey; readonly until: number }>();

  constructor(@Inject(READ_STORE) private readonly views: ReadStore, @Inject(APP_CONFIG) config: Pick<AppConfig, 'masterKey'>) {
    this.kek = keyEncryptionKey(config.masterKey);
  }

  private get keys(): ReadCollection<SubjectKeyDocument> {
    return this.views.collection<SubjectKeyDocument>(SUBJECT_KEYS);
  }

  /** The subject's key as it stands. */
  async find(subjectId: string): Promise<SubjectKey> {
    const cached = this.cache.get(subjectId);
    if (cached && cached.until > Date.now()) return cached.key;
    return this.remember(subjectId, await this.keys.findOne({ _id: subjectId }));
  }

  /** The subject's key, made on first use; concurrent first uses agree on the one stored first. Never `unknown`. */
  async findOrCreate(subjectId: string): Promise<SubjectKey> {
    const found = await this.find(subjectId);
    if (found.status !== 'unknown') return found;
    const wrapped = wrapDataKey(this.kek, subjectId, newDataKey());
    await this.keys.bulkWrite([keyInsertion(subjectId, wrapped)]);
    return this.remember(subjectId, await this.keys.findOne({ _id: subjectId }));
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
    this.cache.set(subjectId, { key, until: Date.now() + CACHE_TTL_MS });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    return key;
  }
}
