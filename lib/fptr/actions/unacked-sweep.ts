import { Semaphore } from '../../util/semaphore';
import type { DeliveryRecord, ListDeliveriesOptions } from '../client/api';
import type { Delivery } from '../contract';
import { isTestConnection } from '../webhook/delivery-body';
import { deliveryKey } from '../webhook/event-key';

/**
 * Finds deliveries FPTR delivered (the endpoint answered 2xx) that nobody acknowledged within a
 * grace period — the flow crashed, was redeployed or lost them — and asks FPTR to send them
 * again. With an fptr-acknowledge node at the end of the flow this makes processing
 * at-least-once end to end.
 *
 * FPTR's `acknowledgement` list filter is UNCONFIRMED (fptr-api.md §4.1; the simulator takes
 * `null` / `not_null`). So the filter is checked, not trusted: in `verify` mode the filtered
 * list is compared with an unfiltered one, filtered here. A site that ignores the filter, or
 * reads it differently, is reported (`filterCheck`) and the locally filtered list is used;
 * the caller should then switch to `local` mode and say so. Rows without an `acknowledgement`
 * member at all mean processed deliveries cannot be told apart: the sweep stops with an error
 * rather than redeliver everything.
 */

export interface UnackedListOptions extends ListDeliveriesOptions {
  acknowledgement?: 'null' | 'not_null';
}

export interface UnackedSweepApi {
  listDeliveries(hookId: string, options?: UnackedListOptions): Promise<DeliveryRecord[]>;
  redeliver(deliveryId: string): Promise<void>;
}

/** How often each delivery was redelivered by this sweep; bounded by the look-back window. */
export class RedeliveryLedger {
  private readonly counts = new Map<string, { count: number; at: number }>();

  count(deliveryId: string): number {
    return this.counts.get(deliveryId)?.count ?? 0;
  }

  add(deliveryId: string, now: number): void {
    this.counts.set(deliveryId, { count: this.count(deliveryId) + 1, at: now });
  }

  /** Forgets deliveries last redelivered before `before` (they have left the look-back window). */
  prune(before: number): void {
    for (const [id, entry] of this.counts) if (entry.at < before) this.counts.delete(id);
  }

  get size(): number {
    return this.counts.size;
  }
}

export interface UnackedSweepOptions {
  /** A delivery younger than this may still be in the flow; seconds. */
  graceSeconds: number;
  /** How far back to look; seconds (FPTR keeps delivery records 7 days). */
  lookbackSeconds: number;
  /** Epoch ms. */
  now: number;
  concurrency: number;
  /** Redeliveries per delivery before the sweep gives up on it (an event the flow never acknowledges). */
  maxAttempts: number;
  ledger: RedeliveryLedger;
  /**
   * `server`: FPTR filters on `acknowledgement=null`; `local`: every delivered record is listed
   * and filtered here; `verify`: both, compared (use it for the first sweep).
   */
  filter: 'server' | 'local' | 'verify';
  /**
   * Called with the keys of the events in a delivery just before it is sent again, so the
   * receiving node can forget it saw them (it saw them; it did not finish them). When it
   * rejects, the delivery is not sent again and counts as failed: a later sweep retries it.
   */
  beforeRedeliver?: (keys: string[], delivery: DeliveryRecord) => Promise<void>;
}

export interface UnackedSweepSummary {
  hookId: string;
  /** Unix seconds, as sent to FPTR. */
  window: { from: number; to: number };
  found: number;
  redelivered: number;
  failed: Array<{ id: string; error: string }>;
  /** Redelivered `maxAttempts` times already and still not acknowledged. */
  gaveUp: string[];
  /**
   * How the site's `acknowledgement` filter behaved: as expected (`agrees`), ignored
   * (acknowledged records came back), or differently (unacknowledged records were left out).
   * Absent when it was not checked.
   */
  filterCheck?: 'agrees' | 'ignored' | 'differs';
}

export class UnackedSweepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnackedSweepError';
  }
}

/** The delivery objects a delivery record carried: one, or a batch. */
export function eventsOf(record: DeliveryRecord): Delivery[] {
  const body = record.request_body;
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) return [];
  const list = (data as { deliveries?: unknown }).deliveries;
  const items = Array.isArray(list) ? list : [data];
  return items.filter(
    (item): item is Delivery =>
      typeof item === 'object' && item !== null && typeof (item as Delivery).event_type === 'string',
  );
}

