/**
 * Keyset pagination over any read collection: the cursor holds the sort-key values of the last item
 * returned, so a page never repeats or skips an item when new documents arrive (unlike skip/limit), as
 * long as the sort keys of a document do not change. `_id` breaks ties.
 */
import type { Document, Filter, ReadCollection, SortSpec } from './read-store.port.js';

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not one this list returned');
    this.name = 'InvalidCursorError';
  }
}

function valueAt(document: Document, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], document);
}

function encode(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

const isScalar = (value: unknown): boolean => value === null || ['string', 'number', 'boolean'].includes(typeof value);

function decode(cursor: string, length: number): unknown[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // Sort keys are scalars; anything else (an object such as {"$ne": null}) would act as a query operator.
    if (Array.isArray(values) && values.length === length && values.every(isScalar)) return values;
  } catch {
    // fall through: not ours
  }
  throw new InvalidCursorError();
}

export async function findPage<T extends Document>(
  collection: ReadCollection<T>,
  filter: Filter,
  options: { sort: SortSpec; limit: number; cursor?: string | null },
): Promise<Page<T>> {
  const keys: [string, 1 | -1][] = [...Object.entries(options.sort).filter(([key]) => key !== '_id'), ['_id', options.sort['_id'] ?? 1]];
  const sort = Object.fromEntries(keys) as SortSpec;
  // One more than the page: whether there is a next page, without counting.
  const items = await collection.find(filter, { sort, limit: options.limit + 1, ...(options.cursor ? { after: decode(options.cursor, keys.length) } : {}) });
  const more = items.length > options.limit;
  const page = more ? items.slice(0, options.limit) : items;
  const last = page[page.length - 1];
  return { items: page, nextCursor: more && last ? encode(keys.map(([key]) => valueAt(last, key))) : null };
}
