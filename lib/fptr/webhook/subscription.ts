import type { Delivery } from '../contract';
import {
  HOOK_ACTIONS,
  type EntityTypeSubscriptions,
  type HookAction,
  type WebhookRecord,
} from '../client/webhook-record';
import { describeValue } from '../../util/describe-value';

/**
 * What one FPTR webhook listens to, in the words of FPTR's webhook page: one entity type (the
 * API takes a map but supports a single type — fptr-api.md §4.2), the actions on it, for
 * updates the fields (none listed = any field; UNCONFIRMED), and optionally some projects.
 */
export interface HookSubscription {
  entityType: string;
  actions: Partial<Record<HookAction, string[]>>;
  /** Project ids; none = the whole site. */
  projects: number[];
}

export class SubscriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionError';
  }
}

/** FPTR accepts hooks on these but never fires them (fptr-api.md §5.10). */
const NEVER_FIRE = new Set(['ApiUser', 'EventLogEntry']);
const ENTITY_TYPE = /^[A-Z][A-Za-z0-9_]*$/;
const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/** Event-log event type suffix of each action (fptr-api.md §6.1). */
const EVENT_SUFFIX: Record<HookAction, string> = {
  create: 'New',
  update: 'Change',
  delete: 'Retirement',
  revive: 'Revival',
};
const ACTION_OF_SUFFIX = new Map(
  Object.entries(EVENT_SUFFIX).map(([action, suffix]) => [suffix, action as HookAction]),
);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a subscription as the editor or a message sends it, and returns a clean copy: field
 * lists trimmed and without repeats, projects sorted. Every problem is named.
 */
export function checkSubscription(value: unknown): HookSubscription {
  if (!isObject(value))
    throw new SubscriptionError(
      `a subscription must be an object {entityType, actions, projects}, got ${describeValue(value)}`,
    );
  const entityType = typeof value.entityType === 'string' ? value.entityType.trim() : '';
  if (!ENTITY_TYPE.test(entityType)) {
    throw new SubscriptionError(
      `the entity type must be an FPTR entity type name such as Task or CustomEntity06, got ${describeValue(value.entityType)}`,
    );
  }
  if (NEVER_FIRE.has(entityType) || /Connection$/.test(entityType)) {
    throw new SubscriptionError(`FPTR never sends webhooks for ${entityType}; choose another entity type`);
  }
  if (!isObject(value.actions))
    throw new SubscriptionError(
      `actions must be an object such as {"update": ["sg_status_list"]}, got ${describeValue(value.actions)}`,
    );
  const actions: Partial<Record<HookAction, string[]>> = {};
  for (const [action, fields] of Object.entries(value.actions)) {
    if (!(HOOK_ACTIONS as readonly string[]).includes(action)) {
      throw new SubscriptionError(
        `${describeValue(action)} is not a webhook action; FPTR knows ${HOOK_ACTIONS.join(', ')}`,
      );
    }
    if (fields === undefined || fields === null || fields === false) continue;
    if (fields === true) {
      actions[action as HookAction] = [];
      continue;
    }
    if (!Array.isArray(fields))
      throw new SubscriptionError(
        `actions.${action} must be a list of field names (or true), got ${describeValue(fields)}`,
      );
    if (action !== 'update' && fields.length > 0)
      throw new SubscriptionError(`only updates name fields; actions.${action} must be an empty list`);
    const names: string[] = [];
    for (const field of fields) {
      const name = typeof field === 'string' ? field.trim() : '';
      if (!FIELD_NAME.test(name))
        throw new SubscriptionError(`${describeValue(field)} is not a field name (expected e.g. sg_status_list)`);
      if (!names.includes(name)) names.push(name);
    }
    actions[action as HookAction] = names;
  }
  if (Object.keys(actions).length === 0)
    throw new SubscriptionError('subscribe to at least one action: create, update, delete or revive');
  const rawProjects = value.projects ?? [];
  if (!Array.isArray(rawProjects))
    throw new SubscriptionError(`projects must be a list of project ids, got ${describeValue(rawProjects)}`);
  const projects: number[] = [];
  for (const project of rawProjects) {
    const id = typeof project === 'string' && /^\d+$/.test(project.trim()) ? Number(project) : project;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0)
      throw new SubscriptionError(`${describeValue(project)} is not a project id`);
    if (!projects.includes(id)) projects.push(id);
  }
  projects.sort((a, b) => a - b);
  return { entityType, actions, projects };
}

