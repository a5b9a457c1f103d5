/** Field schemas shared by request bodies of several slices. */
import { z } from 'zod';
import { isValidId } from '../core/ids.js';
import { isKnownCategory, isKnownRegion } from '../reference/reference.js';
import type { RegionLevel } from '../reference/regions.data.js';

export const idSchema = z.string().refine(isValidId, 'must be 1–64 letters, digits, - or _ (a UUID or ULID)');

/** Free text with a bound: reasons, summaries, notes. */
export const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const regionCodeSchema = (level?: RegionLevel) =>
  z.string().refine((code) => isKnownRegion(code, level), level ? `must be a known ${level} region code (GET /api/v1/reference/regions)` : 'must be a known region code (GET /api/v1/reference/regions)');

export const categoriesSchema = z
  .array(z.string().refine(isKnownCategory, 'must be a PPKS category code (GET /api/v1/reference/categories)'))
  .max(26)
  .refine((codes) => new Set(codes).size === codes.length, 'must not repeat a category');

export const isoDateTimeSchema = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

/** The body of a command that takes none (accept, start, …): none at all, or `{}`. */
export const emptyBodySchema = z.strictObject({}).optional().meta({ id: 'EmptyBody', description: 'This command takes no body: send none, or `{}`.' });

/** Cursor pagination parameters shared by every list. */
export const pageQuery = {
  cursor: z.string().max(2000).optional().describe('The `nextCursor` of the previous page; none for the first'),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page'),
};
