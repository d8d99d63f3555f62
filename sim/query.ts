import { entityDefByName, type EntityDef, type FieldDef } from './schema';
import { badRequest } from './errors';
import type { EntityStore, IdRange, Link, StoredRecord } from './store';

/**
 * FPTR filter, sort and field-path semantics over the store: array and hash filter forms,
 * dotted paths (`entity.Shot.code`), multi-entity "any" matching, case-insensitive text.
 */

export const VALID_RELATIONS = [
  'is',
  'is_not',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'greater_than',
  'less_than',
  'between',
  'not_between',
  'in_last',
  'not_in_last',
  'in_next',
  'not_in_next',
  'type_is',
  'type_is_not',
  'name_is',
  'name_contains',
  'name_not_contains',
  'name_starts_with',
  'name_ends_with',
] as const;
type Relation = (typeof VALID_RELATIONS)[number];

const NEGATED: Partial<Record<Relation, Relation>> = {
  is_not: 'is',
  not_in: 'in',
  not_contains: 'contains',
  not_between: 'between',
  not_in_last: 'in_last',
  not_in_next: 'in_next',
  type_is_not: 'type_is',
  name_not_contains: 'name_contains',
};

export type FilterMode = 'array' | 'hash';
export type Predicate = (rec: StoredRecord) => boolean;

/** A resolved field path: its leaf definition and whether it can hold several values. */
interface Path {
  steps: Array<{ field: string; def: FieldDef; linkType?: string }>;
  leaf: FieldDef;
  multi: boolean;
}

/** Parses `field` or `link.Type.field[.Type.field…]`; names the first unknown part otherwise. */
function parsePath(def: EntityDef, path: string): Path | { unknownField: string } {
  const parts = path.split('.');
  const steps: Path['steps'] = [];
  let current: EntityDef | undefined = def;
  let multi = false;
  for (let i = 0; i < parts.length; i += 2) {
    const field = parts[i];
    const fd: FieldDef | undefined =
      current && Object.prototype.hasOwnProperty.call(current.fields, field) ? current.fields[field] : undefined;
    if (!current || !fd) return { unknownField: `${current?.name ?? parts[i - 1]}.${field}` };
    const linkType = parts[i + 1];
    if (linkType !== undefined) {
      if (fd.type !== 'entity' && fd.type !== 'multi_entity') return { unknownField: `${current.name}.${field}` };
      if (fd.type === 'multi_entity') multi = true;
      steps.push({ field, def: fd, linkType });
      current = entityDefByName(linkType);
      if (parts[i + 2] === undefined) return { unknownField: `${linkType}.` };
    } else {
      if (fd.type === 'multi_entity') multi = true;
      steps.push({ field, def: fd });
    }
  }
  return { steps, leaf: steps[steps.length - 1].def, multi };
}

function isPath(p: Path | { unknownField: string }): p is Path {
  return 'steps' in p;
}

/** Every value the path reaches from `rec` (links stay `{type,id}`). */
function resolve(store: EntityStore, rec: StoredRecord, path: Path): unknown[] {
  let frontier: StoredRecord[] = [rec];
  for (const step of path.steps) {
    const values = frontier.flatMap((r) => {
      const v = step.field === 'id' ? r.id : store.fieldValue(r, step.field);
      return Array.isArray(v) ? v : [v ?? null];
    });
    if (!step.linkType) return step.def.type === 'multi_entity' ? values.filter((v) => v !== null) : values;
    frontier = values
      .filter((v): v is Link => v !== null && (v as Link).type === step.linkType)
      .map((l) => store.lookup(l.type, l.id))
      .filter((r): r is StoredRecord => r !== undefined);
    if (!frontier.length) return path.multi ? [] : [null];
  }
  return [];
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}

function isLinkValue(v: unknown): v is Link {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'type' in v && 'id' in v;
}

function equals(v: unknown, arg: unknown): boolean {
  if (arg === null || arg === undefined) return v === null || v === undefined;
  if (isLinkValue(arg)) return isLinkValue(v) && v.type === arg.type && v.id === arg.id;
  if (typeof arg === 'string' && typeof v === 'string') return v.toLowerCase() === arg.toLowerCase();
  // `filter[code]=123` arrives as a number; a text field still matches it.
  if (typeof arg === 'number' && typeof v === 'string') return v === String(arg);
  return v === arg;
}