/** The `entity_types` member of a create/update body. */
export function entityTypesBody(subscription: HookSubscription): EntityTypeSubscriptions {
  const actions: Partial<Record<HookAction, string[]>> = {};
  for (const action of HOOK_ACTIONS) {
    const fields = subscription.actions[action];
    if (fields) actions[action] = [...fields];
  }
  return { [subscription.entityType]: actions };
}

/**
 * The subscription FPTR holds for a webhook, or undefined for a hook FPTR describes some other
 * way (a custom `event_type` hook, several entity types, unknown actions).
 */
export function subscriptionOf(record: Pick<WebhookRecord, 'entity_types' | 'projects'>): HookSubscription | undefined {
  const types = record.entity_types;
  if (!isObject(types)) return undefined;
  const names = Object.keys(types);
  if (names.length !== 1) return undefined;
  const projects = Array.isArray(record.projects) ? record.projects : [];
  try {
    return checkSubscription({ entityType: names[0], actions: types[names[0]], projects });
  } catch {
    return undefined;
  }
}

/** Same entity type, actions, fields (in any order) and projects. */
export function sameSubscription(a: HookSubscription, b: HookSubscription): boolean {
  if (a.entityType !== b.entityType || !sameSet(a.projects, b.projects)) return false;
  return HOOK_ACTIONS.every((action) => {
    const x = a.actions[action];
    const y = b.actions[action];
    return x === undefined || y === undefined ? x === y : sameSet(x, y);
  });
}

function sameSet<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/** The event-log event types a subscription covers, e.g. `Shotgun_Task_Change`. */
export function eventTypesOf(subscription: HookSubscription): string[] {
  return HOOK_ACTIONS.filter((action) => subscription.actions[action]).map(
    (action) => `Shotgun_${subscription.entityType}_${EVENT_SUFFIX[action]}`,
  );
}

/** `Shotgun_<Type>_<New|Change|Retirement|Revival>` → its entity type and action. */
export function entityEventOf(eventType: string): { entityType: string; action: HookAction } | undefined {
  const match = /^Shotgun_(.+)_(New|Change|Retirement|Revival)$/.exec(eventType);
  const action = match ? ACTION_OF_SUFFIX.get(match[2]) : undefined;
  return match && action ? { entityType: match[1], action } : undefined;
}

/**
 * Whether FPTR sends this event (an event-log row shaped like a delivery) to a webhook with this
 * subscription, the way FPTR decides it: the entity type and action, the project, and for
 * updates the field — but never a field value written while creating the record
 * (`meta.in_create`), which update subscriptions do not fire for (fptr-api.md §5.10).
 */
export function subscriptionMatches(
  subscription: HookSubscription,
  event: Pick<Delivery, 'event_type' | 'attribute_name' | 'project' | 'meta'>,
): boolean {
  const kind = entityEventOf(event.event_type);
  if (!kind || kind.entityType !== subscription.entityType) return false;
  const fields = subscription.actions[kind.action];
  if (!fields) return false;
  if (subscription.projects.length > 0) {
    const projectId = event.project?.id;
    if (typeof projectId !== 'number' || !subscription.projects.includes(projectId)) return false;
  }
  if (kind.action !== 'update') return true;
  if (event.meta?.in_create === true) return false;
  return fields.length === 0 || (typeof event.attribute_name === 'string' && fields.includes(event.attribute_name));
}
