/**
 * How the SQLite read store answers a find: which index narrows the filter, whether the index already
 * delivers the requested order (then a page reads about as many rows as it returns), and the SQL for it.
 * Plans only narrow: every candidate is still tested with mingo, the reference semantics, so a plan may
 * read more than it returns but never miss a match. A plan is `exact` when its SQL alone decides the
 * filter (then counts need no documents).
 */
import type { Filter, SortSpec } from '../read-store.port.js';
import { BOOLEAN, IRREGULAR, encode, keyValues, type Encoded, type IndexKey } from './index-keys.js';
import type { Document } from '../read-store.port.js';

export interface IndexDefinition {
  readonly name: string;
  readonly table: string;
  readonly keys: readonly IndexKey[];
}

/** What the planner asks the store about an index's current contents. */
export interface IndexState {
  /** Some document holds a value the index cannot stand for: the index must not be used. */
  irregular(index: IndexDefinition): boolean;
  /** Some document holds an array at this key. */
  multikey(index: IndexDefinition, key: number): boolean;
}

interface Condition {
  readonly path: string;
  readonly eq?: readonly Encoded[];
  readonly lower?: { readonly value: Encoded; readonly inclusive: boolean };
  readonly upper?: { readonly value: Encoded; readonly inclusive: boolean };
}

interface Analysis {
  readonly conditions: readonly Condition[];
  readonly ors: readonly (readonly Filter[])[];
  /** Something in the filter no condition stands for. */
  readonly residual: boolean;
}

const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((key) => key.startsWith('$'));

/** A value a narrowing condition may compare with: a string, finite number or boolean (null matches missing too). */
function comparable(value: unknown): Encoded | null {
  return value === null || value === undefined ? null : encode(value);
}

function analyze(filter: Filter): Analysis {
  const conditions: Condition[] = [];
  const ors: (readonly Filter[])[] = [];
  let residual = false;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const part of value as Filter[]) {
        const inner = analyze(part);
        conditions.push(...inner.conditions);
        ors.push(...inner.ors);
        residual ||= inner.residual;
      }
    } else if (key === '$or' && Array.isArray(value)) {
      ors.push(value as Filter[]);
    } else if (key.startsWith('$')) {
      residual = true;
    } else if (isOperatorObject(value)) {
      for (const [operator, operand] of Object.entries(value)) {
        const condition = operatorCondition(key, operator, operand);
        if (condition) conditions.push(condition);
        else residual = true;
      }
    } else {
      const encoded = comparable(value);
      if (encoded) conditions.push({ path: key, eq: [encoded] });
      else residual = true;
    }
  }
  return { conditions, ors, residual };
}

function operatorCondition(path: string, operator: string, operand: unknown): Condition | null {
  if (operator === '$eq') {
    const encoded = comparable(operand);
    return encoded ? { path, eq: [encoded] } : null;
  }
  if (operator === '$in') {
    if (!Array.isArray(operand)) return null;
    const values = operand.map(comparable);
    return values.every((value): value is Encoded => value !== null) ? { path, eq: values } : null;
  }
  const bound = comparable(operand);
  if (!bound) return null;
  switch (operator) {
    case '$gt':
    case '$gte':
      return { path, lower: { value: bound, inclusive: operator === '$gte' } };
    case '$lt':
    case '$lte':
      return { path, upper: { value: bound, inclusive: operator === '$lte' } };
    default:
      return null;
  }
}

/**
 * For a filter made only of equalities, `$in` and ranges on scalars (what a write usually names: an id and a
 * position guard), a test that decides it without mingo: the same semantics the index SQL applies (an array
 * matches when an element does; comparisons stay within a type), with strings compared as mingo compares
 * them. Undefined for a document whose value no index row could stand for: mingo decides that one. Null
 * when the filter holds anything else.
 */
export function simpleMatcher(filter: Filter): ((document: Document) => boolean | undefined) | null {
  // A negated bound (`{ field: { $not: { $gt: x } } }`, the fence of every projection write) holds where its bound holds for no value.
  const negated: Condition[] = [];
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    const condition = key.startsWith('$') ? null : negatedBound(key, value);
    if (condition) negated.push(condition);
    else rest[key] = value;
  }
  const analysis = analyze(rest);
  if (analysis.residual || analysis.ors.length > 0) return null;
  const { conditions } = analysis;
  return (document) => {
    for (const condition of conditions) {
      const values = keyValues(document, condition.path);
      if (values.kind === 'irregular') return undefined;
      if (!values.values.some((value) => holds(condition, value))) return false;
    }
    for (const condition of negated) {
      const values = keyValues(document, condition.path);
      if (values.kind === 'irregular') return undefined;
      if (values.values.some((value) => holds(condition, value))) return false;
    }
    return true;
  };
}

