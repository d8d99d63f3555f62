import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ClaimQueue, type ClaimKey, type ClaimOutcome } from '../../state/claim-queue';
import type { SharedState } from '../../state/shared-state';
import type { CidrList } from '../../util/cidr';
import type { Delivery, FptrMsgInfo } from '../contract';
import type { DedupWindow } from './dedup-window';
import { isTestConnection, isTruncated, parseDeliveryBody, type DeliveryBody } from './delivery-body';
import { deliveryKey } from './event-key';
import { PacedEmitter } from './paced-emitter';
import { SignatureVerifier } from './signature';

/** What became of a request's body before the receiver saw it (read by lib/node-red/raw-body-capture). */
export type ReceivedBody =
  | { status: 'ok'; body: Buffer }
  /** The source is not allowed; no byte of the body was read. */
  | { status: 'forbidden' }
  /** The body is (or would be) larger than the limit; reading stopped at it. */
  | { status: 'too-large' }
  /** The body did not arrive in time; reading stopped. */
  | { status: 'timeout' };

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
  /**
   * Duplicate detection across instances, behind the local window: each batch's keys are
   * claimed in shared state (after the answer) and only the claimed deliveries go on. Keys the
   * local window saw are claimed too: they go on only when given back for a redelivery.
   */
  shared?: SharedDedup;
  /** `msg.fptr.siteUrl` when the request has no `x-sg-webhook-site-url` header. */
  siteUrl?: string;
  /** Requests are answered 503 while this many messages wait to be sent on. */
  maxPending: number;
  /**
   * With shared dedup: while this many deliveries wait for their claims, new requests wait for
   * their answer (default: 2,000, or half of `maxPending` when that is less). Claims are I/O, so without this a flood is read as fast as it
   * arrives and reaches `maxPending` (503) where the local path slows its answers instead.
   */
  claimHoldAt?: number;
  /** How long a request may wait so, in ms, before it is answered 503 (default 5,000; FPTR waits 6 s). */
  claimHoldMs?: number;
  /** At most this many requests wait so (each with its body); more are answered 503 at once (default 100). */
  maxHeld?: number;
  /** How long the rest of a refused body may take to be read and thrown away, in ms. */
  readTimeoutMs: number;
}

export interface SharedDedup {
  state: SharedState;
  /** Put in front of each dedup key, so each webhook node has its own keys. */
  keyPrefix: string;
  /** How long a claim holds: the dedup window, in ms. */
  ttlMs: number;
}

/** What one accepted request's messages share. */
interface RequestInfo {
  size: number;
  sg: Record<string, string>;
  base: Omit<FptrMsgInfo, 'source' | 'batch'>;
  receivedAt: string;
  /** The parsed deliveries, or (held in a burst, see Outgoing) only the request's bytes until its first message leaves. */
  deliveries: Delivery[] | Buffer;
}

/**
 * A message in the outbox: which deliveries of its request it carries. The message itself is
 * built when it leaves. A burst's messages wait until it is over (BURST_GAP_MS), and thousands of
 * parsed deliveries held that long would all have to be copied by V8's young-generation
 * collector, pausing the answers to the burst: held requests keep only their bytes (one object,
 * outside the JS heap) and are parsed again when their messages leave. Requests that arrive
 * while a backlog is being sent keep their parsed deliveries: a steady flood parses once.
 */
interface Outgoing {
  request: RequestInfo;
  /** The delivery's index, or (split off) the indices of the request's deliveries that go on. */
  indices: number[];
  msg?: WebhookMessage;
}

/** A delivery waiting for its claim, with its place in the request. */
interface Candidate {
  delivery: Delivery;
  index: number;
  request: RequestInfo;
}

