import type { Delivery } from './types';

/** A webhook body that passed the shape check: the deliveries in the order FPTR sent them. */
export interface DeliveryBody {
  deliveries: Delivery[];
  /** The body used the batched form `data.deliveries[]` (fptr-api.md §5.2). */
  batched: boolean;
  /** Top-level `timestamp` of the body, when it is a string. */
  timestamp?: string;
}

export type DeliveryBodyResult =
  | { ok: true; body: DeliveryBody }
  | { ok: false; reason: 'json' | 'shape' };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDelivery(value: unknown): value is Delivery {
  return isObject(value) && typeof value.event_type === 'string';
}

/**
 * Parses the raw request bytes and checks they are an FPTR delivery body: `{data:{event_type,…}}`
 * or `{data:{deliveries:[{event_type,…},…]}}` with at least one delivery. Nothing is copied or
 * re-serialised: each delivery is the object JSON.parse produced.
 */
export function parseDeliveryBody(raw: Buffer): DeliveryBodyResult {
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
      if (!isDelivery(list[i])) return { ok: false, reason: 'shape' };
    }
    return { ok: true, body: { deliveries: list as Delivery[], batched: true, timestamp } };
  }
  if (!isDelivery(data)) return { ok: false, reason: 'shape' };
  return { ok: true, body: { deliveries: [data], batched: false, timestamp } };
}

/** The connection test FPTR sends from the webhook page (fptr-api.md §5.9). */
export function isTestConnection(delivery: Delivery): boolean {
  return delivery.event_type === 'Test_Connection' || delivery.operation === 'test_connection';
}

/**
 * True when FPTR cut the event down to stay under its 1 MB limit (fptr-api.md §5.6): a `warning`
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

/**
 * Identity of a delivery for duplicate detection: `delivery_id`, else `event_log_entry_id` +
 * `attribute_name` + `id`. Deliveries without either (e.g. `Webhook_Status_Change`, whose
 * `event_log_entry_id` is 0) have no identity and are never treated as duplicates.
 */
export function dedupKey(delivery: Delivery): string | undefined {
  const deliveryId = delivery.delivery_id;
  if (typeof deliveryId === 'string' && deliveryId !== '') return deliveryId;
  const entryId = delivery.event_log_entry_id;
  if (typeof entryId !== 'number' || entryId <= 0) return undefined;
  return `${entryId}|${delivery.attribute_name ?? ''}|${delivery.id ?? ''}`;
}