function comparable(v: unknown, fd: FieldDef): number | string | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  if (fd.type === 'date_time') {
    const ms = Date.parse(v.replace(/ UTC$/, 'Z'));
    return Number.isNaN(ms) ? undefined : ms;
  }
  return v.toLowerCase();
}

const UNIT_MS: Record<string, number> = {
  HOUR: 3_600_000,
  DAY: 86_400_000,
  WEEK: 604_800_000,
  MONTH: 2_592_000_000,
  YEAR: 31_536_000_000,
};

function withinWindow(v: unknown, arg: unknown, fd: FieldDef, future: boolean, now: number): boolean {
  const [n, unit] = Array.isArray(arg) ? arg : [];
  const span = typeof n === 'number' && typeof unit === 'string' ? n * (UNIT_MS[unit.toUpperCase()] ?? NaN) : NaN;
  if (Number.isNaN(span) || typeof v !== 'string') return false;
  const at = Date.parse(fd.type === 'date' ? `${v}T00:00:00Z` : v);
  return future ? at >= now && at <= now + span : at <= now && at >= now - span;
}

function holds(store: EntityStore, rel: Relation, v: unknown, arg: unknown, fd: FieldDef): boolean {
  switch (rel) {
    case 'is':
      return equals(v, arg);
    case 'in':
      return (Array.isArray(arg) ? arg : [arg]).some((a) => equals(v, a));
    case 'contains': {
      const s = text(v),
        a = text(arg);
      return s !== undefined && a !== undefined && s.includes(a);
    }
    case 'starts_with': {
      const s = text(v),
        a = text(arg);
      return s !== undefined && a !== undefined && s.startsWith(a);
    }
    case 'ends_with': {
      const s = text(v),
        a = text(arg);
      return s !== undefined && a !== undefined && s.endsWith(a);
    }
    case 'greater_than':
    case 'less_than': {
      const a = comparable(v, fd),
        b = comparable(arg, fd);
      if (a === undefined || b === undefined || typeof a !== typeof b) return false;
      return rel === 'greater_than' ? a > b : a < b;
    }
    case 'between': {
      if (!Array.isArray(arg) || arg.length !== 2) return false;
      const a = comparable(v, fd),
        lo = comparable(arg[0], fd),
        hi = comparable(arg[1], fd);
      return a !== undefined && lo !== undefined && hi !== undefined && a >= lo && a <= hi;
    }
    case 'in_last':
      return withinWindow(v, arg, fd, false, Date.now());
    case 'in_next':
      return withinWindow(v, arg, fd, true, Date.now());
    case 'type_is':
      return isLinkValue(v) ? v.type === arg : arg === null && v === null;
    case 'name_is':
      return isLinkValue(v) && equals(store.nameOf(v), arg);
    case 'name_contains': {
      const n = isLinkValue(v) ? text(store.nameOf(v)) : undefined,
        a = text(arg);
      return n !== undefined && a !== undefined && n.includes(a);
    }
    case 'name_starts_with': {
      const n = isLinkValue(v) ? text(store.nameOf(v)) : undefined,
        a = text(arg);
      return n !== undefined && a !== undefined && n.startsWith(a);
    }
    case 'name_ends_with': {
      const n = isLinkValue(v) ? text(store.nameOf(v)) : undefined,
        a = text(arg);
      return n !== undefined && a !== undefined && n.endsWith(a);
    }
    default:
      return false;
  }
}