/** How the receiver reaches its node. */
export interface ReceiverHooks {
  /** Sends one message on; may throw (e.g. Node-RED failing to clone it). */
  emit: (msg: WebhookMessage) => void;
  /** Something counted changed (status, backlog, dedup state). */
  onActivity: () => void;
  /** An exception was caught: in a request (no message) or sending `msg` on. */
  onError: (err: unknown, msg?: WebhookMessage) => void;
  /** A Test_Connection delivery arrived (signed, when a secret is set): the endpoint answers. */
  onTestConnection?: (delivery: Delivery, webhookId: string | undefined) => void;
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
const TOO_DEEP = answer('body is nested too deeply');
const BAD_SIGNATURE = answer('invalid signature');
const FORBIDDEN = answer('source address not allowed');
const TOO_LARGE = answer('body too large');
const NOT_ALLOWED = answer('method not allowed');
const NOT_CAPTURED = answer('request body unavailable');
const BUSY = answer('busy: earlier deliveries are still being processed');
const CLOSED = answer('not listening: the flow is being redeployed or stopped');
const TIMEOUT = answer('body not received in time');
const INTERNAL = answer('internal error');
/** Seconds FPTR (or any client) is asked to wait before trying a 503 again. */
const RETRY_AFTER = { 'Retry-After': '10' };
/**
 * The messages of a request leave once no other request arrived for this long: FPTR sends the
 * batches of a bulk change back to back, each as soon as the previous one is answered, and the
 * answers stay fast while the flows' work waits for the burst to end (at most PacedEmitter's
 * maxHoldMs). Next to the seconds FPTR takes to deliver an event, the wait is nothing.
 */
const BURST_GAP_MS = 20;
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
 * Answers a request whose body was refused before it was (fully) read. Closing the socket with
 * unread bytes makes the kernel reset the connection, and Node closes it as soon as the answer
 * ends when the client sent `Connection: close`: a client still uploading would then lose the
 * answer. So the answer is written whole at once (its Content-Length lets the client read it)
 * but ended only when the rest of the body has been read and thrown away (never kept): up to
 * DRAIN_BYTES and within `deadlineMs`, else the connection is cut. One that finishes keeps its
 * keep-alive connection.
 */
function answerThenDrain(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: Buffer,
  deadlineMs: number,
): void {
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': body.length });
  res.write(body);
  let drained = 0;
  const cut = (): void => {
    req.socket.destroy();
  };
  const timer = setTimeout(cut, deadlineMs);
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) cut();
  });
  req.once('end', () => res.end());
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * The peer address for the allow-list. When the connection comes from one of `proxies` (a
 * reverse proxy the admin trusts) it is the LAST `X-Forwarded-For` entry, the one that proxy
 * appended; earlier entries are client-supplied, and from any other peer the header is too.
 */
export function clientAddress(req: IncomingMessage, proxies?: CidrList): string | undefined {
  const peer = req.socket.remoteAddress;
  if (proxies?.allows(peer)) {
    const forwarded = header(req.headers, 'x-forwarded-for');
    if (forwarded) {
      const last = forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      if (last) return last;
    }
  }
  return peer;
}

/** An admission check for the body reader: the request's source must be in `list`. */
export function sourceAllowed(list: CidrList, proxies?: CidrList): (req: IncomingMessage) => boolean {
  return (req) => list.allows(clientAddress(req, proxies));
}

/** A signed request waiting for the claim backlog to shrink before it is taken and answered. */
interface HeldRequest {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  timer: NodeJS.Timeout;
}

const CLAIM_HOLD_AT = 2000;
const CLAIM_HOLD_MS = 5000;
/** FPTR sends one request at a time per webhook: a hundred waiting is a hundred webhooks. */
const MAX_HELD = 100;

/** A delivery nothing is claimed for (no key, or no dedup): it always goes on. */
const NO_CLAIM: ClaimKey = { key: undefined };

/**
 * Handles FPTR webhook requests with the body read ahead: size/allow-list/deadline
 * outcome → signature → backlog → depth, JSON, shape, answered at once; the deliveries are
 * split, filtered (test connections, duplicates) and handed to `emit` only after the answer is
 * on its way, a few per event-loop turn, in arrival order, and once a burst of requests is over. Every way in (the handlers, the
 * capture's `onError`, each emitting turn) catches what it throws: it goes to `onError`, and a
 * request not yet answered gets a 500.
 */
export class WebhookReceiver {
  readonly counts: ReceiverCounts = { received: 0, emitted: 0, rejected: 0, duplicates: 0, tests: 0, busy: 0 };
  private readonly verifier: SignatureVerifier | undefined;
  /** Messages waiting to be sent on, in arrival order. */
  private readonly outbox: PacedEmitter<Outgoing>;
  /** Deliveries waiting for their keys to be claimed across instances, in arrival order. */
  private readonly claims: ClaimQueue<Candidate> | undefined;
  /** Requests waiting for their answer while the claim backlog is high, oldest first. */
  private held: HeldRequest[] = [];
  private closed = false;

  constructor(
    private readonly options: ReceiverOptions,
    private readonly hooks: ReceiverHooks,
  ) {
    this.verifier = options.secret ? new SignatureVerifier(options.secret) : undefined;
    this.outbox = new PacedEmitter<Outgoing>(
      (item) => {
        hooks.emit((item.msg = this.message(item)));
        this.counts.emitted++;
        hooks.onActivity();
      },
      (err, item) => hooks.onError(err, item.msg),
    );
    if (options.shared) {
      this.claims = new ClaimQueue<Candidate>(options.shared.state, {
        ttlMs: options.shared.ttlMs,
        release: (outcome) => this.released(outcome),
        onUnavailable: () => hooks.onActivity(),
      });
    }
  }