/** `{ $not: { <one of $gt, $gte, $lt, $lte>: scalar } }` as the bound it negates; null for anything else. */
function negatedBound(path: string, value: unknown): Condition | null {
  if (!isOperatorObject(value) || Object.keys(value).length !== 1 || !isOperatorObject(value['$not'])) return null;
  const inner = Object.entries(value['$not']);
  if (inner.length !== 1) return null;
  const [operator, operand] = inner[0]!;
  return ['$gt', '$gte', '$lt', '$lte'].includes(operator) ? operatorCondition(path, operator, operand) : null;
}

function holds(condition: Condition, value: Encoded): boolean {
  if (condition.eq) return condition.eq.some((candidate) => candidate[0] === value[0] && candidate[1] === value[1]);
  const bound = (condition.lower ?? condition.upper)!;
  if (bound.value[0] !== value[0]) return false;
  const difference = value[1] < bound.value[1] ? -1 : value[1] > bound.value[1] ? 1 : 0;
  if (condition.lower) return condition.lower.inclusive ? difference >= 0 : difference > 0;
  return condition.upper!.inclusive ? difference <= 0 : difference < 0;
}

/** Order of encoded values as SQLite orders the (type, value) columns: strings by code point (UTF-8 bytes). */
export function compareEncoded(a: Encoded, b: Encoded): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return compareScalars(a[1], b[1]);
}