function condition(store: EntityStore, def: EntityDef, path: string, relation: unknown, arg: unknown): Predicate {
  if (typeof path !== 'string') throw badRequest('Each filter condition needs a field path string.');
  if (typeof relation !== 'string' || !(VALID_RELATIONS as readonly string[]).includes(relation)) {
    throw badRequest(
      `Invalid relation '${String(relation)}'. Valid relations are: ${VALID_RELATIONS.join(', ')}.`,
      103,
      { source: { filters: path } },
    );
  }
  const parsed = parsePath(def, path);
  if (!isPath(parsed)) throw badRequest(`API read() ${parsed.unknownField} doesn't exist.`);
  if (parsed.leaf.type === 'serializable') throw notFilterable(def, path, 'filter on');
  const rel = relation as Relation;
  const positive = NEGATED[rel] ?? rel;
  const negate = positive !== rel;
  const leaf = parsed.leaf;
  const test = (positive === 'in' && inNumbers(arg)) || ((v: unknown) => holds(store, positive, v, arg, leaf));
  return (rec) => {
    const values = resolve(store, rec, parsed);
    let hit: boolean;
    if (parsed.multi) {
      hit = positive === 'is' && (arg === null || arg === undefined) ? values.length === 0 : values.some(test);
    } else {
      hit = test(values[0] ?? null);
    }
    return negate ? !hit : hit;
  };
}

/**
 * `in` with a long list of numbers (a client reading hundreds of records by id at once), judged
 * by set lookups instead of comparing each value with every number; the same answers as
 * `equals`: a number matches itself, a text matches a number it spells exactly.
 */
function inNumbers(arg: unknown): ((v: unknown) => boolean) | undefined {
  if (!Array.isArray(arg) || arg.length < 8 || !arg.every((a) => typeof a === 'number' && Number.isFinite(a)))
    return undefined;
  const numbers = new Set(arg as number[]);
  const texts = new Set((arg as number[]).map(String));
  return (v) => (typeof v === 'number' ? numbers.has(v) : typeof v === 'string' && texts.has(v));
}

/** `meta` and other serializable fields can be read but not filtered or sorted on (docs/fptr-api.md §6.3). */
function notFilterable(def: EntityDef, path: string, verb: string): Error {
  return badRequest(
    `API read() cannot ${verb} ${def.name}.${path}: serializable fields are not filterable or sortable.`,
    103,
    { source: { [verb === 'sort on' ? 'sort' : 'filters']: path } },
  );
}

function conditionFrom(store: EntityStore, def: EntityDef, c: unknown, mode: FilterMode): Predicate {
  if (Array.isArray(c)) {
    if (c.length < 3) throw badRequest(`Invalid filter ${JSON.stringify(c)}: expected [field, relation, value].`);
    return condition(store, def, c[0], c[1], c.length === 3 ? c[2] : c.slice(2));
  }
  if (typeof c === 'object' && c !== null) {
    const o = c as Record<string, unknown>;
    if ('logical_operator' in o || 'conditions' in o) {
      if (mode === 'array')
        throw badRequest('Nested filter groups need Content-Type application/vnd+shotgun.api3_hash+json.');
      return group(store, def, o);
    }
    if (typeof o.path === 'string') {
      const values = Array.isArray(o.values) ? o.values : [o.values];
      return condition(store, def, o.path, o.relation, values.length === 1 ? values[0] : values);
    }
  }
  throw badRequest(`Invalid filter condition ${JSON.stringify(c)}.`);
}

function group(store: EntityStore, def: EntityDef, g: Record<string, unknown>): Predicate {
  const op = g.logical_operator;
  if (op !== 'and' && op !== 'or') {
    throw badRequest(`logical_operator must be one of: and, or (got ${JSON.stringify(op)}).`, 103, {
      source: { filters: { logical_operator: op } },
    });
  }
  if (!Array.isArray(g.conditions)) throw badRequest('A filter group needs a conditions array.');
  const parts = g.conditions.map((c) => conditionFrom(store, def, c, 'hash'));
  return op === 'and' ? (r) => parts.every((p) => p(r)) : anyOf(store, def, g.conditions, parts);
}

/** Below this many branches an `or` is judged branch by branch. */
const FILED_OR_MIN = 8;

/**
 * An `or` of many branches (a client's combined search) would be judged branch by branch for
 * every record: a hundred branches cost a hundred searches, where a real site looks each branch
 * up in its indexes. A branch that requires a link field of the record itself to be one given
 * record is filed under that record, and each stored record is judged only against the branches
 * filed under its own link and those that could not be filed.
 */
