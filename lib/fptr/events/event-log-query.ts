import type { FilterCondition, Filters } from '../client/api';
import type { Delivery } from '../contract';
import { compileWildcards } from '../../util/wildcard';
import { entityTypeOf, projectIdOf } from './delivery-fields';

/**
 * Which EventLogEntry rows an `fptr-events-in` node wants, as FPTR query filters plus the exact
 * local test. The query only narrows what the site sends: it may let more rows through (text
 * comparisons on a site ignore case, a glob with several stars is approximated), and a site may
 * ignore a filter silently (fptr-api.md §3.4), so every row is tested again here.
 */

export interface EventLogFilter {
  /** Exact event type names or `*` globs (`Shotgun_Task_*`); empty: every type. */
  eventTypes: readonly string[];
  /** Project ids; empty: every project (and events without one). */
  projects: readonly number[];
  /** Entity type names (`Task`); empty: every entity type (and events without one). */
  entityTypes: readonly string[];
}

export interface EventLogQuery {
  /** Conditions to AND with the id condition; empty when the query filters nothing. */
  conditions: FilterCondition[];
  /** The exact test, case-sensitive like FPTR's names. */
  matches(row: Delivery): boolean;
}

/** One glob as a condition that every name it matches also meets (a superset of its matches). */
function globCondition(pattern: string): FilterCondition | undefined {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return ['event_type', 'is', pattern];
  const head = pieces[0];
  const tail = pieces[pieces.length - 1];
  const parts: FilterCondition[] = [];
  if (head !== '') parts.push(['event_type', 'starts_with', head]);
  if (tail !== '') parts.push(['event_type', 'ends_with', tail]);
  for (const middle of pieces.slice(1, -1)) if (middle !== '') parts.push(['event_type', 'contains', middle]);
  if (parts.length === 0) return undefined; // only stars: every name
  return parts.length === 1 ? parts[0] : { logical_operator: 'and', conditions: parts };
}

function eventTypeCondition(patterns: readonly string[]): FilterCondition | undefined {
  if (patterns.length === 0) return undefined;
  if (patterns.every((p) => !p.includes('*'))) return ['event_type', 'in', [...patterns]];
  const parts: FilterCondition[] = [];
  for (const pattern of patterns) {
    const condition = globCondition(pattern);
    if (condition === undefined) return undefined;
    parts.push(condition);
  }
  return parts.length === 1 ? parts[0] : { logical_operator: 'or', conditions: parts };
}

/**
 * An entity type shows in the row's `entity` link, but once the entity is retired its rows read
 * `entity: null` (fptr-api.md §6.2) and only `meta` names the type, which a query cannot filter
 * on. Rows without an entity therefore pass the query, and the local test reads their `meta`.
 */
function entityTypeCondition(types: readonly string[]): FilterCondition | undefined {
  if (types.length === 0) return undefined;
  return {
    logical_operator: 'or',
    conditions: [['entity', 'is', null], ...types.map((type): FilterCondition => ['entity', 'type_is', type])],
  };
}

export function eventLogQuery(filter: EventLogFilter): EventLogQuery {
  const conditions: FilterCondition[] = [];
  const eventTypes = eventTypeCondition(filter.eventTypes);
  if (eventTypes) conditions.push(eventTypes);
  if (filter.projects.length > 0)
    conditions.push(['project', 'in', filter.projects.map((id) => ({ type: 'Project', id }))]);
  const entityTypes = entityTypeCondition(filter.entityTypes);
  if (entityTypes) conditions.push(entityTypes);

  const typeMatches = filter.eventTypes.length > 0 ? compileWildcards(filter.eventTypes) : undefined;
  const projects = filter.projects.length > 0 ? new Set(filter.projects) : undefined;
  const entityTypeSet = filter.entityTypes.length > 0 ? new Set(filter.entityTypes) : undefined;
  const matches = (row: Delivery): boolean => {
    if (typeMatches && !typeMatches(row.event_type)) return false;
    if (projects) {
      const project = projectIdOf(row);
      if (project === undefined || !projects.has(project)) return false;
    }
    if (entityTypeSet) {
      const type = entityTypeOf(row);
      if (type === undefined || !entityTypeSet.has(type)) return false;
    }
    return true;
  };
  return { conditions, matches };
}

/**
 * `[[id …], …conditions]` in the form the site reads: the array form when every condition is a
 * triple, else the hash form (an `and` group), which nested `or` groups need.
 */
export function withIdCondition(id: [string, string, unknown], conditions: readonly FilterCondition[]): Filters {
  const all: FilterCondition[] = [id, ...conditions];
  if (all.every(Array.isArray)) return all as Array<[string, string, unknown]>;
  return { logical_operator: 'and', conditions: all };
}
