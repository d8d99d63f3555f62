import { entityTypeOf } from './delivery-fields';
import type { Delivery } from '../client/api';
import { compileWildcards } from '../../util/wildcard';

/**
 * Routing one delivery by entity type: `entity.type`, or `meta.entity_type` for a retired
 * entity. Rows are tried in order and the first match wins; `undefined` means "otherwise" —
 * also for arrays (a batch not split upstream), non-objects and events without an entity.
 */
export function compileEntityRoutes(patterns: readonly string[]): (payload: unknown) => number | undefined {
  const rows = patterns.map((p) => compileWildcards([p]));
  return (payload) => {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
    const type = entityTypeOf(payload as Delivery);
    if (type === undefined) return undefined;
    const index = rows.findIndex((matches) => matches(type));
    return index === -1 ? undefined : index;
  };
}
