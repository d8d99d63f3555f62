import type { FilterCondition, Filters, FlatRecord } from '../client/api';

/**
 * Decides locally whether a record FPTR returned matches a set of filters — but only where the
 * answer is certain whatever FPTR's fine print (case, NULL handling, date formats): such
 * questions answer `undefined`, "cannot tell", and the caller must ask FPTR itself.
 * Conditions combine with Kleene's three-valued logic, so one unknown part decides only when
 * the other parts leave the answer open.
 */
export type Truth = boolean | undefined;

const RELATIONS = new Set([
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
]);
const TEXT_RELATIONS = new Set(['contains', 'not_contains', 'starts_with', 'ends_with']);

/** A field, or a dotted path through links (`step.Step.code`); `type` is no field. */
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `YYYY-MM-DD…`: FPTR compares such values as dates, which text comparison cannot mirror. */
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

type Link = { type: string; id: number };

function isLink(value: unknown): value is Link {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as { type?: unknown; id?: unknown };
  return typeof v.type === 'string' && typeof v.id === 'number';
}

function isPlainValue(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    isLink(value)
  );
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function argumentFits(relation: string, arg: unknown): boolean {
  switch (relation) {
    case 'is':
    case 'is_not':
      return isPlainValue(arg);
    case 'in':
    case 'not_in':
      return Array.isArray(arg) && arg.length > 0 && arg.every(isPlainValue);
    case 'greater_than':
    case 'less_than':
      return isNumber(arg);
    case 'between':
      return Array.isArray(arg) && arg.length === 2 && isNumber(arg[0]) && isNumber(arg[1]);
    default:
      return TEXT_RELATIONS.has(relation) && typeof arg === 'string' && arg !== '';
  }
}

/**
 * The field paths the filters read, or undefined when a condition is one this module cannot
 * judge (another relation, an odd argument): such filters must go to FPTR alone.
 */
export function localPaths(filters: Filters): string[] | undefined {
  const paths = new Set<string>();
  const visit = (condition: FilterCondition): boolean => {
    if (!Array.isArray(condition)) return condition.conditions.length > 0 && condition.conditions.every(visit);
    const [path, relation, arg] = condition;
    if (path === 'type' || !PATH.test(path) || !RELATIONS.has(relation) || !argumentFits(relation, arg)) return false;
    paths.add(path);
    return true;
  };
  const conditions = Array.isArray(filters) ? filters : [filters];
  if (conditions.length === 0 || !conditions.every(visit)) return undefined;
  return [...paths];
}

/** Whether `record` matches `filters`; see the module comment for `undefined`. */
export function evaluate(filters: Filters, record: FlatRecord): Truth {
  return Array.isArray(filters) ? all(filters.map((c) => condition(c, record))) : condition(filters, record);
}

function condition(c: FilterCondition, record: FlatRecord): Truth {
  if (!Array.isArray(c)) {
    const parts = c.conditions.map((part) => condition(part, record));
    return c.logical_operator === 'and' ? all(parts) : any(parts);
  }
  const [path, relation, arg] = c;
  if (path !== 'id' && !Object.prototype.hasOwnProperty.call(record, path)) return undefined;
  return holds(relation, path === 'id' ? record.id : record[path], arg);
}

function holds(relation: string, value: unknown, arg: unknown): Truth {
  switch (relation) {
    case 'is':
      return is(value, arg);
    case 'in':
      return any((arg as unknown[]).map((a) => is(value, a)));
    case 'is_not':
      return negatable(value) ? not(is(value, arg)) : undefined;
    case 'not_in':
      return negatable(value) ? not(any((arg as unknown[]).map((a) => is(value, a)))) : undefined;
    case 'greater_than':
    case 'less_than':
    case 'between':
      return compare(relation, value, arg);
    case 'not_contains':
      return negatable(value) ? not(text('contains', value, arg as string)) : undefined;
    default:
      return text(relation, value, arg as string);
  }
}

/**
 * Negations are certain only for a single non-empty value: how FPTR treats NULL
 * (SQL would exclude it) and several linked entities ("none" or "not all") is not documented.
 */
function negatable(value: unknown): boolean {
  return value !== null && value !== undefined && !Array.isArray(value);
}

function is(value: unknown, arg: unknown): Truth {
  if (arg === null) {
    if (value === null) return true;
    // Empty text, unticked boxes, zero and empty link lists may or may not count as "no value".
    if (value === '' || value === false || value === 0 || Array.isArray(value)) return undefined;
    return false;
  }
  if (Array.isArray(value)) {
    // A multi-entity field matches a link when any of its links is that one.
    if (!isLink(arg) || !value.every(isLink)) return undefined;
    return value.some((v) => v.type === arg.type && v.id === arg.id);
  }
  if (value === null) return arg === '' || arg === false || arg === 0 ? undefined : false;
  if (isLink(arg)) return isLink(value) ? value.type === arg.type && value.id === arg.id : undefined;
  if (typeof arg === 'string') {
    if (typeof value !== 'string') return undefined;
    if (value === arg) return true;
    // FPTR may compare text without case, and dates as dates.
    if (value.toLowerCase() === arg.toLowerCase() || DATE_LIKE.test(value) || DATE_LIKE.test(arg)) return undefined;
    return false;
  }
  return typeof value === typeof arg && !isLink(value) ? value === arg : undefined;
}

function compare(relation: string, value: unknown, arg: unknown): Truth {
  if (value === null) return false;
  if (!isNumber(value)) return undefined;
  if (relation === 'greater_than') return value > (arg as number);
  if (relation === 'less_than') return value < (arg as number);
  const [low, high] = arg as [number, number];
  return value >= low && value <= high;
}

function text(relation: string, value: unknown, arg: string): Truth {
  if (value === null) return false;
  if (typeof value !== 'string' || DATE_LIKE.test(value)) return undefined;
  const exact = textHolds(relation, value, arg);
  return exact === textHolds(relation, value.toLowerCase(), arg.toLowerCase()) ? exact : undefined;
}

function textHolds(relation: string, value: string, arg: string): boolean {
  if (relation === 'starts_with') return value.startsWith(arg);
  if (relation === 'ends_with') return value.endsWith(arg);
  return value.includes(arg);
}

function not(t: Truth): Truth {
  return t === undefined ? undefined : !t;
}

function all(parts: Truth[]): Truth {
  if (parts.includes(false)) return false;
  return parts.includes(undefined) ? undefined : true;
}

function any(parts: Truth[]): Truth {
  if (parts.includes(true)) return true;
  return parts.includes(undefined) ? undefined : false;
}