/** The duplicate-detection key of each event in a record, as the webhook node remembers it. */
export function keysOf(record: DeliveryRecord): string[] {
  const keys = new Set<string>();
  for (const event of eventsOf(record)) {
    const key = deliveryKey(event);
    if (key !== undefined) keys.add(key);
  }
  return [...keys];
}

function answered2xx(record: DeliveryRecord): boolean {
  const code = record.response_code;
  // A "delivered" record with code 0 is one nobody answered (fptr-api.md §4.4): not processed either.
  return code === undefined || code === null || code === 0 || (code >= 200 && code < 300);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Lists the records in the window with their acknowledgement state checked. */
async function listRecords(
  api: UnackedSweepApi,
  hookId: string,
  window: { from: number; to: number },
  acknowledgement?: 'null',
): Promise<DeliveryRecord[]> {
  const rows = await api.listDeliveries(hookId, {
    status: 'delivered',
    from: window.from,
    to: window.to,
    ...(acknowledgement ? { acknowledgement } : {}),
  });
  const missing = rows.filter((row) => !('acknowledgement' in row));
  if (missing.length > 0) {
    throw new UnackedSweepError(
      `FPTR listed ${missing.length} deliveries of webhook ${hookId} without an "acknowledgement" member (e.g. ${missing[0].id}); ` +
        'expected null or the acknowledgement text on every delivery. Without it processed deliveries cannot be told from lost ones, so nothing was redelivered',
    );
  }
  return rows;
}

function isLost(row: DeliveryRecord, to: number): boolean {
  const events = eventsOf(row);
  return (
    row.acknowledgement === null &&
    (row.status === undefined || row.status === 'delivered') &&
    (row.event_time === undefined || row.event_time <= to) &&
    answered2xx(row) &&
    // A connection test is never emitted, so never acknowledged.
    !(events.length > 0 && events.every(isTestConnection))
  );
}

export async function sweepUnacknowledged(
  api: UnackedSweepApi,
  hookId: string,
  options: UnackedSweepOptions,
): Promise<UnackedSweepSummary> {
  const nowSeconds = Math.floor(options.now / 1000);
  const window = { from: nowSeconds - options.lookbackSeconds, to: nowSeconds - options.graceSeconds };
  const summary: UnackedSweepSummary = { hookId, window, found: 0, redelivered: 0, failed: [], gaveUp: [] };
  if (window.to < window.from) return summary;
  options.ledger.prune(options.now - options.lookbackSeconds * 1000);

  let lost: DeliveryRecord[];
  if (options.filter === 'local') {
    lost = (await listRecords(api, hookId, window)).filter((row) => isLost(row, window.to));
  } else {
    // Filtered first: a record unacknowledged in the later, unfiltered list was unacknowledged then too.
    const filtered = await listRecords(api, hookId, window, 'null');
    if (options.filter === 'server') {
      if (filtered.some((row) => row.acknowledgement !== null)) summary.filterCheck = 'ignored';
      lost = filtered.filter((row) => isLost(row, window.to));
    } else {
      lost = (await listRecords(api, hookId, window)).filter((row) => isLost(row, window.to));
      const listed = new Set(filtered.map((row) => row.id));
      if (filtered.some((row) => row.acknowledgement !== null)) summary.filterCheck = 'ignored';
      else if (lost.some((row) => !listed.has(row.id))) summary.filterCheck = 'differs';
      else summary.filterCheck = 'agrees';
    }
  }
  summary.found = lost.length;
  const due = lost.filter((row) => {
    if (options.ledger.count(row.id) < options.maxAttempts) return true;
    summary.gaveUp.push(row.id);
    return false;
  });
  const slots = new Semaphore(options.concurrency);
  const outcomes = await Promise.all(
    due.map(async (row) => {
      const release = await slots.acquire();
      try {
        await options.beforeRedeliver?.(keysOf(row), row);
        await api.redeliver(row.id);
        options.ledger.add(row.id, options.now);
        return undefined;
      } catch (err) {
        return { id: row.id, error: message(err) };
      } finally {
        release();
      }
    }),
  );
  summary.failed = outcomes.filter((o): o is { id: string; error: string } => o !== undefined);
  summary.redelivered = due.length - summary.failed.length;
  return summary;
}
