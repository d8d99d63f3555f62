import { isObject } from '../util/is-object';

/**
 * The message contract: what FPTR sends and what every node that emits FPTR events puts in a
 * message (README "Every event message has the same shape", docs/ARCHITECTURE.md). Field names
 * follow FPTR's own JSON (snake_case) so payloads pass through untouched.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A link to an entity as FPTR writes it: `{type, id}` plus `name` where the server adds it. */
export interface EntityRef {
  type: string;
  id: number;
  name?: string;
}

/** `meta` of an EventLogEntry / webhook delivery; only `type` and the entity keys are common to all kinds. */
export interface DeliveryMeta {
  type?: string;
  entity_type?: string;
  entity_id?: number | string;
  attribute_name?: string;
  field_data_type?: string;
  old_value?: JsonValue;
  new_value?: JsonValue;
  added?: EntityRef[];
  removed?: EntityRef[];
  in_create?: boolean;
  warning?: string;
  [key: string]: JsonValue | EntityRef[] | undefined;
}

/** One delivery (`data`, or one element of `data.deliveries[]`) exactly as FPTR sends it. */
export interface Delivery {
  id?: string;
  event_log_entry_id?: number;
  event_type: string;
  operation?: string;
  delivery_id?: string;
  session_uuid?: string | null;
  created_at?: string;
  user?: EntityRef | null;
  entity?: EntityRef | { type: string | null; id: number } | null;
  project?: EntityRef | null;
  attribute_name?: string | null;
  meta?: DeliveryMeta;
  [key: string]: unknown;
}

/** `msg.fptr` on every message that carries an FPTR event. */
export interface FptrMsgInfo {
  source: 'webhook' | 'event-log';
  webhookId?: string;
  deliveryId?: string;
  siteUrl?: string;
  /** ISO timestamp of the request body (`timestamp`) or of the event. */
  timestamp?: string;
  /** ISO time this package received it. */
  receivedAt: string;
  batch: { size: number; index: number };
  /** True when FPTR stripped `new_value`/`old_value` from a >1 MB event and added a `warning`. */
  truncated?: boolean;
}

/** A message payload that is one FPTR delivery: an object with a string `event_type`. */
export function isDelivery(value: unknown): value is Delivery {
  return isObject(value) && typeof value.event_type === 'string';
}

/**
 * An entity id: a positive whole number. FPTR sends numbers; users and URLs sometimes give digit
 * strings. Undefined for anything else, which each caller refuses in its own words.
 */
export function entityId(value: unknown): number | undefined {
  const id = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** What happened to an entity, in FPTR's words: a delivery's `operation`, and what fptr-update asks for. */
export const OPERATIONS = ['create', 'update', 'delete', 'revive'] as const;
export type Operation = (typeof OPERATIONS)[number];
