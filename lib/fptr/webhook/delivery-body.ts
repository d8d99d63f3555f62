import { createHash } from 'node:crypto';
import { isObject } from '../../util/is-object';
import { isDelivery, type Delivery } from '../contract';

/**
 * Deepest nesting of objects and arrays a body may have, the body itself counting as level 1
 * (`{"data":{…}}` is 2). FPTR's deliveries stay under 10; Node-RED clones and most flow code walk
 * messages recursively, and a few thousand levels overflow their stack.
 */
export const MAX_NESTING = 64;

/** Longer duplicate-detection keys are kept as a hash, so remembered keys cost bytes in bounds. */
export const MAX_KEY_BYTES = 200;

/** A webhook body that passed the shape check: the deliveries in the order FPTR sent them. */
export interface DeliveryBody {
  deliveries: Delivery[];
  /** The body used the batched form `data.deliveries[]` (docs/fptr-api.md §5.2). */
  batched: boolean;
  /** Top-level `timestamp` of the body, when it is a string. */
  timestamp?: string;
}

export type DeliveryBodyResult = { ok: true; body: DeliveryBody } | { ok: false; reason: 'json' | 'shape' | 'depth' };

/** Fields a duplicate-detection key is built from: a delivery where one is an object or array is refused. */
const IDENTITY_FIELDS = ['delivery_id', 'event_log_entry_id', 'attribute_name', 'id'] as const;

/** A delivery whose identity fields are scalars, so a duplicate-detection key can be built from them. */
function isIdentifiable(value: unknown): value is Delivery {
  return (
    isDelivery(value) && IDENTITY_FIELDS.every((field) => typeof value[field] !== 'object' || value[field] === null)
  );
}

/**
 * True when the JSON text nests objects/arrays deeper than `max`. One pass over the bytes, no
 * recursion: brackets inside strings do not count (UTF-8 continuation bytes are never ASCII).
 * Text that is not JSON may be counted wrongly; JSON.parse refuses it afterwards anyway.
 */
export function nestsDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > max) return true;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return false;
}

/**
 * Parses the raw request bytes and checks they are an FPTR delivery body: `{data:{event_type,…}}`
 * or `{data:{deliveries:[{event_type,…},…]}}` with at least one delivery, each with scalar
 * identity fields, nested no deeper than MAX_NESTING. Nothing is copied or re-serialised: each
 * delivery is the object JSON.parse produced.
 */
export function parseDeliveryBody(raw: Buffer): DeliveryBodyResult {
  if (nestsDeeperThan(raw, MAX_NESTING)) return { ok: false, reason: 'depth' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, reason: 'json' };
  }
  if (!isObject(parsed) || !isObject(parsed.data)) return { ok: false, reason: 'shape' };
  const data = parsed.data;
  const timestamp = typeof parsed.timestamp === 'string' ? parsed.timestamp : undefined;
  const list = data.deliveries;
  if (Array.isArray(list)) {
    if (list.length === 0) return { ok: false, reason: 'shape' };
    for (let i = 0; i < list.length; i++) {
      if (!isIdentifiable(list[i])) return { ok: false, reason: 'shape' };
    }
    return { ok: true, body: { deliveries: list as Delivery[], batched: true, timestamp } };
  }
  if (!isIdentifiable(data)) return { ok: false, reason: 'shape' };
  return { ok: true, body: { deliveries: [data], batched: false, timestamp } };
}

/** The connection test FPTR sends from the webhook page (docs/fptr-api.md §5.9). */
export function isTestConnection(delivery: Delivery): boolean {
  return delivery.event_type === 'Test_Connection' || delivery.operation === 'test_connection';
}

/**
 * True when FPTR cut the event down to stay under its 1 MB limit (docs/fptr-api.md §5.6): a `warning`
 * key (where it sits is unconfirmed, so `meta` and the delivery itself are both checked), or an
 * attribute change that lacks both `old_value` and `new_value` (multi-entity changes never carry
 * them: they use `added`/`removed`).
 */
export function isTruncated(delivery: Delivery): boolean {
  const meta = delivery.meta;
  if (delivery.warning !== undefined) return true;
  if (!isObject(meta)) return false;
  if (meta.warning !== undefined) return true;
  return (
    meta.type === 'attribute_change' &&
    meta.field_data_type !== 'multi_entity' &&
    !('old_value' in meta) &&
    !('new_value' in meta) &&
    !('added' in meta) &&
    !('removed' in meta)
  );
}

/** A key part: only strings and numbers take part, anything else counts as absent. */
function keyPart(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * Identity of a delivery for duplicate detection: `delivery_id`, else `event_log_entry_id` +
 * `attribute_name` + `id`. Deliveries without either (e.g. `Webhook_Status_Change`, whose
 * `event_log_entry_id` is 0) have no identity and are never treated as duplicates. A key over
 * MAX_KEY_BYTES becomes `sha256:` + its hash: a sender choosing megabyte ids cannot make the
 * remembered keys (and their saved snapshot) hold megabytes.
 */
export function dedupKey(delivery: Delivery): string | undefined {
  const deliveryId = delivery.delivery_id;
  let key: string;
  if (typeof deliveryId === 'string' && deliveryId !== '') {
    key = deliveryId;
  } else {
    const entryId = delivery.event_log_entry_id;
    if (typeof entryId !== 'number' || entryId <= 0) return undefined;
    key = `${entryId}|${keyPart(delivery.attribute_name)}|${keyPart(delivery.id)}`;
  }
  return boundedKey(key);
}

/** `key`, or `sha256:` + its hash when it is over MAX_KEY_BYTES. */
export function boundedKey(key: string): string {
  if (key.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return 'sha256:' + createHash('sha256').update(key).digest('base64url');
}
