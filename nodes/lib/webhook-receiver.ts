import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CidrList } from './cidr';
import type { DedupWindow } from './dedup';
import { dedupKey, isTestConnection, isTruncated, parseDeliveryBody, type DeliveryBody } from './delivery-body';
import { PacedEmitter } from './paced-emitter';
import { capturedBody } from './raw-body-capture';
import { SignatureVerifier } from './signature';
import type { Delivery, FptrMsgInfo } from './types';

/** `msg.fptr` of a webhook message: the contract fields plus the `x-sg-*` request headers. */
export interface WebhookMsgInfo extends FptrMsgInfo {
  /** Every `x-sg-*` request header except the signature. */
  headers: Record<string, string>;
}

export interface WebhookMessage {
  /** One delivery as FPTR sent it, or (split off) the array of deliveries of one request. */
  payload: Delivery | Delivery[];
  /** The delivery's `event_type`; with split off, set only when all deliveries share one. */
  topic?: string;
  fptr: WebhookMsgInfo;
}

export interface ReceiverOptions {
  /** The webhook's secret token; without one, unsigned requests are accepted. */
  secret?: string;
  /** One message per delivery (true) or one message with the array. */
  split: boolean;
  emitTestConnections: boolean;
  /** Duplicate detection; absent = off. */
  dedup?: DedupWindow;
  /** `msg.fptr.siteUrl` when the request has no `x-sg-webhook-site-url` header. */
  siteUrl?: string;
  /** Requests are answered 503 while this many messages wait to be sent on. */
  maxPending: number;
}

export interface ReceiverCounts {
  /** Deliveries in accepted requests. */
  received: number;
  /** Messages sent on. */
  emitted: number;
  /** Requests refused with a 4xx status. */
  rejected: number;
  /** Deliveries dropped as already seen. */
  duplicates: number;
  /** Test_Connection deliveries (emitted only when asked for). */
  tests: number;
  /** Requests answered 503 because too many messages were still waiting (also in `rejected`). */
  busy: number;
}

const JSON_TYPE = 'application/json';
const answer = (text: string): Buffer => Buffer.from(JSON.stringify(text === 'ok' ? { ok: true } : { error: text }));
const OK = answer('ok');
const BAD_JSON = answer('body is not valid JSON');
const BAD_SHAPE = answer('body is not an FPTR webhook delivery');
const BAD_SIGNATURE = answer('invalid signature');
const FORBIDDEN = answer('source address not allowed');
const TOO_LARGE = answer('body too large');
const NOT_ALLOWED = answer('method not allowed');
const NOT_CAPTURED = answer('request body unavailable');
const BUSY = answer('busy: earlier deliveries are still being processed');
/** How much of a refused body is read and thrown away before the connection is cut. */
const DRAIN_BYTES = 16 * 1024 * 1024;

function reply(res: ServerResponse, status: number, body: Buffer, extra?: OutgoingHttpHeaders): void {
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length, ...extra });
  res.end(body);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sgHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (name.startsWith('x-sg-') && name !== 'x-sg-signature') {
      const value = headers[name];
      if (typeof value === 'string') out[name] = value;
    }
  }
  return out;
}

/**
 * A refused body was not (fully) read. Closing the socket with unread bytes makes the kernel
 * reset the connection, and a client still uploading would then lose the 413/403 answer. So
 * the rest is read and thrown away (never kept) up to DRAIN_BYTES; a client sending more than
 * that is cut off. One that finishes keeps its keep-alive connection.
 */
function drainRefused(req: IncomingMessage): void {
  if (req.complete) return;
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * The peer address for the allow-list. Behind a trusted reverse proxy it is the LAST
 * `X-Forwarded-For` entry, the one that proxy appended; earlier entries are client-supplied.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = header(req.headers, 'x-forwarded-for');
    if (forwarded) {
      const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      if (last) return last;
    }
  }
  return req.socket.remoteAddress;
}

/** An `admit` check for RawBodyCapture: the request's source must be in `list`. */
export function sourceAllowed(list: CidrList, trustProxy: boolean): (req: IncomingMessage) => boolean {
  return (req) => list.allows(clientAddress(req, trustProxy));
}

/**
 * Handles FPTR webhook requests whose bytes RawBodyCapture kept: size/allow-list outcome →
 * signature → backlog → JSON → shape, answered at once; the deliveries are split, filtered
 * (test connections, duplicates) and handed to `emit` only after the answer is on its way,
 * a few per event-loop turn, in arrival order.
 */
