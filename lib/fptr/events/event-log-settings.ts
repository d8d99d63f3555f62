import { describeValue } from '../../util/describe-value';
import type { EventLogFilter } from './event-log-query';

/**
 * The `fptr-events-in` properties (issue 14; the names are public) read from a flow: the editor
 * writes numbers as text and lists as arrays, a hand-edited or generated flow may hold anything.
 * Empty means the default; anything unusable is refused by name.
 */

export type StartPoint = { kind: 'now' } | { kind: 'id'; id: number } | { kind: 'since'; since: Date };
export type CommitMode = 'emit' | 'ack';
export type FailureMode = 'retry' | 'stop';

export interface EventLogSettings {
  start: StartPoint;
  intervalMs: number;
  pageSize: number;
  filter: EventLogFilter;
  gapWindowMs: number;
  commit: CommitMode;
  maxInFlight: number;
  onFailure: FailureMode;
  retries: number;
  /** Run as the event-log backstop of an fptr-webhook-in node (issue 15; public names backstopFor, backstopGrace). */
  backstop?: BackstopSettings;
}

export interface BackstopSettings {
  /** Id of the fptr-webhook-in node whose missed events this node sends. */
  webhookNode: string;
  /** How long an event-log event waits for the webhook to deliver it. */
  graceMs: number;
}

export interface RawEventLogSettings {
  start?: unknown;
  startId?: unknown;
  since?: unknown;
  interval?: unknown;
  pageSize?: unknown;
  eventTypes?: unknown;
  projects?: unknown;
  entityTypes?: unknown;
  gapWindow?: unknown;
  commit?: unknown;
  maxInFlight?: unknown;
  onFailure?: unknown;
  retries?: unknown;
  backstopFor?: unknown;
  backstopGrace?: unknown;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export const DEFAULTS = {
  intervalSeconds: 5,
  pageSize: 500,
  gapWindowSeconds: 300,
  maxInFlight: 1,
  retries: 3,
  backstopGraceSeconds: 120,
} as const;

/** FPTR refuses pages above 5000 rows (fptr-api.md §2.11). */
export const MAX_PAGE_SIZE = 5000;
/** More unfinished events than this would make the stored cursor large; the daemon has one. */
export const MAX_IN_FLIGHT = 1000;
const MAX_RETRIES = 100;
const MAX_INTERVAL_SECONDS = 86_400;
const MAX_GAP_WINDOW_SECONDS = 86_400;
const MAX_BACKSTOP_GRACE_SECONDS = 86_400;
/** Below this the node would poll a site in a tight loop. */
const MIN_INTERVAL_SECONDS = 0.05;
const MAX_LIST = 1000;
const ENTITY_TYPE = /^[A-Za-z][A-Za-z0-9_]*$/;

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function numberSetting(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
  whole: boolean,
): number {
  if (isEmpty(value)) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n) || n < min || n > max || (whole && !Number.isInteger(n))) {
    throw new SettingsError(
      `${name} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${describeValue(value)})`,
    );
  }
  return n;
}

function choice<T extends string>(value: unknown, name: string, options: readonly T[], fallback: T): T {
  if (isEmpty(value)) return fallback;
  if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
  throw new SettingsError(`${name} must be one of ${options.join(', ')} (got ${describeValue(value)})`);
}

/** A list property: an array (what the editor writes) or comma/space separated text. */
function listSetting(value: unknown, name: string): unknown[] {
  if (isEmpty(value)) return [];
  const items = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(/[\s,]+/).filter((s) => s !== '')
      : undefined;
  if (!items) throw new SettingsError(`${name} must be a list (got ${describeValue(value)})`);
  if (items.length > MAX_LIST)
    throw new SettingsError(`${name} may hold at most ${MAX_LIST} entries (got ${items.length})`);
  return items;
}

/** One `eventTypes` entry: an exact name or a `*` pattern. */
function eventType(item: unknown): string {
  if (typeof item !== 'string' || item.trim() === '')
    throw new SettingsError(`eventTypes: each entry must be a name or pattern (got ${describeValue(item)})`);
  return item.trim();
}