function anyOf(store: EntityStore, def: EntityDef, conditions: unknown[], parts: Predicate[]): Predicate {
  if (parts.length < FILED_OR_MIN) return (r) => parts.some((p) => p(r));
  const filed = new Map<string, Map<string, Predicate[]>>();
  const unfiled: Predicate[] = [];
  conditions.forEach((c, i) => {
    const need = requiredLink(def, c);
    if (!need) {
      unfiled.push(parts[i]);
      return;
    }
    const byLink = filed.get(need.field) ?? new Map<string, Predicate[]>();
    filed.set(need.field, byLink);
    const key = linkKey(need.link);
    byLink.set(key, [...(byLink.get(key) ?? []), parts[i]]);
  });
  return (r) => {
    if (unfiled.some((p) => p(r))) return true;
    for (const [field, byLink] of filed) {
      const v = store.fieldValue(r, field);
      if (isLinkValue(v) && byLink.get(linkKey(v))?.some((p) => p(r))) return true;
    }
    return false;
  };
}

function linkKey(link: Link): string {
  return JSON.stringify([link.type, link.id]);
}

/**
 * The link a branch requires of a single-entity field of the record itself (`entity is
 * {Shot 12}` among the conditions it ANDs), if any.
 */
function requiredLink(def: EntityDef, branch: unknown): { field: string; link: Link } | undefined {
  let conditions: unknown[] | undefined;
  if (Array.isArray(branch)) conditions = [branch];
  else if (typeof branch === 'object' && branch !== null && !Array.isArray(branch)) {
    const g = branch as Record<string, unknown>;
    if (g.logical_operator === 'and' && Array.isArray(g.conditions)) conditions = g.conditions;
    else if ('path' in g) conditions = [g];
  }
  for (const c of conditions ?? []) {
    const [path, relation, arg] = Array.isArray(c)
      ? c.length === 3
        ? c
        : []
      : typeof c === 'object' && c !== null
        ? [
            (c as Record<string, unknown>).path,
            (c as Record<string, unknown>).relation,
            ((v) => (Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v))(
              (c as Record<string, unknown>).values,
            ),
          ]
        : [];
    if (relation !== 'is' || typeof path !== 'string' || !isLinkValue(arg)) continue;
    const fd = Object.prototype.hasOwnProperty.call(def.fields, path) ? def.fields[path] : undefined;
    if (fd?.type === 'entity') return { field: path, link: arg };
  }
  return undefined;
}

/** Compiles `filters` in the syntax the request's content type declared. */
export function compileFilters(store: EntityStore, def: EntityDef, filters: unknown, mode: FilterMode): Predicate {
  if (filters === undefined || filters === null) return () => true;
  if (mode === 'array') {
    if (!Array.isArray(filters))
      throw badRequest(
        'filters must be an array of [field, relation, value] for application/vnd+shotgun.api3_array+json.',
      );
    const parts = filters.map((c) => conditionFrom(store, def, c, 'array'));
    return (r) => parts.every((p) => p(r));
  }
  if (Array.isArray(filters)) {
    const parts = filters.map((c) => conditionFrom(store, def, c, 'hash'));
    return (r) => parts.every((p) => p(r));
  }
  if (typeof filters !== 'object')
    throw badRequest(
      'filters must be an object {logical_operator, conditions} for application/vnd+shotgun.api3_hash+json.',
    );
  return group(store, def, filters as Record<string, unknown>);
}

/** `filter[field]=value` query parameters of the list endpoint (comma = one of). */
export function compileQueryFilters(store: EntityStore, def: EntityDef, params: Array<[string, string]>): Predicate {
  const parts = params.map(([path, raw]) => {
    const values = raw.split(',').map((s) => (/^-?\d+$/.test(s) ? Number(s) : s));
    return condition(store, def, path, values.length > 1 ? 'in' : 'is', values.length > 1 ? values : values[0]);
  });
  return (r) => parts.every((p) => p(r));
}

/**
 * How a list is ordered: by id (reversed when `reverse`), which a scan already yields so paging
 * may stop early, or by a comparator.
 */
export type SortPlan =
  { byId: true; reverse: boolean } | { byId: false; sort(records: StoredRecord[]): StoredRecord[] };

/**
 * Reads an FPTR sort spec (`"-updated_at,id"` or an array). Unknown keys are ignored like FPTR
 * does; a serializable field (`meta`) answers 400. Ties fall back to ascending id.
 */