  /** POST on the webhook path; `received` undefined when nothing read the body ahead. */
  handlePost(req: IncomingMessage, res: ServerResponse, received: ReceivedBody | undefined): void {
    try {
      this.receive(req, res, received);
    } catch (err) {
      this.handleError(err, res);
    }
  }

  /** Express handler for every other method on the webhook path. */
  readonly handleOtherMethod = (_req: IncomingMessage, res: ServerResponse): void => {
    try {
      this.reject(res, 405, NOT_ALLOWED, { Allow: 'POST' });
    } catch (err) {
      this.handleError(err, res);
    }
  };

  /** Reports an exception caught while handling a request; answers 500 if nothing was written yet. */
  readonly handleError = (err: unknown, res: ServerResponse): void => {
    this.hooks.onError(err);
    if (!res.headersSent) this.reject(res, 500, INTERNAL);
  };

  private get claimHoldAt(): number {
    return this.options.claimHoldAt ?? Math.min(CLAIM_HOLD_AT, Math.ceil(this.options.maxPending / 2));
  }

  /** Messages accepted but not yet sent on. */
  get pendingCount(): number {
    return this.outbox.pending + (this.claims?.pending ?? 0);
  }

  /**
   * The node is closing: what has not been sent on is dropped, and requests still arriving
   * (their body was on its way during a redeploy) are answered 503, so FPTR marks them failed
   * and they can be redelivered, instead of 200 for messages nobody would send on.
   */
  close(): void {
    this.closed = true;
    this.claims?.close();
    this.outbox.discard();
    const held = this.held;
    this.held = [];
    for (const { res, timer } of held) {
      clearTimeout(timer);
      this.reject(res, 503, CLOSED, RETRY_AFTER);
    }
  }

  private receive(req: IncomingMessage, res: ServerResponse, captured: ReceivedBody | undefined): void {
    if (!captured) return this.reject(res, 500, NOT_CAPTURED);
    switch (captured.status) {
      case 'forbidden':
        return this.reject(res, 403, FORBIDDEN, undefined, req);
      case 'too-large':
        return this.reject(res, 413, TOO_LARGE, undefined, req);
      case 'timeout':
        return this.reject(res, 408, TIMEOUT, { Connection: 'close' });
    }
    if (this.closed) return this.reject(res, 503, CLOSED, RETRY_AFTER);
    const body = captured.body;
    if (this.verifier && this.verifier.verify(req.headers['x-sg-signature'], body) !== undefined) {
      return this.reject(res, 401, BAD_SIGNATURE);
    }
    if (this.claims && (this.held.length > 0 || this.claims.pending >= this.claimHoldAt))
      return this.hold(req, res, body);
    this.accept(req, res, body);
  }

  /** The request is signed (or needs no signature): backlog, shape, answer, messages. */
  private accept(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (this.pendingCount >= this.options.maxPending) {
      this.counts.busy++;
      return this.reject(res, 503, BUSY, RETRY_AFTER);
    }
    const parsed = parseDeliveryBody(body);
    if (!parsed.ok)
      return this.reject(
        res,
        400,
        parsed.reason === 'json' ? BAD_JSON : parsed.reason === 'depth' ? TOO_DEEP : BAD_SHAPE,
      );
    reply(res, 200, OK);
    // The answer is written; the messages only queue here and leave on later turns.
    this.dispatch(parsed.body, body, req.headers, new Date().toISOString());
  }

  /**
   * Keeps a request unanswered until the claim backlog is below `claimHoldAt` (FPTR sends a
   * webhook's requests one at a time, so its next one waits too), in arrival order; after
   * `claimHoldMs` it is answered 503 and nothing of it is kept, as is one past `maxHeld` at once
   * (each holds its body). One whose client went away is dropped: an unanswered delivery is
   * FPTR's to send again.
   */
  private hold(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    if (this.held.length >= (this.options.maxHeld ?? MAX_HELD)) {
      this.counts.busy++;
      return this.reject(res, 503, BUSY, RETRY_AFTER);
    }
    const entry: HeldRequest = {
      req,
      res,
      body,
      timer: setTimeout(() => {
        if (!this.unhold(entry)) return;
        this.counts.busy++;
        // A timer: an exception here would end the process.
        try {
          this.reject(res, 503, BUSY, RETRY_AFTER);
        } catch (err) {
          this.hooks.onError(err);
        }
      }, this.options.claimHoldMs ?? CLAIM_HOLD_MS),
    };
    this.held.push(entry);
    res.once('close', () => {
      if (this.unhold(entry)) this.resumeHeld();
    });
  }

  /** Takes `entry` out of the held requests; false when it was no longer there. */
  private unhold(entry: HeldRequest): boolean {
    const index = this.held.indexOf(entry);
    if (index < 0) return false;
    this.held.splice(index, 1);
    clearTimeout(entry.timer);
    return true;
  }

