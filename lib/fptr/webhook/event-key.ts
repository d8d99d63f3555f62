import type { Delivery } from '../contract';
import { boundedKey, dedupKey } from './delivery-body';

/**
 * The identity of an FPTR event whichever way it arrived: a webhook delivery and the event-log
 * row it came from share `event_log_entry_id` (the row's `id`) and `attribute_name`, while
 * delivery ids exist only for webhooks and the dotted delivery `id` only in webhook bodies.
 * A flow fed by a webhook and its event-log backstop sees an event once by this key.
 * Events without a positive entry id (Test_Connection, webhook status changes) have none.
 */
export function eventKey(event: Pick<Delivery, 'event_log_entry_id' | 'attribute_name'>): string | undefined {
  const entryId = event.event_log_entry_id;
  if (typeof entryId !== 'number' || !Number.isSafeInteger(entryId) || entryId <= 0) return undefined;
  const attribute = typeof event.attribute_name === 'string' ? event.attribute_name : '';
  return boundedKey(`event:${entryId}|${attribute}`);
}

/**
 * The one key the webhook node remembers (and claims across instances) for a delivery: its event
 * key, which every delivery of the event and the event log's row share, so a retry, a redelivery
 * and the backstop's copy all meet it; the delivery key only for an event without one.
 */
export function deliveryKey(delivery: Delivery): string | undefined {
  return eventKey(delivery) ?? dedupKey(delivery);
}
