import type { Delivery } from '../contract';
import { isObject } from '../../util/is-object';
import { compileWildcards } from '../../util/wildcard';
import { entityTypeOf } from './delivery-fields';

/** The rows of the switch as saved: names or `*` patterns, blank rows left out. */
export function routePatterns(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((row): row is string => typeof row === 'string' && row.trim() !== '').map((row) => row.trim());
}

/**
 * Routing one delivery by entity type: `entity.type`, or `meta.entity_type` for a retired
 * entity. Rows are tried in order and the first match wins; `undefined` means "otherwise" —
 * also for arrays (a batch not split upstream), non-objects and events without an entity.
 */
export function compileEntityRoutes(patterns: readonly string[]): (payload: unknown) => number | undefined {
  const rows = patterns.map((p) => compileWildcards([p]));
  return (payload) => {
    if (!isObject(payload)) return undefined;
    // Any object will do: a payload built by hand may carry an entity without an event_type.
    const type = entityTypeOf(payload as Delivery);
    if (type === undefined) return undefined;
    const index = rows.findIndex((matches) => matches(type));
    return index === -1 ? undefined : index;
  };
}
