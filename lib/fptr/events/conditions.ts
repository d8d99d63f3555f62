import { OPERATIONS, type Delivery, type EntityRef, type Operation } from '../contract';
import { compileWildcards } from '../../util/wildcard';
import { actorsOf, attributeNameOf, entityTypeOf, metaOf, projectIdOf } from './delivery-fields';
import { describeValue } from '../../util/describe-value';
import { asLinkPattern, asOneOfList, linkMatches, valuesEqual, type LinkPattern } from './value-match';
import { NOT_EVENT_TYPES, type MatchEventsMap } from './match-events';
import { InputError } from '../../util/errors';

/**
 * Deciding whether one FPTR delivery passes a set of conditions. Plain functions over the
 * `Delivery` shape so the filter node and the event-log poller share them. Conditions are
 * compiled once into a list of checks; a check returns the reason it failed, or undefined.
 */

/** Entity lifecycle events only: `Webhook_Status_Change` is no entity update. */
const ENTITY_EVENT = /^Shotgun_[A-Za-z0-9]+_(New|Change|Retirement|Revival)$/;
const OPERATION_BY_SUFFIX: Readonly<Record<string, Operation>> = {
  New: 'create',
  Change: 'update',
  Retirement: 'delete',
  Revival: 'revive',
};

export type ValueOperator =
  | 'new-equals'
  | 'old-equals'
  | 'new-in'
  | 'old-in'
  | 'changed-to'
  | 'changed-from'
  | 'added-contains'
  | 'removed-contains';
export const VALUE_OPERATORS: readonly ValueOperator[] = [
  'new-equals',
  'old-equals',
  'new-in',
  'old-in',
  'changed-to',
  'changed-from',
  'added-contains',
  'removed-contains',
];

export interface ValueCondition {
  op: ValueOperator;
  /** The value to compare with; unused when `dynamic`. */
  value?: unknown;
  /** The value differs per event: the caller passes it in `MatchContext.values` at this condition's index. */
  dynamic?: boolean;
  /** How the value was given (e.g. `msg.expected`), for reasons. */
  source?: string;
}

/** All optional and AND-ed; an empty list is no condition. */
export interface EventConditions {
  /** Exact names or `*` wildcards (`Shotgun_Task_*`, `*_Change`). */
  eventTypes?: readonly string[];
  operations?: readonly string[];
  /** `entity.type`, or `meta.entity_type` for retired entities; `*` wildcards allowed. */
  entityTypes?: readonly string[];
  projectIds?: readonly number[];
  /** Exact field names; `*` = any. */
  attributeNames?: readonly string[];
  /** shotgunEvents' `matchEvents`: passes when any matching event type pattern lists the field. */
  matchEvents?: MatchEventsMap;
  values?: readonly ValueCondition[];
  /** Drop events by an ApiUser, also when a script acted as a person (`meta.sudo_actual_user`). */
  ignoreApiUsers?: boolean;
  /** ApiUser ids whose events (direct or via sudo) are dropped. */
  ignoreScriptIds?: readonly number[];
  /** Pass only events by a HumanUser acting for themself. */
  onlyHumans?: boolean;
  /** HumanUser ids whose events are dropped. */
  ignoreUserIds?: readonly number[];
  /** Drop the per-field Change events FPTR logs while creating an entity (`meta.in_create`). */
  ignoreInCreate?: boolean;
}

/** Drop events made by this user (as `user` or as `meta.sudo_actual_user`), or by any ApiUser while it is unknown. */
export type LoopGuard = { user: EntityRef } | { anyApiUser: true };

export interface MatchContext {
  loopGuard?: LoopGuard;
  /** Values of the dynamic value conditions for this event, indexed like `EventConditions.values`. */
  values?: readonly unknown[];
}

export interface MatchResult {
  matched: boolean;
  /** Why it did not match, in plain words. */
  reason?: string;
}

export interface EventMatcher {
  match(delivery: Delivery, ctx?: MatchContext): MatchResult;
  /** Indexes of the value conditions whose value the caller must supply per event. */
  readonly dynamicValueIndexes: readonly number[];
}

/** A condition set that cannot work as configured (bad operation, unusable value...). */
export class ConditionError extends InputError {}