/** One `projects` entry: a project id (the editor keeps it as text). */
function project(item: unknown): number {
  const n =
    typeof item === 'number' ? item : typeof item === 'string' && item.trim() !== '' ? Number(item.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new SettingsError(`projects: each entry must be a project id (got ${describeValue(item)})`);
  return n;
}

/** One `entityTypes` entry: an entity type name. */
function entityType(item: unknown): string {
  const name = typeof item === 'string' ? item.trim() : '';
  if (!ENTITY_TYPE.test(name))
    throw new SettingsError(
      `entityTypes: each entry must be an entity type name such as Task (got ${describeValue(item)})`,
    );
  return name;
}

/** An ISO 8601 date or date-time: what Date.parse reads the same way in Node and every browser. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function sinceSetting(value: unknown): Date {
  const text = typeof value === 'string' ? value.trim() : '';
  const since = ISO_DATE_TIME.test(text) ? new Date(text) : new Date(NaN);
  if (Number.isNaN(since.getTime()))
    throw new SettingsError(
      `since must be an ISO date-time such as 2024-05-02T10:00:00Z (got ${describeValue(value)})`,
    );
  return since;
}

function startIdSetting(value: unknown): number {
  if (isEmpty(value)) throw new SettingsError('startId is required when start is "id"');
  return numberSetting(value, 'startId', 0, 0, Number.MAX_SAFE_INTEGER, true);
}

export const START_KINDS = ['now', 'id', 'since'] as const;
export const COMMIT_MODES = ['ack', 'emit'] as const;
export const FAILURE_MODES = ['retry', 'stop'] as const;

/**
 * Each setting read on its own (empty: the default), throwing a SettingsError for an unusable
 * value. The node and the editor (lib/editor) both use these, so they agree on what is usable.
 */
export const EVENT_LOG_SETTING_RULES = {
  startId: startIdSetting,
  since: sinceSetting,
  interval: (v: unknown): number =>
    numberSetting(v, 'interval', DEFAULTS.intervalSeconds, MIN_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS, false),
  pageSize: (v: unknown): number => numberSetting(v, 'pageSize', DEFAULTS.pageSize, 1, MAX_PAGE_SIZE, true),
  gapWindow: (v: unknown): number =>
    numberSetting(v, 'gapWindow', DEFAULTS.gapWindowSeconds, 0, MAX_GAP_WINDOW_SECONDS, false),
  maxInFlight: (v: unknown): number => numberSetting(v, 'maxInFlight', DEFAULTS.maxInFlight, 1, MAX_IN_FLIGHT, true),
  retries: (v: unknown): number => numberSetting(v, 'retries', DEFAULTS.retries, 0, MAX_RETRIES, true),
  backstopGrace: (v: unknown): number =>
    numberSetting(v, 'backstopGrace', DEFAULTS.backstopGraceSeconds, 0, MAX_BACKSTOP_GRACE_SECONDS, false),
  eventTypes: (v: unknown): string[] => listSetting(v, 'eventTypes').map(eventType),
  projects: (v: unknown): number[] => listSetting(v, 'projects').map(project),
  entityTypes: (v: unknown): string[] => listSetting(v, 'entityTypes').map(entityType),
  eventType,
  project,
  entityType,
};

function startPoint(raw: RawEventLogSettings): StartPoint {
  const kind = choice(raw.start, 'start', START_KINDS, 'now');
  if (kind === 'now') return { kind };
  if (kind === 'id') return { kind, id: startIdSetting(raw.startId) };
  return { kind, since: sinceSetting(raw.since) };
}

export function parseEventLogSettings(raw: RawEventLogSettings): EventLogSettings {
  const rules = EVENT_LOG_SETTING_RULES;
  return {
    start: startPoint(raw),
    intervalMs: rules.interval(raw.interval) * 1000,
    pageSize: rules.pageSize(raw.pageSize),
    filter: {
      eventTypes: rules.eventTypes(raw.eventTypes),
      projects: rules.projects(raw.projects),
      entityTypes: rules.entityTypes(raw.entityTypes),
    },
    gapWindowMs: rules.gapWindow(raw.gapWindow) * 1000,
    commit: choice(raw.commit, 'commit', COMMIT_MODES, 'ack'),
    maxInFlight: rules.maxInFlight(raw.maxInFlight),
    onFailure: choice(raw.onFailure, 'onFailure', FAILURE_MODES, 'retry'),
    retries: rules.retries(raw.retries),
    ...backstopOf(raw),
  };
}

/** backstopFor names a node by its id; empty means no backstop (backstopGrace is then ignored). */
function backstopOf(raw: RawEventLogSettings): { backstop?: BackstopSettings } {
  if (isEmpty(raw.backstopFor)) return {};
  if (typeof raw.backstopFor !== 'string')
    throw new SettingsError(
      `backstopFor must be the id of an fptr-webhook-in node (got ${describeValue(raw.backstopFor)})`,
    );
  const graceMs = EVENT_LOG_SETTING_RULES.backstopGrace(raw.backstopGrace) * 1000;
  return { backstop: { webhookNode: raw.backstopFor.trim(), graceMs } };
}
