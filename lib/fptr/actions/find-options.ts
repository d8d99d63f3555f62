import { describeValue } from '../../util/describe-value';
import type { FilterCondition, FilterGroup, Filters, SearchOptions } from '../client/api';
import { InputError } from '../../util/errors';
import { isObject } from '../../util/is-object';
import { entityId } from '../contract';

/**
 * Validates and normalises what `fptr-find` gets from its node settings or the message into
 * `SearchOptions`. Mistakes are caught here with a message that points at the bad part, before
 * FPTR answers a terse 400.
 */

export class FindOptionError extends InputError {}

const LOGICAL = ['and', 'or'];

/** Settings may hold JSON text (an `str` typed input or a msg property holding text). */
function parsed(value: unknown, what: string): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new FindOptionError(`${what} is not valid JSON: ${describeValue(text)}`);
  }
}

export function parseEntityType(value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_]*$/.test(value.trim())) return value.trim();
  throw new FindOptionError(`entity type must be a name such as Task or CustomEntity03 (got ${describeValue(value)})`);
}

function checkCondition(cond: unknown, where: string): FilterCondition {
  if (Array.isArray(cond)) {
    if (cond.length !== 3 || typeof cond[0] !== 'string' || typeof cond[1] !== 'string') {
      throw new FindOptionError(`${where} must be [field, relation, value] (got ${describeValue(cond)})`);
    }
    return [cond[0], cond[1], cond[2]];
  }
  return checkGroup(cond, where);
}

function checkGroup(group: unknown, where: string): FilterGroup {
  if (!isObject(group)) {
    throw new FindOptionError(
      `${where} must be a [field, relation, value] condition or {logical_operator, conditions} (got ${describeValue(group)})`,
    );
  }
  const { logical_operator: op, conditions } = group;
  // FPTR only knows lowercase operators and answers "AND" with a 400.
  if (typeof op !== 'string' || !LOGICAL.includes(op)) {
    throw new FindOptionError(`${where}.logical_operator must be "and" or "or" (got ${describeValue(op)})`);
  }
  if (!Array.isArray(conditions)) throw new FindOptionError(`${where}.conditions must be an array`);
  return {
    logical_operator: op as FilterGroup['logical_operator'],
    conditions: conditions.map((c, i) => checkCondition(c, `${where}.conditions[${i}]`)),
  };
}

/** `[[field, relation, value], …]` (all must match) or `{logical_operator, conditions}`; empty = everything. */
export function parseFilters(value: unknown): Filters {
  const filters = parsed(value, 'filters');
  if (filters === undefined || filters === null) return [];
  if (Array.isArray(filters)) {
    return filters.map((c, i) => {
      const cond = checkCondition(c, `filters[${i}]`);
      if (!Array.isArray(cond)) {
        throw new FindOptionError(
          `filters[${i}]: a list of filters holds only [field, relation, value] conditions; wrap groups in {"logical_operator": "and", "conditions": [...]}`,
        );
      }
      return cond;
    });
  }
  return checkGroup(filters, 'filters');
}

/** The id of the record to read. */
export function parseRecordId(value: unknown, where: string): number {
  const id = entityId(value);
  if (id === undefined)
    throw new FindOptionError(`${where} must be a positive whole number (got ${describeValue(value)})`);
  return id;
}

/** `"code, sg_status_list"` or `["code", "sg_status_list"]`; empty means every field (`*`). */
export function parseFields(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',') : (value ?? []);
  if (!Array.isArray(list) || !list.every((f) => typeof f === 'string')) {
    throw new FindOptionError(
      `fields must be a comma-separated list or an array of field names (got ${describeValue(value)})`,
    );
  }
  const fields = list.map((f: string) => f.trim()).filter((f) => f !== '');
  return fields.length === 0 ? ['*'] : fields;
}

/**
 * FPTR's sort string (`"-updated_at,id"`), an array of such names, or the Python API's
 * `[{field_name, direction}]`.
 */
export function parseSort(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items))
    throw new FindOptionError(`sort must be text such as "-updated_at,id" or an array (got ${describeValue(value)})`);
  const keys = items
    .map((item: unknown, i) => {
      if (typeof item === 'string') return item.trim();
      if (
        item !== null &&
        typeof item === 'object' &&
        typeof (item as { field_name?: unknown }).field_name === 'string'
      ) {
        const { field_name: field, direction } = item as { field_name: string; direction?: unknown };
        return direction === 'desc' ? `-${field}` : field;
      }
      throw new FindOptionError(
        `sort[${i}] must be a field name or {field_name, direction} (got ${describeValue(item)})`,
      );
    })
    .filter((key) => key !== '');
  return keys.length === 0 ? undefined : keys.join(',');
}

/** 0 (or nothing) means all records, over as many pages as it takes. */
export function parseLimit(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : (value ?? 0);
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new FindOptionError(`limit must be a whole number, 0 for all records (got ${describeValue(value)})`);
  }
  return n === 0 ? undefined : n;
}

/** Which records a search returns: FPTR's `return_only` (the first is the default). */
export const RETURN_ONLY = ['active', 'retired'] as const;

export function parseReturnOnly(value: unknown): (typeof RETURN_ONLY)[number] {
  if (value === undefined || value === '') return RETURN_ONLY[0];
  const found = RETURN_ONLY.find((option) => option === value);
  if (found) return found;
  throw new FindOptionError(`return must be "active" or "retired" (got ${describeValue(value)})`);
}

export interface FindInput {
  filters?: unknown;
  fields?: unknown;
  sort?: unknown;
  limit?: unknown;
  returnOnly?: unknown;
}

export function buildSearchOptions(input: FindInput): SearchOptions {
  const options: SearchOptions = {
    filters: parseFilters(input.filters),
    fields: parseFields(input.fields),
    returnOnly: parseReturnOnly(input.returnOnly),
  };
  const sort = parseSort(input.sort);
  if (sort !== undefined) options.sort = sort;
  const limit = parseLimit(input.limit);
  if (limit !== undefined) options.limit = limit;
  return options;
}