type Check = (delivery: Delivery, ctx: MatchContext) => string | undefined;

const MATCHED: MatchResult = Object.freeze({ matched: true });

/** `operation`, or the one implied by a `Shotgun_<Type>_New/_Change/_Retirement/_Revival` event type (event log rows have none). */
export function operationOf(delivery: Delivery): string | undefined {
  if (typeof delivery.operation === 'string' && delivery.operation !== '') return delivery.operation;
  const suffix = ENTITY_EVENT.exec(eventTypeOf(delivery))?.[1];
  return suffix === undefined ? undefined : OPERATION_BY_SUFFIX[suffix];
}

function eventTypeOf(delivery: Delivery): string {
  return typeof delivery.event_type === 'string' ? delivery.event_type : '';
}

function describeRef(ref: EntityRef | undefined): string {
  return ref ? `${ref.type} ${ref.id}` : 'nobody';
}

function sameRef(a: EntityRef | undefined, b: EntityRef): boolean {
  return a !== undefined && a.type === b.type && a.id === b.id;
}

function nonEmpty<T>(list: readonly T[] | undefined): list is readonly T[] {
  return list !== undefined && list.length > 0;
}

function numberSet(list: readonly number[], what: string): Set<number> {
  for (const n of list) {
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new ConditionError(`${what}: ${describeValue(n)} is not a number`);
  }
  return new Set(list);
}

function eventTypeCheck(patterns: readonly string[]): Check {
  const matches = compileWildcards(patterns);
  return (d) =>
    matches(eventTypeOf(d)) ? undefined : `event type ${describeValue(eventTypeOf(d))} is not ${patterns.join(', ')}`;
}

function operationCheck(operations: readonly string[]): Check {
  for (const op of operations) {
    if (!(OPERATIONS as readonly string[]).includes(op)) {
      throw new ConditionError(`operation ${describeValue(op)} is not one of ${OPERATIONS.join(', ')}`);
    }
  }
  const wanted = new Set(operations);
  return (d) => {
    const op = operationOf(d);
    return op !== undefined && wanted.has(op)
      ? undefined
      : `operation ${op ?? 'unknown'} is not ${operations.join(', ')}`;
  };
}

function entityTypeCheck(patterns: readonly string[]): Check {
  const matches = compileWildcards(patterns);
  return (d) => {
    const type = entityTypeOf(d);
    return type !== undefined && matches(type)
      ? undefined
      : `entity type ${type ?? 'unknown'} is not ${patterns.join(', ')}`;
  };
}

function projectCheck(ids: readonly number[]): Check {
  const wanted = numberSet(ids, 'project id');
  return (d) => {
    const id = projectIdOf(d);
    return id !== undefined && wanted.has(id) ? undefined : `project ${id ?? 'none'} is not ${ids.join(', ')}`;
  };
}

function attributeCheck(names: readonly string[]): Check | undefined {
  if (names.includes('*')) return undefined;
  const wanted = new Set(names);
  return (d) => {
    const name = attributeNameOf(d);
    return name !== undefined && wanted.has(name) ? undefined : `field ${name ?? 'none'} is not ${names.join(', ')}`;
  };
}

/**
 * Attribute names per pattern; `null` = any. A bare string is one exact name (never a substring
 * test). An empty map is no condition, as in shotgunEvents; a map that only looks empty because
 * its keys went into the prototype (`{__proto__: [...]}`) is refused instead of matching everything.
 */