export function planSort(store: EntityStore, def: EntityDef, spec: unknown): SortPlan {
  const keys = (Array.isArray(spec) ? spec : typeof spec === 'string' ? spec.split(',') : [])
    .filter((k): k is string => typeof k === 'string' && k.trim() !== '')
    .map((k) => k.trim())
    .map((k) => {
      const name = k.replace(/^[-+]/, '');
      const path = parsePath(def, name);
      if (isPath(path) && path.leaf.type === 'serializable') throw notFilterable(def, name, 'sort on');
      return { desc: k.startsWith('-'), path };
    })
    .filter((k): k is { desc: boolean; path: Path } => isPath(k.path) && !k.path.multi);
  const first = keys[0];
  if (!first || (first.path.steps.length === 1 && first.path.steps[0].field === 'id')) {
    return { byId: true, reverse: first?.desc ?? false };
  }
  const key = (rec: StoredRecord, path: Path): number | string | null => {
    const v = resolve(store, rec, path)[0];
    if (v === null || v === undefined) return null;
    if (isLinkValue(v)) return (store.nameOf(v) ?? '').toLowerCase();
    if (typeof v === 'boolean') return v ? 1 : 0;
    return comparable(v, path.leaf) ?? null;
  };
  const sort = (records: StoredRecord[]): StoredRecord[] =>
    records.sort((a, b) => {
      for (const k of keys) {
        const x = key(a, k.path),
          y = key(b, k.path);
        if (x === y) continue;
        const order = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
        return k.desc ? -order : order;
      }
      return a.id - b.id;
    });
  return { byId: false, sort };
}

/** Narrows `range` by one top-level `id` condition. */
function narrowById(range: IdRange, relation: unknown, arg: unknown): void {
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const atLeast = (n: number): void => {
    range.min = Math.max(range.min ?? -Infinity, n);
  };
  const atMost = (n: number): void => {
    range.max = Math.min(range.max ?? Infinity, n);
  };
  if (relation === 'greater_than' && num(arg)) atLeast(Math.floor(arg) + 1);
  else if (relation === 'less_than' && num(arg)) atMost(Math.ceil(arg) - 1);
  else if (relation === 'is' && num(arg)) {
    atLeast(arg);
    atMost(arg);
  } else if (relation === 'between' && Array.isArray(arg) && num(arg[0]) && num(arg[1])) {
    atLeast(arg[0]);
    atMost(arg[1]);
  } else if (relation === 'in' && Array.isArray(arg) && arg.length && arg.every(num)) {
    atLeast(Math.min(...arg));
    atMost(Math.max(...arg));
  }
}

/**
 * The id bounds every match must lie in, from the top-level AND conditions on `id` (an event
 * poller's `id greater_than N`). Only narrows where to look; the filters still decide.
 */
export function idRange(filters: unknown, mode: FilterMode): IdRange {
  const range: IdRange = {};
  let conditions: unknown[] = [];
  if (Array.isArray(filters)) conditions = filters;
  else if (mode === 'hash' && typeof filters === 'object' && filters !== null) {
    const g = filters as Record<string, unknown>;
    if (g.logical_operator === 'and' && Array.isArray(g.conditions)) conditions = g.conditions;
  }
  for (const c of conditions) {
    if (Array.isArray(c) && c[0] === 'id' && c.length === 3) narrowById(range, c[1], c[2]);
  }
  return range;
}

/** Normalises `fields` (`"*"`, `"a,b"` or an array) to a list; undefined means all. */
export function parseFieldList(fields: unknown): string[] | undefined {
  const list = Array.isArray(fields) ? fields : typeof fields === 'string' ? fields.split(',') : [];
  const names = list
    .filter((f): f is string => typeof f === 'string')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!names.length || names.includes('*')) return undefined;
  return names;
}

/** The values of a dotted path as reads return them (single value unless the path fans out). */
export function readPath(
  store: EntityStore,
  def: EntityDef,
  rec: StoredRecord,
  path: string,
): { ok: true; value: unknown } | { ok: false } {
  const parsed = parsePath(def, path);
  if (!isPath(parsed)) return { ok: false };
  const values = resolve(store, rec, parsed).map((v) => store.present(v, parsed.leaf));
  return { ok: true, value: parsed.multi ? values : (values[0] ?? null) };
}
