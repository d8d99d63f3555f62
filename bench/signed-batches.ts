import crypto = require('node:crypto');
import type { Delivery } from '../lib/fptr/contract';
import { signBody } from '../lib/fptr/webhook/signature';
import { taskChange } from '../test/support/webhook-fixtures';

const DELIVERY_SLOT = '@@DELIVERY_ID@@';
const EVENT_SLOT = '@@EVENT_ID@@';
/** Event-log ids start here, far above the fixtures' own. */
const FIRST_EVENT_ID = 1_000_000_000;

export interface SignedBatch {
  body: string;
  signature: string;
  /** The batch's event-log ids run from this one up, one per delivery. */
  firstEventId: number;
}

/**
 * Signed batches of Task changes never seen before: every delivery gets a fresh delivery id and a
 * fresh event-log id, since the webhook node drops a repeat of either. Built from a pre-split
 * template, so the load generator spends little time per request (string joins and one HMAC).
 */
export class SignedBatches {
  private readonly parts: string[];
  /** Which id goes before `parts[i + 1]`. */
  private readonly slots: Array<'delivery' | 'event'> = [];
  private readonly tag = crypto.randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly secret: string,
    readonly perBody = 50,
  ) {
    const deliveries: Delivery[] = Array.from({ length: perBody }, (_, i) =>
      taskChange(i, { delivery_id: DELIVERY_SLOT, event_log_entry_id: EVENT_SLOT as unknown as number }),
    );
    const template = JSON.stringify({ timestamp: new Date().toISOString(), data: { deliveries } });
    const slot = new RegExp(`${DELIVERY_SLOT}|"${EVENT_SLOT}"`, 'g');
    for (const match of template.matchAll(slot)) this.slots.push(match[0] === DELIVERY_SLOT ? 'delivery' : 'event');
    this.parts = template.split(slot);
  }

  next(): SignedBatch {
    const seq = this.seq++;
    const prefix = `${this.tag}-${seq.toString(16).padStart(10, '0')}-`;
    const firstEventId = FIRST_EVENT_ID + seq * this.perBody;
    let delivery = 0;
    let event = 0;
    let body = this.parts[0];
    for (let i = 1; i < this.parts.length; i++) {
      const id =
        this.slots[i - 1] === 'delivery'
          ? prefix + String(++delivery).padStart(4, '0')
          : String(firstEventId + event++);
      body += id + this.parts[i];
    }
    return { body, signature: signBody(this.secret, body), firstEventId };
  }
}