  /** Takes held requests, oldest first, while the claim backlog allows. */
  private resumeHeld(): void {
    while (this.held.length > 0 && !this.closed && (this.claims?.pending ?? 0) < this.claimHoldAt) {
      const entry = this.held.shift()!;
      clearTimeout(entry.timer);
      try {
        this.accept(entry.req, entry.res, entry.body);
      } catch (err) {
        this.handleError(err, entry.res);
      }
    }
  }

  /** Answers `status`; with `unread`, a request whose body is still (partly) on its way. */
  private reject(
    res: ServerResponse,
    status: number,
    body: Buffer,
    extra?: OutgoingHttpHeaders,
    unread?: IncomingMessage,
  ): void {
    if (unread && !unread.complete) answerThenDrain(unread, res, status, body, this.options.readTimeoutMs);
    else reply(res, status, body, extra);
    this.counts.rejected++;
    this.hooks.onActivity();
  }

  private dispatch(body: DeliveryBody, raw: Buffer, headers: IncomingHttpHeaders, receivedAt: string): void {
    const { deliveries } = body;
    const { emitTestConnections, dedup, shared } = this.options;
    const counts = this.counts;
    const size = deliveries.length;
    const sg = sgHeaders(headers);
    const request: RequestInfo = {
      size,
      sg,
      base: {
        webhookId: sg['x-sg-webhook-id'],
        deliveryId: sg['x-sg-delivery-id'],
        siteUrl: sg['x-sg-webhook-site-url'] ?? this.options.siteUrl,
        timestamp: body.timestamp,
        receivedAt,
      },
      receivedAt,
      deliveries: this.outbox.holdFor(BURST_GAP_MS) ? raw : deliveries,
    };
    const candidates: Candidate[] = [];
    const keys: ClaimKey[] = [];
    const now = Date.now();
    counts.received += size;
    for (let index = 0; index < size; index++) {
      const delivery = deliveries[index];
      let claim = NO_CLAIM;
      if (isTestConnection(delivery)) {
        counts.tests++;
        this.hooks.onTestConnection?.(delivery, request.base.webhookId);
        if (!emitTestConnections) continue;
      } else if (dedup) {
        const key = deliveryKey(delivery);
        const seenHere = key !== undefined && dedup.seen(key, now);
        // Shared state may know it was given back for a redelivery (a sweep on another instance).
        if (seenHere && !shared) {
          counts.duplicates++;
          continue;
        }
        if (shared) claim = { key: key === undefined ? undefined : shared.keyPrefix + key, seenHere };
      }
      candidates.push({ delivery, index, request });
      if (shared) keys.push(claim);
    }
    if (this.claims) this.claims.push(candidates, keys);
    else this.send(candidates);
    this.hooks.onActivity();
  }

  /** A batch whose keys were claimed (or could not be): the duplicates counted, the rest sent on. */
  private released(outcome: ClaimOutcome<Candidate>): void {
    this.counts.duplicates += outcome.duplicates.length;
    this.send(outcome.kept);
    this.hooks.onActivity();
    if (this.held.length > 0) this.resumeHeld();
  }

  /** Queues the messages of one request's deliveries that go on: one each, or one with them all. */
  private send(candidates: Candidate[]): void {
    if (candidates.length === 0) return;
    const request = candidates[0].request;
    if (!this.options.split) {
      this.outbox.push({ request, indices: candidates.map((c) => c.index) });
      return;
    }
    for (const { index } of candidates) this.outbox.push({ request, indices: [index] });
  }

  /** The message of an outbox item; a held request's bytes are parsed again for its first one. */
  private message({ request, indices }: Outgoing): WebhookMessage {
    if (Buffer.isBuffer(request.deliveries)) {
      const parsed = parseDeliveryBody(request.deliveries);
      // It passed these checks when it arrived; the bytes have not changed since.
      if (!parsed.ok) throw new Error(`a webhook body accepted earlier no longer parses (${parsed.reason})`);
      request.deliveries = parsed.body.deliveries;
    }
    const all = request.deliveries;
    const { size, sg, base, receivedAt } = request;
    if (!this.options.split) {
      const kept = indices.map((i) => all[i]);
      const fptr: WebhookMsgInfo = { source: 'webhook', ...base, batch: { size: kept.length, index: 0 }, headers: sg };
      if (kept.some(isTruncated)) fptr.truncated = true;
      const topic = kept[0].event_type;
      return { payload: kept, topic: kept.every((d) => d.event_type === topic) ? topic : undefined, fptr };
    }
    const index = indices[0];
    const delivery = all[index];
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
    return { payload: delivery, topic: delivery.event_type, fptr };
  }
}