export class WebhookReceiver {
  readonly counts: ReceiverCounts = { received: 0, emitted: 0, rejected: 0, duplicates: 0, tests: 0, busy: 0 };
  private readonly verifier: SignatureVerifier | undefined;
  /** Messages waiting to be sent on, in arrival order. */
  private readonly outbox: PacedEmitter<WebhookMessage>;

  constructor(
    private readonly options: ReceiverOptions,
    private readonly emit: (msg: WebhookMessage) => void,
    private readonly onActivity: () => void,
  ) {
    this.verifier = options.secret ? new SignatureVerifier(options.secret) : undefined;
    this.outbox = new PacedEmitter((msg) => {
      this.counts.emitted++;
      this.emit(msg);
      this.onActivity();
    });
  }

  /** Express handler for POST on the webhook path. */
  readonly handlePost = (req: IncomingMessage, res: ServerResponse): void => {
    const captured = capturedBody(req);
    if (!captured) return this.reject(res, 500, NOT_CAPTURED);
    if (captured.status !== 'ok') {
      drainRefused(req);
      return captured.status === 'forbidden' ? this.reject(res, 403, FORBIDDEN) : this.reject(res, 413, TOO_LARGE);
    }
    const body = captured.body;
    if (this.verifier && this.verifier.verify(req.headers['x-sg-signature'], body) !== undefined) {
      return this.reject(res, 401, BAD_SIGNATURE);
    }
    if (this.pendingCount >= this.options.maxPending) {
      this.counts.busy++;
      return this.reject(res, 503, BUSY, { 'Retry-After': '10' });
    }
    const parsed = parseDeliveryBody(body);
    if (!parsed.ok) return this.reject(res, 400, parsed.reason === 'json' ? BAD_JSON : BAD_SHAPE);
    reply(res, 200, OK);
    // The answer is written; the messages only queue here and leave on later turns.
    this.dispatch(parsed.body, req.headers, new Date().toISOString());
  };

  /** Express handler for every other method on the webhook path. */
  readonly handleOtherMethod = (_req: IncomingMessage, res: ServerResponse): void => {
    this.reject(res, 405, NOT_ALLOWED, { Allow: 'POST' });
  };

  /** Messages accepted but not yet sent on. */
  get pendingCount(): number {
    return this.outbox.pending;
  }

  /** Drops what has not been sent on yet (the node is closing). */
  discardPending(): void {
    this.outbox.discard();
  }

  private reject(res: ServerResponse, status: number, body: Buffer, extra?: OutgoingHttpHeaders): void {
    reply(res, status, body, extra);
    this.counts.rejected++;
    this.onActivity();
  }

  private dispatch(body: DeliveryBody, headers: IncomingHttpHeaders, receivedAt: string): void {
    const { deliveries } = body;
    const { split, emitTestConnections, dedup } = this.options;
    const counts = this.counts;
    const size = deliveries.length;
    const sg = sgHeaders(headers);
    const base = {
      webhookId: sg['x-sg-webhook-id'],
      deliveryId: sg['x-sg-delivery-id'],
      siteUrl: sg['x-sg-webhook-site-url'] ?? this.options.siteUrl,
      timestamp: body.timestamp,
      receivedAt,
    };
    const kept: Delivery[] = [];
    const now = Date.now();
    counts.received += size;
    for (let index = 0; index < size; index++) {
      const delivery = deliveries[index];
      if (isTestConnection(delivery)) {
        counts.tests++;
        if (!emitTestConnections) continue;
      } else if (dedup) {
        const key = dedupKey(delivery);
        if (key !== undefined && dedup.seen(key, now)) {
          counts.duplicates++;
          continue;
        }
      }
      if (!split) {
        kept.push(delivery);
        continue;
      }
      const fptr: WebhookMsgInfo = {
        source: 'webhook',
        webhookId: base.webhookId,
        deliveryId: typeof delivery.delivery_id === 'string' ? delivery.delivery_id : base.deliveryId,
        siteUrl: base.siteUrl,
        timestamp: base.timestamp,
        receivedAt,
        batch: { size, index },
        headers: { ...sg },
      };
      if (isTruncated(delivery)) fptr.truncated = true;
      this.outbox.push({ payload: delivery, topic: delivery.event_type, fptr });
    }
    if (!split && kept.length > 0) {
      const fptr: WebhookMsgInfo = { source: 'webhook', ...base, batch: { size: kept.length, index: 0 }, headers: sg };
      if (kept.some(isTruncated)) fptr.truncated = true;
      const topic = kept[0].event_type;
      this.outbox.push({ payload: kept, topic: kept.every((d) => d.event_type === topic) ? topic : undefined, fptr });
    }
    this.onActivity();
  }
}
