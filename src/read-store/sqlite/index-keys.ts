/**
 * The rows a document contributes to one index of the SQLite read store. Every key becomes two columns, a
 * type rank and a value, so the index orders values as the reference semantics (mingo, MongoDB's order)
 * does — missing < null < numbers < strings < booleans — and a comparison never crosses a type by accident.
 * An array gives one row per element (a multikey index, as in MongoDB), plus a marker row saying so; a value
 * no row can stand for (an object, an empty array, an array of arrays or objects, a path through an array)
 * gives only an "irregular" marker row, and while any document holds one, queries do not use the index.
 */
import type { Document } from '../read-store.port.js';

export type IndexKey = readonly [path: string, direction: 1 | -1];

/** Type ranks in the sort order of the reference semantics (which sorts a missing field as null). */
export const NULL = 1;
export const NUMBER = 2;
export const STRING = 3;
export const BOOLEAN = 4;
/** Marker ranks, in the first key's type column: never inside a scan of real values (those name a type). */
export const IRREGULAR = 9;
/** `MULTIKEY + n`: the document holds an array at key n. */
export const MULTIKEY = 10;

export type Encoded = readonly [type: number, value: number | string];

/** A scalar as the index stores it; null for anything that is not one (objects, arrays). */
export function encode(value: unknown): Encoded | null {
  switch (typeof value) {
    case 'undefined':
      return [NULL, 0];
    case 'number':
      return Number.isFinite(value) ? [NUMBER, value] : null;
    case 'string':
      return [STRING, value];
    case 'boolean':
      return [BOOLEAN, value ? 1 : 0];
    default:
      return value === null ? [NULL, 0] : null;
  }
}

export type KeyValues = { readonly kind: 'scalar'; readonly values: readonly Encoded[] } | { readonly kind: 'array'; readonly values: readonly Encoded[] } | { readonly kind: 'irregular' };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const CROSSES_ARRAY = Symbol('crosses an array');

/** The value at a dotted path, as MongoDB resolves it; CROSSES_ARRAY when the path goes through an array. */
function valueAt(document: Document, path: string): unknown {
  // Most indexed paths are plain names: no array of segments to allocate for every document written.
  if (!path.includes('.')) return document[path];
  let value: unknown = document;
  for (const segment of path.split('.')) {
    if (Array.isArray(value)) return CROSSES_ARRAY;
    value = isPlainObject(value) ? value[segment] : undefined;
  }
  return value;
}

/** The values at a dotted path as an index stores them, or irregular when the path crosses an array. */
export function keyValues(document: Document, path: string): KeyValues {
  const value = valueAt(document, path);
  if (value === CROSSES_ARRAY) return { kind: 'irregular' };
  if (!Array.isArray(value)) {
    const encoded = encode(value);
    return encoded ? { kind: 'scalar', values: [encoded] } : { kind: 'irregular' };
  }
  if (value.length === 0) return { kind: 'irregular' };
  const values = new Map<string, Encoded>();
  for (const element of value) {
    if (element === undefined) return { kind: 'irregular' };
    const encoded = encode(element);
    if (!encoded) return { kind: 'irregular' };
    values.set(`${encoded[0]}:${String(encoded[1])}`, encoded);
  }
  return { kind: 'array', values: [...values.values()] };
}

/** A row: the type and value column of each key in turn, then the document's id. */
export type IndexRow = readonly (number | string)[];

export function indexRows(document: Document, keys: readonly IndexKey[]): IndexRow[] {
  const perKey = keys.map(([path]) => keyValues(document, path));
  const marker = (type: number): IndexRow => [type, 0, ...keys.slice(1).flatMap(() => [0, 0]), document._id];
  if (perKey.some((values) => values.kind === 'irregular')) return [marker(IRREGULAR)];
  let rows: (number | string)[][] = [[]];
  for (const values of perKey) {
    if (values.kind === 'irregular') continue;
    rows = rows.flatMap((row) => values.values.map(([type, value]) => [...row, type, value]));
  }
  return [
    ...rows.map((row) => [...row, document._id]),
    ...perKey.flatMap((values, index) => (values.kind === 'array' ? [marker(MULTIKEY + index)] : [])),
  ];
}

/** Rows present in `before` and not in `after` (to delete), and the other way round (to insert). */
export function rowChanges(before: readonly IndexRow[], after: readonly IndexRow[]): { readonly removed: IndexRow[]; readonly added: IndexRow[] } {
  // A new document (a timeline entry, most of a replay's writes) has nothing to compare.
  if (before.length === 0) return { removed: [], added: [...after] };
  const key = (row: IndexRow) => JSON.stringify(row);
  const old = new Set(before.map(key));
  const next = new Set(after.map(key));
  return { removed: before.filter((row) => !next.has(key(row))), added: after.filter((row) => !old.has(key(row))) };
}

/**
 * Whether two versions of a document give an index the same rows, decided from the values at its keys alone,
 * without building the rows: true only when each key holds the same scalar, or an array of the same scalars
 * in the same order, on both sides (and the id is the same). Anything else (a value that changed, an object,
 * a path through an array) answers false, and the rows are compared in full. Most writes of a view change
 * none of its indexed fields (a note changes a case's summary, not its network or its opening date).
 */
export function sameKeyValues(before: Document, after: Document, keys: readonly IndexKey[]): boolean {
  if (before._id !== after._id) return false;
  for (const [path] of keys) {
    const old = scalarsAt(before, path);
    const next = scalarsAt(after, path);
    if (old === IRREGULAR_VALUE || next === IRREGULAR_VALUE) return false;
    if (Array.isArray(old) || Array.isArray(next)) {
      if (!Array.isArray(old) || !Array.isArray(next) || old.length !== next.length) return false;
      for (let index = 0; index < old.length; index++) if (old[index] !== next[index]) return false;
    } else if (old !== next) {
      return false;
    }
  }
  return true;
}

const IRREGULAR_VALUE = Symbol('irregular');

/** The scalar, or array of scalars, at a dotted path; IRREGULAR_VALUE for anything `sameKeyValues` does not compare. */
function scalarsAt(document: Document, path: string): unknown {
  const value = valueAt(document, path);
  if (value === CROSSES_ARRAY) return IRREGULAR_VALUE;
  if (Array.isArray(value)) return value.every((element) => element === null || typeof element !== 'object') ? value : IRREGULAR_VALUE;
  return value !== null && typeof value === 'object' ? IRREGULAR_VALUE : value;
}
