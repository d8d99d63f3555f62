import {
  compileConditions,
  ConditionError,
  VALUE_OPERATORS,
  type EventConditions,
  type ValueCondition,
  type ValueOperator,
} from './conditions';
import { describeValue } from '../../util/describe-value';
import { parseMatchEvents, MatchEventsSyntaxError, type MatchEventsMap } from './match-events';

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
function splitList(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter((item) => item !== '');
}

/** A setting the editor always writes as text; a hand-edited flow may hold anything. */
function textSetting(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value ?? undefined;
  throw new ConditionError(`${what} must be text (got ${describeValue(value)})`);
}

function nameList(value: unknown, what: string): string[] {
  return splitList(textSetting(value, what));
}

function idList(value: unknown, what: string): number[] {
  return nameList(value, what).map((item) => {
    const n = Number(item);
    if (!Number.isInteger(n)) throw new ConditionError(`${what}: "${item}" is not an id`);
    return n;
  });
}

/** The matchEvents setting: empty, or a map written as JSON or a Python literal. */
function matchEventsSetting(value: unknown): MatchEventsMap | undefined {
  const text = textSetting(value, 'matchEvents');
  if (!text || text.trim() === '') return undefined;
  try {
    return parseMatchEvents(text);
  } catch (err) {
    if (err instanceof MatchEventsSyntaxError) throw new ConditionError(err.message);
    throw err;
  }
}

/**
 * The settings the editor checks, each read as the runtime reads it (a ConditionError names
 * the problem); lib/editor hands these very functions to the dialog.
 */
export const FILTER_SETTING_RULES = {
  projectIds: (value: unknown): number[] => idList(value, 'project ids'),
  ignoreScriptIds: (value: unknown): number[] => idList(value, 'script ids'),
  ignoreUserIds: (value: unknown): number[] => idList(value, 'user ids'),
  /** Parsed and compiled: a map can parse and still be unusable (a pattern listing no fields). */
  matchEvents: (value: unknown): void => {
    compileConditions({ matchEvents: matchEventsSetting(value) });
  },
} as const;

/**
 * `evaluate` reads a row's fixed value (str/num/json/env) the way Node-RED does; rows of
 * msg/flow/global types become dynamic and are read per message by the caller.
 */
export function conditionsFromSettings(s: FilterSettings, evaluate: (rule: ValueRule) => unknown): EventConditions {
  const matchEvents = matchEventsSetting(s.matchEvents);
  const rules: unknown = s.values ?? [];
  if (!Array.isArray(rules)) throw new ConditionError(`value conditions must be a list (got ${describeValue(rules)})`);
  return {
    eventTypes: nameList(s.eventTypes, 'event types'),
    operations: nameList(s.operations, 'operations'),
    entityTypes: nameList(s.entityTypes, 'entity types'),
    projectIds: FILTER_SETTING_RULES.projectIds(s.projectIds),
    attributeNames: nameList(s.attributeNames, 'fields'),
    matchEvents,
    values: rules.map((rule: unknown, i) => valueCondition(rule, i, evaluate)),
    ignoreApiUsers: s.ignoreApiUsers === true,
    ignoreScriptIds: FILTER_SETTING_RULES.ignoreScriptIds(s.ignoreScriptIds),
    onlyHumans: s.onlyHumans === true,
    ignoreUserIds: FILTER_SETTING_RULES.ignoreUserIds(s.ignoreUserIds),
    ignoreInCreate: s.ignoreInCreate === true,
  };
}

function valueCondition(row: unknown, index: number, evaluate: (rule: ValueRule) => unknown): ValueCondition {
  const label = `value condition ${index + 1}`;
  if (row === null || typeof row !== 'object' || Array.isArray(row))
    throw new ConditionError(`${label} must be an {op, v, vt} row (got ${describeValue(row)})`);
  const rule = row as ValueRule;
  if (!VALUE_OPERATORS.includes(rule.op as ValueOperator))
    throw new ConditionError(`${label}: unknown operator "${rule.op}"`);
  const op = rule.op as ValueOperator;
  const vt = rule.vt ?? 'str';
  if (!(VALUE_TYPES as readonly string[]).includes(vt))
    throw new ConditionError(`${label}: values of type "${vt}" are not supported`);
  if (isPerMessageType(vt)) return { op, dynamic: true, source: `${vt}.${rule.v ?? ''}` };
  let value: unknown;
  try {
    value = evaluate(rule);
  } catch (err) {
    throw new ConditionError(`${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value === 'number' && Number.isNaN(value))
    throw new ConditionError(`${label}: "${rule.v}" is not a number`);
  return { op, value, source: vt === 'env' ? `env ${rule.v ?? ''}` : undefined };
}
