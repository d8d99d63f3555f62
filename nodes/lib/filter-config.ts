import { ConditionError, VALUE_OPERATORS, type EventConditions, type ValueCondition, type ValueOperator } from './event-match';
import { parseMatchEvents, MatchEventsSyntaxError } from './match-events';

/**
 * Turning the `fptr-event-filter` editor settings (lists typed as text, value rows with a
 * typedInput each) into `EventConditions`. Plain strings in, so flows stay hand-editable.
 */

/** One value row of the editor: operator, typedInput value and type. */
export interface ValueRule {
  op: string;
  v?: string;
  vt?: string;
}

export interface FilterSettings {
  eventTypes?: string;
  operations?: string;
  entityTypes?: string;
  projectIds?: string;
  attributeNames?: string;
  matchEvents?: string;
  values?: ValueRule[];
  ignoreApiUsers?: boolean;
  ignoreScriptIds?: string;
  onlyHumans?: boolean;
  ignoreUserIds?: string;
  ignoreInCreate?: boolean;
}

/** typedInput types a value row may use; the last three are read per message. */
export const VALUE_TYPES = ['str', 'num', 'json', 'env', 'msg', 'flow', 'global'] as const;
const PER_MESSAGE_TYPES: ReadonlySet<string> = new Set(['msg', 'flow', 'global']);

export function isPerMessageType(vt: string | undefined): boolean {
  return PER_MESSAGE_TYPES.has(vt ?? 'str');
}

/** FPTR names never contain commas or spaces, so either separates list items. */
export function splitList(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter((item) => item !== '');
}

function idList(text: string | undefined, what: string): number[] {
  return splitList(text).map((item) => {
    const n = Number(item);
    if (!Number.isInteger(n)) throw new ConditionError(`${what}: "${item}" is not an id`);
    return n;
  });
}

/**
 * `evaluate` reads a row's fixed value (str/num/json/env) the way Node-RED does; rows of
 * msg/flow/global types become dynamic and are read per message by the caller.
 */
export function conditionsFromSettings(s: FilterSettings, evaluate: (rule: ValueRule) => unknown): EventConditions {
  let matchEvents;
  if (s.matchEvents && s.matchEvents.trim() !== '') {
    try {
      matchEvents = parseMatchEvents(s.matchEvents);
    } catch (err) {
      if (err instanceof MatchEventsSyntaxError) throw new ConditionError(err.message);
      throw err;
    }
  }
  return {
    eventTypes: splitList(s.eventTypes),
    operations: splitList(s.operations),
    entityTypes: splitList(s.entityTypes),
    projectIds: idList(s.projectIds, 'project ids'),
    attributeNames: splitList(s.attributeNames),
    matchEvents,
    values: (s.values ?? []).map((rule, i) => valueCondition(rule, i, evaluate)),
    ignoreApiUsers: s.ignoreApiUsers === true,
    ignoreScriptIds: idList(s.ignoreScriptIds, 'script ids'),
    onlyHumans: s.onlyHumans === true,
    ignoreUserIds: idList(s.ignoreUserIds, 'user ids'),
    ignoreInCreate: s.ignoreInCreate === true,
  };
}

function valueCondition(rule: ValueRule, index: number, evaluate: (rule: ValueRule) => unknown): ValueCondition {
  const label = `value condition ${index + 1}`;
  if (!VALUE_OPERATORS.includes(rule.op as ValueOperator)) throw new ConditionError(`${label}: unknown operator "${rule.op}"`);
  const op = rule.op as ValueOperator;
  const vt = rule.vt ?? 'str';
  if (!(VALUE_TYPES as readonly string[]).includes(vt)) throw new ConditionError(`${label}: values of type "${vt}" are not supported`);
  if (isPerMessageType(vt)) return { op, dynamic: true, source: `${vt}.${rule.v ?? ''}` };
  let value: unknown;
  try {
    value = evaluate(rule);
  } catch (err) {
    throw new ConditionError(`${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value === 'number' && Number.isNaN(value)) throw new ConditionError(`${label}: "${rule.v}" is not a number`);
  return { op, value, source: vt === 'env' ? `env ${rule.v ?? ''}` : undefined };
}