function matchEventsCheck(map: MatchEventsMap): Check | undefined {
  const proto: unknown = Object.getPrototypeOf(map);
  if (proto !== null && proto !== Object.prototype)
    throw new ConditionError('matchEvents: expected a plain {"event type": [attribute names]} map');
  const notEventType = Object.keys(map).find((key) => NOT_EVENT_TYPES.has(key));
  if (notEventType !== undefined)
    throw new ConditionError(`matchEvents: ${JSON.stringify(notEventType)} is not an event type`);
  if (Object.keys(map).length === 0) return undefined;
  const entries = Object.entries(map).map(([pattern, attrs]) => {
    const list = typeof attrs === 'string' ? [attrs] : attrs;
    if (list !== null && list.length === 0) {
      throw new ConditionError(`matchEvents: "${pattern}" lists no fields; use ['*'] or None for any field`);
    }
    const any = list === null || list.includes('*');
    return { matches: compileWildcards([pattern]), fields: any ? null : new Set(list) };
  });
  return (d) => {
    const eventType = eventTypeOf(d);
    const name = attributeNameOf(d);
    let typeListed = false;
    for (const entry of entries) {
      if (!entry.matches(eventType)) continue;
      typeListed = true;
      if (entry.fields === null || (name !== undefined && entry.fields.has(name))) return undefined;
    }
    return typeListed
      ? `matchEvents: field ${name ?? 'none'} is not listed for ${eventType}`
      : `matchEvents: event type ${describeValue(eventType)} is not listed`;
  };
}

function inCreateCheck(): Check {
  return (d) => (metaOf(d)?.in_create === true ? 'change made while creating the entity (in_create)' : undefined);
}

function userChecks(c: EventConditions): Check[] {
  const checks: Check[] = [];
  if (c.ignoreApiUsers) {
    checks.push((d) => {
      const { user, sudoActualUser } = actorsOf(d);
      if (user?.type === 'ApiUser') return `made by a script (${describeRef(user)})`;
      if (sudoActualUser?.type === 'ApiUser')
        return `made by a script (${describeRef(sudoActualUser)}) acting as ${describeRef(user)}`;
      return undefined;
    });
  }
  if (nonEmpty(c.ignoreScriptIds)) {
    const ids = numberSet(c.ignoreScriptIds, 'script id');
    const ignored = (ref: EntityRef | undefined): boolean => ref?.type === 'ApiUser' && ids.has(ref.id);
    checks.push((d) => {
      const { user, sudoActualUser } = actorsOf(d);
      if (ignored(user)) return `made by ignored script ${describeRef(user)}`;
      if (ignored(sudoActualUser)) return `made by ignored script ${describeRef(sudoActualUser)}`;
      return undefined;
    });
  }
  if (c.onlyHumans) {
    checks.push((d) => {
      const { user, sudoActualUser } = actorsOf(d);
      if (user?.type !== 'HumanUser') return `not made by a person (${describeRef(user)})`;
      if (sudoActualUser !== undefined) return `made by ${describeRef(sudoActualUser)} acting as ${describeRef(user)}`;
      return undefined;
    });
  }
  if (nonEmpty(c.ignoreUserIds)) {
    const ids = numberSet(c.ignoreUserIds, 'user id');
    checks.push((d) => {
      const { user } = actorsOf(d);
      return user?.type === 'HumanUser' && ids.has(user.id) ? `made by ignored user ${describeRef(user)}` : undefined;
    });
  }
  return checks;
}

const loopGuardCheck: Check = (d, ctx) => {
  const guard = ctx.loopGuard;
  if (!guard) return undefined;
  const { user, sudoActualUser } = actorsOf(d);
  if ('user' in guard) {
    if (sameRef(user, guard.user) || sameRef(sudoActualUser, guard.user)) {
      return `loop guard: made by this site's own user (${describeRef(guard.user)})`;
    }
    return undefined;
  }
  if (user?.type === 'ApiUser' || sudoActualUser?.type === 'ApiUser') {
    return `loop guard: made by a script (${describeRef(sudoActualUser ?? user)}) while the site's own user is unknown`;
  }
  return undefined;
};

/** What a value operator compares with, ready to use; a string when the value is unusable. */
type Prepared =
  { kind: 'value'; value: unknown } | { kind: 'list'; values: unknown[] } | { kind: 'link'; pattern: LinkPattern };

function prepare(op: ValueOperator, value: unknown): Prepared | string {
  if (value === undefined) return 'no value given';
  switch (op) {
    case 'new-in':
    case 'old-in': {
      const values = asOneOfList(value);
      return values && values.length > 0 ? { kind: 'list', values } : 'an empty list';
    }
    case 'added-contains':
    case 'removed-contains': {
      const pattern = asLinkPattern(value);
      return pattern ? { kind: 'link', pattern } : `${describeValue(value)} is neither a link {type, id} nor an id`;
    }
    default:
      return { kind: 'value', value };
  }
}

