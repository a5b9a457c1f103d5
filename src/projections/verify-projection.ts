/**
 * `projections verify`: builds a projection from the log into scratch collections up to the position of
 * its live checkpoint, compares them document by document with the live collections, then drops them.
 * Comparing at the same log position makes every difference meaningful. A live document changed after that
 * position (a runner still going) is ahead, not wrong: it is counted as such, not compared.
 * Differences name document ids and field paths, never values: views hold personal data.
 * Each collection is read whole, which suits the embedded store's views.
 */
import { isDeepStrictEqual } from 'node:util';
import type { EventStore } from '../event-store/event-store.port.js';
import type { Document, ReadStore } from '../read-store/read-store.port.js';
import type { Projection } from './projection.js';
import { unfenced } from './lease.js';
import { CHECKPOINTS } from './projection-runner.js';
import { buildInScratch, dropScratch, type RebuildProgress } from './rebuild.js';

const SUFFIX = '__verify';

export type ViewDifference =
  | { readonly collection: string; readonly id: string; readonly kind: 'missing in live' | 'missing in rebuilt' }
  | { readonly collection: string; readonly id: string; readonly kind: 'fields differ'; readonly fields: readonly string[] };

export interface ProjectionVerification {
  readonly projection: string;
  /** The live checkpoint, where both sides were compared; null when the projection has none yet. */
  readonly position: bigint | null;
  readonly compared: number;
  /** Live documents changed by events after `position`. */
  readonly ahead: number;
  readonly differences: readonly ViewDifference[];
}

export async function verifyProjection(
  projection: Projection,
  events: EventStore,
  views: ReadStore,
  onProgress?: (progress: RebuildProgress) => void,
): Promise<ProjectionVerification> {
  const checkpoint = await views.collection<Document & { position: string }>(CHECKPOINTS).findOne({ _id: projection.name });
  const position = checkpoint ? BigInt(checkpoint.position) : null;
  try {
    const build = await buildInScratch(projection, events, views, SUFFIX, position, {}, onProgress);
    const result = { compared: 0, ahead: 0, differences: [] as ViewDifference[] };
    for (const name of Object.keys(projection.collections)) {
      const rebuilt = new Map((await views.collection(build.collectionName(name)).find()).map((document) => [document._id, document]));
      for (const live of await views.collection(name).find()) {
        const twin = rebuilt.get(live._id);
        rebuilt.delete(live._id);
        if (position === null || Number(live['lastPosition']) > Number(position)) {
          result.ahead++;
          continue;
        }
        result.compared++;
        const fields = twin === undefined ? null : differingFields(unfenced(live), unfenced(twin));
        if (fields === null) result.differences.push({ collection: name, id: live._id, kind: 'missing in rebuilt' });
        else if (fields.length > 0) result.differences.push({ collection: name, id: live._id, kind: 'fields differ', fields });
      }
      for (const id of rebuilt.keys()) result.differences.push({ collection: name, id, kind: 'missing in live' });
    }
    return { projection: projection.name, position, ...result };
  } finally {
    await dropScratch(projection, views, SUFFIX);
  }
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Dotted paths of the leaves where two documents differ (an array of another length counts as one leaf). */
function differingFields(live: unknown, rebuilt: unknown, path = ''): string[] {
  if (isDeepStrictEqual(live, rebuilt)) return [];
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (isRecord(live) && isRecord(rebuilt)) {
    return [...new Set([...Object.keys(live), ...Object.keys(rebuilt)])].flatMap((key) => differingFields(live[key], rebuilt[key], at(key)));
  }
  if (Array.isArray(live) && Array.isArray(rebuilt) && live.length === rebuilt.length) {
    return live.flatMap((value, index) => differingFields(value, rebuilt[index], at(index)));
  }
  return [path];
}
