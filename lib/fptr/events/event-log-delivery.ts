import { isObject } from '../../util/is-object';
import type { FlatRecord } from '../client/api';
import type { Delivery, DeliveryMeta, EntityRef, FptrMsgInfo } from '../contract';

/**
 * An EventLogEntry row as the payload a webhook would have delivered for it, so that every
 * node and flow written for `fptr-webhook-in` works unchanged on `fptr-events-in` messages.
 */

/** The fields the event daemon reads (fptr-api.md §6.3); nothing else is needed for a delivery. */
export const EVENT_FIELDS = [
  'id',
  'event_type',
  'attribute_name',
  'meta',
  'entity',
  'user',
  'project',
  'session_uuid',
  'created_at',
] as const;

/** One row read from the log, with what the poller needs without reading the payload again. */
export interface LogEvent {
  id: number;
  /** Epoch ms of `created_at`; NaN when the site sent none. */
  createdMs: number;
  delivery: Delivery;
}

const OPERATION_BY_META: Readonly<Record<string, string>> = {
  new_entity: 'create',
  attribute_change: 'update',
  entity_retirement: 'delete',
  entity_revival: 'revive',
};

const OPERATION_BY_SUFFIX: ReadonlyArray<[string, string]> = [
  ['_New', 'create'],
  ['_Change', 'update'],
  ['_Retirement', 'delete'],
  ['_Revival', 'revive'],
];

/**
 * The webhook `operation` of a row: from `meta.type`, else from the `Shotgun_<Type>_<Kind>`
 * event type (older revival rows have no `meta.type`, fptr-api.md §6.2); null for other events,
 * whose payload then has no `operation`.
 */
export function operationOf(eventType: string, meta: DeliveryMeta | undefined): string | null {
  const byMeta = typeof meta?.type === 'string' ? OPERATION_BY_META[meta.type] : undefined;
  if (byMeta) return byMeta;
  if (!eventType.startsWith('Shotgun_')) return null;
  return OPERATION_BY_SUFFIX.find(([suffix]) => eventType.endsWith(suffix))?.[1] ?? null;
}

function link(value: unknown): EntityRef | null {
  if (!isObject(value) || typeof value.type !== 'string' || typeof value.id !== 'number') return null;
  const ref: EntityRef = { type: value.type, id: value.id };
  if (typeof value.name === 'string') ref.name = value.name;
  return ref;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * A row from `search('EventLogEntry', {fields: EVENT_FIELDS})`, or undefined when it is not one
 * (no numeric id or no event type): a site's answer is read defensively.
 */
export function logEventOf(row: FlatRecord): LogEvent | undefined {
  const id = row.id;
  const eventType = row.event_type;
  if (!Number.isSafeInteger(id) || id <= 0 || typeof eventType !== 'string') return undefined;
  const meta = isObject(row.meta) ? (row.meta as DeliveryMeta) : undefined;
  const createdAt = text(row.created_at);
  const delivery: Delivery = {
    event_log_entry_id: id,
    event_type: eventType,
    session_uuid: text(row.session_uuid),
    user: link(row.user),
    entity: link(row.entity),
    project: link(row.project),
    attribute_name: text(row.attribute_name),
  };
  const operation = operationOf(eventType, meta);
  if (operation !== null) delivery.operation = operation;
  if (createdAt !== null) delivery.created_at = createdAt;
  if (meta) delivery.meta = meta;
  return { id, createdMs: createdAt === null ? NaN : Date.parse(createdAt), delivery };
}

/** `msg.fptr` of an event-log message: the shared contract plus what `fptr-acknowledge` needs to commit it. */
export interface EventLogMsgInfo extends FptrMsgInfo {
  source: 'event-log';
  eventId: number;
  /** Id of the `fptr-events-in` node that sent it: its acknowledgement is committed there. */
  eventsNode: string;
  /** Names this one sending of the event; an acknowledgement for an earlier sending is ignored. */
  ticket: string;
  /** 1 for the first sending, more for retries and re-sends after a restart. */
  attempt: number;
}

export interface EventLogMessage {
  payload: Delivery;
  topic: string;
  fptr: EventLogMsgInfo;
}

export interface SendingInfo {
  siteUrl: string;
  eventsNode: string;
  ticket: string;
  attempt: number;
  /** ISO time the row was read. */
  receivedAt: string;
}

export function eventLogMessage(event: LogEvent, info: SendingInfo): EventLogMessage {
  const timestamp = Number.isNaN(event.createdMs) ? undefined : new Date(event.createdMs).toISOString();
  const fptr: EventLogMsgInfo = {
    source: 'event-log',
    eventId: event.id,
    siteUrl: info.siteUrl,
    receivedAt: info.receivedAt,
    batch: { size: 1, index: 0 },
    eventsNode: info.eventsNode,
    ticket: info.ticket,
    attempt: info.attempt,
  };
  if (timestamp !== undefined) fptr.timestamp = timestamp;
  return { payload: event.delivery, topic: event.delivery.event_type, fptr };
}