function valueCheck(cond: ValueCondition, index: number): Check {
  const { op } = cond;
  if (!VALUE_OPERATORS.includes(op))
    throw new ConditionError(`value condition ${index + 1}: unknown operator ${describeValue(op)}`);
  const label = `value condition ${index + 1} (${op}${cond.source ? ` ${cond.source}` : ''})`;
  let fixed: Prepared | undefined;
  if (!cond.dynamic) {
    const prepared = prepare(op, cond.value);
    if (typeof prepared === 'string') throw new ConditionError(`${label}: ${prepared}`);
    fixed = prepared;
  }
  return (d, ctx) => {
    let expected = fixed;
    if (!expected) {
      const prepared = prepare(op, ctx.values?.[index]);
      if (typeof prepared === 'string') return `${label}: ${prepared}`;
      expected = prepared;
    }
    const meta = metaOf(d);
    return compare(op, expected, meta) ? undefined : `${label}: ${describeChange(op, meta)}`;
  };
}

function compare(op: ValueOperator, expected: Prepared, meta: Record<string, unknown> | undefined): boolean {
  if (!meta) return false;
  const newValue = meta.new_value;
  const oldValue = meta.old_value;
  switch (expected.kind) {
    case 'list': {
      const actual = op === 'new-in' ? newValue : oldValue;
      return expected.values.some((v) => valuesEqual(actual, v));
    }
    case 'link': {
      const list = op === 'added-contains' ? meta.added : meta.removed;
      return Array.isArray(list) && list.some((item) => linkMatches(item, expected.pattern));
    }
    case 'value':
      switch (op) {
        case 'new-equals':
          return valuesEqual(newValue, expected.value);
        case 'old-equals':
          return valuesEqual(oldValue, expected.value);
        case 'changed-to':
          return valuesEqual(newValue, expected.value) && !valuesEqual(oldValue, expected.value);
        case 'changed-from':
          return valuesEqual(oldValue, expected.value) && !valuesEqual(newValue, expected.value);
        default:
          return false;
      }
  }
}

function describeChange(op: ValueOperator, meta: Record<string, unknown> | undefined): string {
  if (!meta) return 'event has no meta';
  if (op === 'added-contains' || op === 'removed-contains') {
    const key = op === 'added-contains' ? 'added' : 'removed';
    return `${key} was ${describeValue(meta[key])}`;
  }
  const truncated = typeof meta.warning === 'string' ? ' (values removed by FPTR, see meta.warning)' : '';
  return `old ${describeValue(meta.old_value)}, new ${describeValue(meta.new_value)}${truncated}`;
}

/** Compiles once; throws `ConditionError` for a condition set that cannot work. */
export function compileConditions(c: EventConditions): EventMatcher {
  const checks: Check[] = [];
  if (nonEmpty(c.eventTypes)) checks.push(eventTypeCheck(c.eventTypes));
  if (nonEmpty(c.operations)) checks.push(operationCheck(c.operations));
  if (nonEmpty(c.entityTypes)) checks.push(entityTypeCheck(c.entityTypes));
  if (nonEmpty(c.projectIds)) checks.push(projectCheck(c.projectIds));
  const attribute = nonEmpty(c.attributeNames) ? attributeCheck(c.attributeNames) : undefined;
  if (attribute) checks.push(attribute);
  const matchEvents = c.matchEvents ? matchEventsCheck(c.matchEvents) : undefined;
  if (matchEvents) checks.push(matchEvents);
  if (c.ignoreInCreate) checks.push(inCreateCheck());
  checks.push(...userChecks(c), loopGuardCheck);
  const values = c.values ?? [];
  values.forEach((cond, i) => checks.push(valueCheck(cond, i)));
  const dynamicValueIndexes = values.flatMap((cond, i) => (cond.dynamic ? [i] : []));
  const noContext: MatchContext = {};

  return {
    dynamicValueIndexes,
    match(delivery, ctx = noContext) {
      for (const check of checks) {
        const reason = check(delivery, ctx);
        if (reason !== undefined) return { matched: false, reason };
      }
      return MATCHED;
    },
  };
}