export function compareScalars(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  if (x === y) return 0;
  // Code point order (what SQLite's BINARY collation gives on UTF-8), not UTF-16 code unit order.
  const xs = [...x];
  const ys = [...y];
  for (let index = 0; index < Math.min(xs.length, ys.length); index++) {
    const difference = xs[index]!.codePointAt(0)! - ys[index]!.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return xs.length - ys.length;
}

/** A sort entry of a branch: a column of the index, or a value the branch's equalities fix. */
type SortColumn = { readonly key: number; readonly direction: 1 | -1 } | { readonly constant: Encoded; readonly direction: 1 | -1 };

export interface Branch {
  readonly index: IndexDefinition;
  /** Values of the first keys (a fan-out of `$in` gives one branch per combination). */
  readonly prefix: readonly Encoded[];
  readonly range?: { readonly key: number; readonly lower?: Condition['lower']; readonly upper?: Condition['upper'] };
  /** The requested sort (without `_id`) over this branch's rows, when the index delivers it. */
  readonly sort: readonly SortColumn[] | null;
  readonly idDirection: 1 | -1;
}

export type Plan =
  | { readonly kind: 'ids'; readonly ids: readonly string[] }
  | { readonly kind: 'scan' }
  | { readonly kind: 'index'; readonly branches: readonly Branch[]; readonly ordered: boolean; readonly exact: boolean };

const MAX_BRANCHES = 64;

/**
 * The plan for `filter` in the order of `sort` (`_id` last, or appended ascending). With a limit, a plan
 * that delivers the order wins over one that only narrows; otherwise the narrowest wins.
 */
export function planQuery(filter: Filter, sort: readonly [string, 1 | -1][], limited: boolean, indexes: readonly IndexDefinition[], state: IndexState): Plan {
  const analysis = analyze(filter);
  const ids = idLookup(analysis);
  if (ids) return { kind: 'ids', ids };
  const single = bestPlan(analysis, sort, limited, indexes, state);
  if (single?.narrows) return single.plan;
  const union = analysis.ors.length > 0 ? unionPlan(filter, analysis, sort, limited, indexes, state) : null;
  if (union) return union;
  return single?.plan ?? { kind: 'scan' };
}

function idLookup(analysis: Analysis): string[] | null {
  const condition = analysis.conditions.find((candidate) => candidate.path === '_id' && candidate.eq);
  if (!condition) return null;
  return condition.eq!.filter(([type]) => type !== BOOLEAN).map(([, value]) => String(value));
}

interface Candidate {
  readonly plan: Extract<Plan, { kind: 'index' }>;
  readonly narrows: boolean;
  readonly score: number;
}

function bestPlan(analysis: Analysis, sort: readonly [string, 1 | -1][], limited: boolean, indexes: readonly IndexDefinition[], state: IndexState): Candidate | null {
  let best: Candidate | null = null;
  for (const index of indexes) {
    // Only an index the filter or the sort names is worth asking about its contents.
    const named = new Set([...analysis.conditions.map((condition) => condition.path), ...sort.map(([path]) => path)]);
    if (!index.keys.some(([path]) => named.has(path)) || state.irregular(index)) continue;
    const candidate = indexPlan(analysis, sort, index, state);
    if (!candidate || (!candidate.narrows && !candidate.plan.ordered)) continue;
    const score = candidate.score + (candidate.plan.ordered && (limited || sort.length > 0) ? 1_000 : 0);
    if (!best || score > best.score) best = { ...candidate, score };
  }
  return best;
}

function indexPlan(analysis: Analysis, sort: readonly [string, 1 | -1][], index: IndexDefinition, state: IndexState): Candidate | null {
  const used = new Set<Condition>();
  const known: boolean[] = [];
  // Asked only for the keys a plan uses.
  const multikey = (key: number): boolean => (known[key] ??= state.multikey(index, key));
  // Equalities on the leading keys: one value each, or a fan-out of several.
  let prefixes: Encoded[][] = [[]];
  let length = 0;
  for (const [key, [path]] of index.keys.entries()) {
    const equalities = analysis.conditions.filter((condition) => condition.path === path && condition.eq);
    if (equalities.length === 0) break;
    // Several equalities on one field must all hold; on an array field each may hold for another element.
    const chosen = equalities.reduce((narrowest, condition) => (condition.eq!.length < narrowest.eq!.length ? condition : narrowest));
    const values = multikey(key) ? chosen.eq! : chosen.eq!.filter((value) => equalities.every((other) => other.eq!.some((candidate) => compareEncoded(candidate, value) === 0)));
    if (prefixes.length * Math.max(values.length, 1) > MAX_BRANCHES) break;
    for (const condition of multikey(key) ? [chosen] : equalities) used.add(condition);
    prefixes = prefixes.flatMap((prefix) => values.map((value) => [...prefix, value]));
    length++;
  }
  // A range on the next key, within one type (comparisons never cross types in the reference semantics).
  let range: Branch['range'];
  if (length < index.keys.length) {
    const [path] = index.keys[length]!;
    const lowers = analysis.conditions.filter((condition) => condition.path === path && condition.lower);
    const uppers = analysis.conditions.filter((condition) => condition.path === path && condition.upper);
    const lower = lowers[0];
    const upper = uppers.find((condition) => !lower || condition.upper!.value[0] === lower.lower!.value[0]);
    // On an array field a lower and an upper bound may each hold for another element: use one of them.
    const bounds = multikey(length) ? [lower ?? upper].filter((condition) => condition !== undefined) : [lower, upper].filter((condition) => condition !== undefined);
    if (bounds.length > 0) {
      for (const condition of bounds) used.add(condition);
      range = { key: length, ...(bounds.some((condition) => condition === lower) ? { lower: lower!.lower! } : {}), ...(bounds.some((condition) => condition === upper) ? { upper: upper!.upper! } : {}) };
    }
  }
  const narrows = length > 0 || range !== undefined;
  const branches = prefixes.map((prefix): Branch => ({ index, prefix, ...(range ? { range } : {}), ...ordering(sort, index, prefix, multikey) }));
  const ordered = branches.every((branch) => branch.sort !== null);
  const exact = !analysis.residual && analysis.ors.length === 0 && analysis.conditions.every((condition) => used.has(condition));
  return { plan: { kind: 'index', branches, ordered, exact }, narrows, score: length * 10 + (range ? 5 : 0) - (prefixes.length > 1 ? 1 : 0) };
}

/** Whether the index, after its equality prefix, holds its rows in the requested order (`_id` breaking ties). */
function ordering(sort: readonly [string, 1 | -1][], index: IndexDefinition, prefix: readonly Encoded[], multikey: (key: number) => boolean): Pick<Branch, 'sort' | 'idDirection'> {
  const entries = sort.filter(([path]) => path !== '_id');
  const idDirection = sort.find(([path]) => path === '_id')?.[1] ?? 1;
  const columns: SortColumn[] = [];
  let next = prefix.length;
  let relative: 1 | -1 | null = null;
  for (const [path, direction] of entries) {
    const fixed = index.keys.findIndex(([keyPath], key) => key < prefix.length && keyPath === path);
    if (fixed >= 0 && !multikey(fixed)) {
      columns.push({ constant: prefix[fixed]!, direction });
      continue;
    }
    const [keyPath, keyDirection] = index.keys[next] ?? [];
    if (keyPath !== path || multikey(next)) return { sort: null, idDirection };
    const here = direction === keyDirection ? 1 : -1;
    if (relative !== null && here !== relative) return { sort: null, idDirection };
    relative = here;
    columns.push({ key: next, direction });
    next++;
  }
  // Keys left over would order the rows before `_id` does.
  if (next !== index.keys.length) return { sort: null, idDirection };
  if (relative !== null && idDirection !== relative) return { sort: null, idDirection };
  return { sort: columns, idDirection };
}

/** One plan per alternative of the first `$or`, each with the rest of the filter; only if each narrows. */
function unionPlan(filter: Filter, analysis: Analysis, sort: readonly [string, 1 | -1][], limited: boolean, indexes: readonly IndexDefinition[], state: IndexState): Plan | null {
  const alternatives = analysis.ors[0]!;
  if (alternatives.length === 0 || alternatives.length > MAX_BRANCHES) return null;
  const rest = withoutFirstOr(filter);
  const branches: Branch[] = [];
  let ordered = true;
  for (const alternative of alternatives) {
    const candidate = bestPlan(analyze({ $and: [alternative, rest] }), sort, limited, indexes, state);
    if (!candidate?.narrows) return null;
    branches.push(...candidate.plan.branches);
    ordered &&= candidate.plan.ordered;
  }
  return branches.length > MAX_BRANCHES ? null : { kind: 'index', branches, ordered, exact: false };
}

/** The filter without its first `$or` (wherever `analyze` found it), so each alternative can be planned with the rest. */
function withoutFirstOr(filter: Filter): Filter {
  let removed = false;
  const strip = (part: Filter): Filter => Object.fromEntries(Object.entries(part).flatMap(([key, value]): [string, unknown][] => {
    if (key === '$or' && Array.isArray(value) && !removed) {
      removed = true;
      return [];
    }
    if (key === '$and' && Array.isArray(value)) return [[key, (value as Filter[]).map(strip)]];
    return [[key, value]];
  }));
  return strip(filter);
}

export interface Sql {
  readonly text: string;
  readonly parameters: readonly (number | string)[];
}

const typeColumn = (key: number) => `t${key}`;
const valueColumn = (key: number) => `v${key}`;

/** The conditions of a branch on its index table `x`, with the bounds of a seek step when given. */
function branchConditions(branch: Branch, extra: readonly Sql[] = []): Sql {
  const parts: string[] = [];
  const parameters: (number | string)[] = [];
  for (const [key, [type, value]] of branch.prefix.entries()) {
    parts.push(`x.${typeColumn(key)} = ? AND x.${valueColumn(key)} = ?`);
    parameters.push(type, value);
  }
  if (branch.range) {
    const { key, lower, upper } = branch.range;
    const type = (lower ?? upper)!.value[0];
    parts.push(`x.${typeColumn(key)} = ?`);
    parameters.push(type);
    if (lower) {
      parts.push(`x.${valueColumn(key)} ${lower.inclusive ? '>=' : '>'} ?`);
      parameters.push(lower.value[1]);
    }
    if (upper) {
      parts.push(`x.${valueColumn(key)} ${upper.inclusive ? '<=' : '<'} ?`);
      parameters.push(upper.value[1]);
    }
  }
  // Without a bound on the first key a scan would meet the marker rows.
  if (branch.prefix.length === 0 && (!branch.range || branch.range.key !== 0)) parts.push(`x.${typeColumn(0)} < ${IRREGULAR}`);
  for (const condition of extra) {
    parts.push(condition.text);
    parameters.push(...condition.parameters);
  }
  return { text: parts.join(' AND '), parameters };
}

/** The rows of a branch (joined to their documents), in the requested order when the branch has one. */
export function branchSql(branch: Branch, collectionTable: string, seek: readonly Sql[] = []): Sql {
  const where = branchConditions(branch, seek);
  const order = branch.sort === null ? '' : ` ORDER BY ${[
    ...branch.sort.flatMap((column) => ('key' in column ? [`x.${typeColumn(column.key)} ${direction(column.direction)}`, `x.${valueColumn(column.key)} ${direction(column.direction)}`] : [])),
    `x.id ${direction(branch.idDirection)}`,
  ].join(', ')}`;
  return { text: `SELECT c.doc AS doc, x.* FROM "${branch.index.table}" x CROSS JOIN "${collectionTable}" c ON c.id = x.id WHERE ${where.text}${order}`, parameters: where.parameters };
}

/** How many documents the branches match, from the index alone (for an exact plan). */
export function countSql(branches: readonly Branch[]): Sql {
  const parts = branches.map((branch) => branchConditions(branch));
  return {
    // An array field gives a document one row per matching element: each document counts once.
    text: `SELECT count(DISTINCT id) AS n FROM (${branches.map((branch, index) => `SELECT x.id AS id FROM "${branch.index.table}" x WHERE ${parts[index]!.text}`).join(' UNION ALL ')})`,
    parameters: parts.flatMap((part) => part.parameters),
  };
}

const direction = (value: 1 | -1) => (value === 1 ? 'ASC' : 'DESC');

/**
 * The seek steps of a keyset page on an ordered branch: rows strictly after the cursor, as a sequence of
 * bounded scans (equal on the first sort columns, after the cursor on the next), nearest first. Null when
 * the cursor holds a value no seek can stand for: the branch is then read from its start.
 */
export function seekSteps(branch: Branch, cursor: readonly unknown[]): Sql[][] | null {
  const columns = branch.sort!;
  const values = cursor.slice(0, columns.length).map(comparable);
  const id = cursor[columns.length];
  if (values.some((value) => value === null) || typeof id !== 'string') return null;
  const steps: Sql[][] = [];
  for (let level = columns.length; level >= 0; level--) {
    const conditions: Sql[] = [];
    let possible = true;
    for (let at = 0; at < level && possible; at++) {
      const column = columns[at]!;
      const [type, value] = values[at]!;
      if ('constant' in column) possible = compareEncoded(column.constant, values[at]!) === 0;
      else conditions.push({ text: `x.${typeColumn(column.key)} = ? AND x.${valueColumn(column.key)} = ?`, parameters: [type, value] });
    }
    if (!possible) continue;
    if (level === columns.length) {
      conditions.push({ text: `x.id ${branch.idDirection === 1 ? '>' : '<'} ?`, parameters: [id] });
    } else {
      const column = columns[level]!;
      const [type, value] = values[level]!;
      if ('constant' in column) {
        if (compareEncoded(column.constant, values[level]!) * column.direction <= 0) continue;
      } else {
        conditions.push({ text: `(x.${typeColumn(column.key)}, x.${valueColumn(column.key)}) ${column.direction === 1 ? '>' : '<'} (?, ?)`, parameters: [type, value] });
      }
    }
    steps.push(conditions);
  }
  return steps;
}

/** The sort tuple of a branch row, for merging branches: each sort column's encoded value, then the id. */
export function rowSortKey(branch: Branch, row: Readonly<Record<string, unknown>>): Encoded[] {
  return branch.sort!.map((column) => ('constant' in column ? column.constant : [row[typeColumn(column.key)] as number, row[valueColumn(column.key)] as number | string]));
}

export function compareSortKeys(sort: readonly SortColumn[], idDirection: 1 | -1, a: { key: readonly Encoded[]; id: string }, b: { key: readonly Encoded[]; id: string }): number {
  for (const [at, column] of sort.entries()) {
    const difference = compareEncoded(a.key[at]!, b.key[at]!);
    if (difference !== 0) return difference * column.direction;
  }
  return compareScalars(a.id, b.id) * idDirection;
}

/** The requested sort as entries, `_id` last (appended ascending when missing, for a stable order). */
export function sortEntries(sort: SortSpec | undefined): [string, 1 | -1][] {
  const entries = Object.entries<1 | -1>(sort ?? {}).filter(([path]) => path !== '_id');
  return [...entries, ['_id', sort?.['_id'] ?? 1]];
}
