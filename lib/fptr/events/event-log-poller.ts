import { randomBytes } from 'node:crypto';
import type { FptrApi } from '../client/api';
import { decodeCursor, type StoredCursor } from './event-log-cursor';
import { eventLogMessage, type EventLogMessage, type LogEvent } from './event-log-delivery';
import { GapList, toRanges, type IdRange } from './event-log-gaps';
import { eventLogQuery } from './event-log-query';
import { EventLogReader, ID_PAGE, type ScanResult } from './event-log-reader';
import type { EventLogSettings, StartPoint } from './event-log-settings';
import { StateSaver } from './state-saver';

/**
 * The event daemon's loop as a state machine (issue 14): reads the event log after a cursor,
 * sends each matching row once and in id order, waits for ids that commit late, and keeps a
 * cursor in a store so that a restart goes on where it stopped.
 *
 * Two loops share the state. The read loop fetches the next stretch of the log (at most one page
 * ahead of what is sent, so a page is read while the previous one is sent), looks up missing
 * ids and waits `interval` when caught up. The pump sends rows in id order: in `emit` mode a
 * row is finished when sent; in `ack` mode at most `maxInFlight` rows are out at once, each is
 * finished by an acknowledgement, and the cursor naming them as in flight is stored before they
 * are sent, so after a crash exactly the rows that were in flight are sent again.
 */

/** Where the cursor lives: a Node-RED context store in the node, anything in tests. */
export interface CursorStore {
  load(): Promise<unknown>;
  save(cursor: StoredCursor): Promise<void>;
}

/** Things the node tells its user (in its own words and language); `changed` is for the badge. */
export type PollerNotice =
  | { kind: 'cursor-unreadable'; reason: string }
  | { kind: 'cursor-restored'; high: number; gaps: number; inFlight: number }
  | { kind: 'started'; high: number; start: StartPoint['kind'] }
  | { kind: 'reset'; high?: number }
  /** Missing ids not seen within the gap window (or beyond the gap list's bound). */
  | { kind: 'gaps-given-up'; ranges: IdRange[]; count: number; reason: 'window' | 'too-many' }
  /** Missing ids below a row already older than the gap window: never waited for. */
  | { kind: 'never-happened'; ranges: IdRange[] }
  | { kind: 'in-flight-missing'; ids: number[] }
  | { kind: 'save-failed'; error: unknown }
  | { kind: 'site-error'; error: unknown }
  | { kind: 'site-recovered' }
  | { kind: 'send-failed'; id: number; error: unknown }
  | { kind: 'held'; id: number; detail: string };

export interface PollerHooks {
  /** A row to send on the first output. */
  send(msg: EventLogMessage): void;
  /** A row whose retries are used up, for the "gave up" output; `detail` is the last failure. */
  gaveUp(msg: EventLogMessage, detail: string): void;
  notice(notice: PollerNotice): void;
  /** Something the status shows has changed. */
  changed(): void;
}

export type PollerPhase = 'starting' | 'catching-up' | 'caught-up' | 'paused' | 'held' | 'site-error';

export interface PollerStatus {
  phase: PollerPhase;
  /** The stored cursor. */
  high: number;
  /** now − created_at of the last row sent. */
  lagMs?: number;
  gaps: number;
  inFlight: number;
  /** The lowest held id (onFailure `stop`). */
  heldAt?: number;
  /** The lowest id sent and not acknowledged, and since when (epoch ms). */
  waiting?: { id: number; since: number };
  /** The site error of the current outage. */
  error?: unknown;
  /** When the read under way began (epoch ms): a site that answers slowly shows before it fails. */
  readingSince?: number;
  sent: number;
  /** Missing ids given up since the node started. */
  givenUp: number;
  /** Rows sent on the "gave up" output since the node started. */
  gaveUp: number;
}

export type AckOutcome = { ok: true } | { ok: false; detail: string };
/**
 * `committed`: finished; `failed`: handled per onFailure; `stale`: not (or no longer) in flight
 * under this ticket, e.g. acknowledged twice or sent again since; `not-needed`: commit is `emit`.
 */
export type AckResult = 'committed' | 'failed' | 'stale' | 'not-needed';

export interface PollerOptions {
  api: Pick<FptrApi, 'search'>;
  siteUrl: string;
  /** The node's id, put in each message for `fptr-acknowledge`. */
  nodeId: string;
  settings: EventLogSettings;
  store: CursorStore;
  hooks: PollerHooks;
  /** How soon a change is stored when nothing waits for it; default 250 ms. */
  saveDelayMs?: number;
}

interface Outstanding {
  event: LogEvent;
  /** Sendings so far. */
  attempt: number;
  /** The current sending; cleared once it is acknowledged as failed. */
  ticket?: string;
  sentAt?: number;
  retryTimer?: NodeJS.Timeout;
}

/** Rows sent per turn of the event loop in `emit` mode, so timers and requests still get their turn. */
const EMIT_SLICE = 100;
/** Ack mode: rows claimed in flight ahead of sending, per write of the cursor. */
export const CLAIM_AHEAD = 100;
/** Pages read at once while catching up (bounded, to be gentle with the site). */
const RANGES_AT_ONCE = 4;
const MAX_BACKOFF_MS = 60_000;

function insertSorted(list: number[], id: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== id) list.splice(lo, 0, id);
}

export class EventLogPoller {
  private readonly settings: EventLogSettings;
  private readonly reader: EventLogReader;
  private readonly gaps = new GapList();
  private readonly saver: StateSaver<StoredCursor>;
  private readonly instance = randomBytes(4).toString('hex');
  private ticketSeq = 0;

  /** Every id up to here has been read (or is missing and in `gaps`). */
  private scanned = 0;
  /** Rows read above the cursor and not yet sent, ascending from `head`. */
  private pending: LogEvent[] = [];
  private head = 0;
  /** Rows of missing ids that have appeared, ascending; their ids stay in `gaps` until sent. */
  private late: LogEvent[] = [];
  private readonly lateIds = new Set<number>();
  /** Rows sent and not finished (ack mode), and rows claimed to be sent. */
  private readonly inFlight = new Map<number, Outstanding>();
  /** In-flight ids to send (again): after a restart, a retry, a resume. Ascending. */
  private resend: number[] = [];
  /** In-flight ids of a stored cursor, to be read again and sent. */
  private restoreIds: number[] = [];
  /** Ack mode: rows up to this id are named in flight in the stored cursor before they are sent. */
  private claimedThrough = 0;
  private readonly held = new Set<number>();

  private needStart = true;
  private started = false;
  private paused = false;
  private closed = false;
  private caughtUp = false;
  /** The last read was a full page: the next reads several pages at once. */
  private behind = false;
  private readonly rangesAtOnce: number;
  /** Bumped by reset and close: answers to requests made before are dropped. */
  private epoch = 0;
  private version = 0;
  private lastGapCheck = 0;
  private siteError: unknown;
  private readingSince: number | undefined;
  private failures = 0;
  private lastSentCreatedMs = NaN;
  private counts = { sent: 0, givenUp: 0, gaveUp: 0 };

  private pumping = false;
  private pumpScheduled = false;
  private wakeUp: (() => void) | undefined;
  /** The read loop waits for the pump to make room (rather than for the interval). */
  private waitingForRoom = false;

  constructor(private readonly options: PollerOptions) {
    this.settings = options.settings;
    // The ids-only read with filters covers all ranges in one answer of at most 5000 rows.
    this.rangesAtOnce = Math.max(1, Math.min(RANGES_AT_ONCE, Math.floor(ID_PAGE / options.settings.pageSize)));
    this.reader = new EventLogReader(options.api, eventLogQuery(options.settings.filter), options.settings.pageSize);
    this.saver = new StateSaver(
      () => ({ state: this.cursor(), version: this.version }),
      (cursor) => options.store.save(cursor),
      (error) => options.hooks.notice({ kind: 'save-failed', error }),
      options.saveDelayMs ?? 250,
    );
  }

  /** Loads the stored cursor and starts reading; failures are reported through the hooks. */
  start(): void {
    void this.run();
  }

  pause(): void {
    this.paused = true;
    this.changed();
  }

  /** Ends a pause, and sends held rows again. */
  resume(): void {
    this.paused = false;
    for (const id of this.held) insertSorted(this.resend, id);
    this.held.clear();
    this.changed();
    this.wake();
    this.schedulePump();
  }

  /** Forgets everything and starts again per `start`, or after `to`. */
  reset(to?: number): void {
    this.epoch++;
    this.dropAll();
    this.saver.invalidate();
    if (to === undefined) {
      this.needStart = true;
      this.started = false;
    } else {
      this.scanned = to;
      this.needStart = false;
      this.started = true;
      this.version++;
      void this.saver.saveNow();
    }
    this.caughtUp = false;
    this.behind = false;
    this.options.hooks.notice({ kind: 'reset', high: to });
    this.changed();
    this.wake();
  }

  /** An acknowledgement from `fptr-acknowledge` for the sending named by `ticket`. */
  acknowledge(eventId: number, ticket: string, outcome: AckOutcome): AckResult {
    if (this.settings.commit === 'emit') return 'not-needed';
    const entry = this.inFlight.get(eventId);
    if (this.closed || !entry || entry.ticket === undefined || entry.ticket !== ticket) return 'stale';
    if (outcome.ok) {
      this.finish(entry);
      return 'committed';
    }
    this.fail(entry, outcome.detail);
    return 'failed';
  }

  status(): PollerStatus {
    let waiting: PollerStatus['waiting'];
    for (const [id, entry] of this.inFlight) {
      if (entry.sentAt !== undefined && entry.ticket !== undefined && (!waiting || id < waiting.id))
        waiting = { id, since: entry.sentAt };
    }
    const heldAt = this.held.size > 0 ? Math.min(...this.held) : undefined;
    let phase: PollerPhase;
    if (heldAt !== undefined) phase = 'held';
    else if (this.paused) phase = 'paused';
    else if (this.siteError !== undefined) phase = 'site-error';
    else if (!this.started) phase = 'starting';
    else phase = this.caughtUp && this.buffered() === 0 ? 'caught-up' : 'catching-up';
    const status: PollerStatus = {
      phase,
      high: this.high(),
      gaps: this.gaps.size,
      inFlight: this.inFlight.size + this.restoreIds.length,
      ...this.counts,
    };
    if (!Number.isNaN(this.lastSentCreatedMs)) status.lagMs = Math.max(0, Date.now() - this.lastSentCreatedMs);
    if (heldAt !== undefined) status.heldAt = heldAt;
    if (waiting) status.waiting = waiting;
    if (this.siteError !== undefined) status.error = this.siteError;
    if (this.readingSince !== undefined) status.readingSince = this.readingSince;
    return status;
  }

  /** Stops reading and sending, and stores the cursor unless `save` is false (the node was deleted). */
  async close(save = true): Promise<void> {
    this.closed = true;
    this.epoch++;
    for (const entry of this.inFlight.values()) clearTimeout(entry.retryTimer);
    this.wake();
    if (save) await this.saver.flush();
    else this.saver.cancel();
  }

  // ---- state ----

  /** The stored cursor: ids above the first unsent row are read again after a restart. */
  private high(): number {
    return this.head < this.pending.length ? this.pending[this.head].id - 1 : this.scanned;
  }

  private cursor(): StoredCursor {
    const high = Math.max(this.high(), this.claimedThrough);
    const claimed: number[] = [];
    for (let i = this.head; i < this.pending.length && this.pending[i]!.id <= this.claimedThrough; i++)
      claimed.push(this.pending[i]!.id);
    const inFlight = [...this.inFlight.keys(), ...this.restoreIds, ...claimed]
      .filter((id) => id <= high)
      .sort((a, b) => a - b);
    return { v: 1, high, gaps: this.gaps.stored(high), inFlight, site: this.options.siteUrl };
  }

  private buffered(): number {
    return this.pending.length - this.head + this.late.length;
  }

  private changed(): void {
    this.options.hooks.changed();
  }

  private dropAll(): void {
    for (const entry of this.inFlight.values()) clearTimeout(entry.retryTimer);
    this.inFlight.clear();
    this.pending = [];
    this.head = 0;
    this.late = [];
    this.lateIds.clear();
    this.resend = [];
    this.restoreIds = [];
    this.claimedThrough = 0;
    this.held.clear();
    this.gaps.clear();
  }

  // ---- the read loop ----

  private async run(): Promise<void> {
    await this.load();
    while (!this.closed) {
      const epoch = this.epoch;
      let wait = 0;
      try {
        wait = await this.step(epoch);
      } catch (err) {
        if (!this.closed && epoch === this.epoch) wait = this.failed(err);
      }
      this.readingSince = undefined;
      if (wait > 0) await this.idle(wait);
      this.waitingForRoom = false;
    }
  }

  /** Does the next thing there is to do; returns how long to wait before the one after. */
  private async step(epoch: number): Promise<number> {
    if (this.paused || this.held.size > 0) return Infinity;
    const read =
      this.needStart || this.restoreIds.length > 0 || this.gapCheckDue() || this.buffered() <= this.settings.pageSize;
    if (!read) {
      // A page ahead is enough: wait until the pump has sent some, or a gap needs looking up.
      this.waitingForRoom = true;
      return this.untilGapCheck();
    }
    this.readingSince = Date.now();
    let wait = 0;
    if (this.needStart) await this.resolveStart(epoch);
    else if (this.restoreIds.length > 0) await this.restore(epoch);
    else if (this.gapCheckDue()) await this.checkGaps(epoch);
    else {
      const after = this.scanned;
      // Behind: several pages at once, so the site's latency is paid once for all of them.
      const result = this.behind
        ? await this.reader.scanRanges(after, this.rangesAtOnce)
        : await this.reader.scan(after);
      if (epoch === this.epoch) this.apply(result);
      if (!result.full || result.end === after) wait = Math.min(this.settings.intervalMs, this.untilGapCheck());
    }
    this.recovered();
    return wait;
  }

  private recovered(): void {
    if (this.siteError === undefined) return;
    this.siteError = undefined;
    this.failures = 0;
    this.options.hooks.notice({ kind: 'site-recovered' });
    this.changed();
  }

  /** Records a failed read and returns how long to wait before the next: growing, and at least what the site asked for. */
  private failed(err: unknown): number {
    this.failures++;
    if (this.siteError === undefined) this.options.hooks.notice({ kind: 'site-error', error: err });
    this.siteError = err;
    this.changed();
    const backoff = Math.min(
      this.settings.intervalMs * 2 ** (this.failures - 1),
      Math.max(MAX_BACKOFF_MS, this.settings.intervalMs),
    );
    const asked = (err as { retryAfterMs?: unknown }).retryAfterMs;
    return typeof asked === 'number' && asked > backoff ? asked : backoff;
  }

  private idle(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, Math.max(0, ms));
      this.wakeUp = done;
    });
  }

  private wake(): void {
    this.wakeUp?.();
  }

  private async load(): Promise<void> {
    let decoded: ReturnType<typeof decodeCursor>;
    try {
      decoded = decodeCursor(await this.options.store.load(), this.options.siteUrl);
    } catch (err) {
      decoded = { kind: 'unreadable', reason: err instanceof Error ? err.message : String(err) };
    }
    if (decoded.kind === 'unreadable') this.options.hooks.notice({ kind: 'cursor-unreadable', reason: decoded.reason });
    if (decoded.kind !== 'ok') return;
    const { cursor } = decoded;
    this.scanned = cursor.high;
    this.gaps.restore(cursor.gaps);
    this.restoreIds = cursor.inFlight;
    this.needStart = false;
    this.started = true;
    this.options.hooks.notice({
      kind: 'cursor-restored',
      high: cursor.high,
      gaps: cursor.gaps.length,
      inFlight: cursor.inFlight.length,
    });
    this.changed();
  }

  private async resolveStart(epoch: number): Promise<void> {
    const start = this.settings.start;
    let high: number;
    if (start.kind === 'id') high = start.id;
    else if (start.kind === 'now') high = await this.reader.newestId();
    else high = await this.reader.lastIdBefore(start.since);
    if (epoch !== this.epoch) return;
    this.scanned = high;
    this.needStart = false;
    this.started = true;
    this.version++;
    // Stored at once: a restart must go on from this point, not from a later "now".
    await this.saver.saveNow();
    this.options.hooks.notice({ kind: 'started', high, start: start.kind });
    this.changed();
  }

  /** Reads the rows a stored cursor had in flight and sends them again. */
  private async restore(epoch: number): Promise<void> {
    const found = await this.reader.lookup(this.restoreIds);
    if (epoch !== this.epoch) return;
    this.restoreIds = [];
    for (const event of found.events) {
      this.inFlight.set(event.id, { event, attempt: 0 });
      insertSorted(this.resend, event.id);
    }
    if (found.missing.length > 0) this.options.hooks.notice({ kind: 'in-flight-missing', ids: found.missing });
    this.version++;
    this.saver.saveSoon();
    this.schedulePump();
  }

  private unresolvedGaps(): number {
    return this.gaps.size - this.lateIds.size;
  }

  private untilGapCheck(): number {
    if (this.unresolvedGaps() === 0) return Infinity;
    const next = Math.min(this.lastGapCheck + this.settings.intervalMs, this.gaps.nextDeadline() ?? Infinity);
    return Math.max(0, next - Date.now());
  }

  private gapCheckDue(): boolean {
    return this.unresolvedGaps() > 0 && this.untilGapCheck() === 0;
  }

  /** Looks up the missing ids: appeared ones are sent, expired ones given up. */
  private async checkGaps(epoch: number): Promise<void> {
    const now = Date.now();
    this.lastGapCheck = now;
    const found = await this.reader.lookup(this.gaps.ids().filter((id) => !this.lateIds.has(id)));
    if (epoch !== this.epoch) return;
    for (const event of found.events) {
      if (!this.gaps.has(event.id) || this.lateIds.has(event.id)) continue;
      this.lateIds.add(event.id);
      this.late.splice(this.lateIndex(event.id), 0, event);
    }
    for (const id of found.unmatched) this.gaps.delete(id);
    // Expired before the read began and still missing in it: given up.
    const expired = new Set(this.gaps.expired(now));
    const givenUp = found.missing.filter((id) => expired.has(id) && this.gaps.delete(id));
    if (givenUp.length > 0) this.giveUp(toRanges(givenUp), 'window');
    this.version++;
    this.saver.saveSoon();
    this.changed();
    this.schedulePump();
  }

  private lateIndex(id: number): number {
    let lo = 0;
    let hi = this.late.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.late[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private giveUp(ranges: IdRange[], reason: 'window' | 'too-many'): void {
    const count = ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
    this.counts.givenUp += count;
    this.options.hooks.notice({ kind: 'gaps-given-up', ranges, count, reason });
  }

  private apply(result: ScanResult): void {
    const now = Date.now();
    const window = this.settings.gapWindowMs;
    const neverHappened: IdRange[] = [];
    for (const run of result.missing) {
      // Like the daemon: ids below a row made longer ago than the window will not appear any more.
      if (window === 0 || now - run.nextCreatedMs > window) {
        neverHappened.push([run.from, run.to]);
        continue;
      }
      const overflow = this.gaps.addRun(run.from, run.to, now + window);
      if (overflow.length > 0) this.giveUp(overflow, 'too-many');
    }
    if (neverHappened.length > 0) this.options.hooks.notice({ kind: 'never-happened', ranges: neverHappened });
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    for (const event of result.events) this.pending.push(event);
    this.caughtUp = !result.full;
    this.behind = result.full;
    if (result.end !== this.scanned || result.events.length > 0 || result.missing.length > 0) {
      this.scanned = result.end;
      this.version++;
      this.saver.saveSoon();
    }
    this.changed();
    this.schedulePump();
  }

  // ---- the pump ----

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  private blocked(): boolean {
    return this.closed || this.paused || this.held.size > 0 || !this.started;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.blocked()) return;
    this.pumping = true;
    try {
      if (this.settings.commit === 'emit') this.pumpEmit();
      else await this.pumpAck();
    } finally {
      this.pumping = false;
    }
    if (this.waitingForRoom && this.buffered() <= this.settings.pageSize) this.wake();
  }

  /** The lowest row waiting to be sent: a late one or the next in line. */
  private takeNext(): LogEvent | undefined {
    const next = this.head < this.pending.length ? this.pending[this.head] : undefined;
    const late = this.late[0];
    if (late && (!next || late.id < next.id)) {
      this.late.shift();
      this.lateIds.delete(late.id);
      this.gaps.delete(late.id);
      return late;
    }
    if (next) this.head++;
    return next;
  }

  private pumpEmit(): void {
    let sent = 0;
    for (const id of this.resend.splice(0)) {
      const entry = this.inFlight.get(id);
      if (!entry) continue;
      this.inFlight.delete(id);
      this.sendRow(entry, false);
      sent++;
    }
    while (sent < EMIT_SLICE) {
      const event = this.takeNext();
      if (!event) break;
      this.sendRow({ event, attempt: 0 }, false);
      sent++;
    }
    if (sent > 0) {
      this.version++;
      this.saver.saveSoon();
      this.changed();
    }
    if (this.buffered() > 0) this.schedulePump();
  }

  private async pumpAck(): Promise<void> {
    for (;;) {
      if (this.blocked()) return;
      // Rows to send again (after a restart, a retry, a resume) count against maxInFlight like new ones.
      while (
        this.resend.length > 0 &&
        !this.blocked() &&
        this.inFlight.size - this.resend.length < this.settings.maxInFlight
      ) {
        const entry = this.inFlight.get(this.resend.shift() as number);
        if (entry) this.sendRow(entry, true);
      }
      const claimed: Outstanding[] = [];
      while (this.inFlight.size + this.restoreIds.length < this.settings.maxInFlight) {
        const event = this.takeNext();
        if (!event) break;
        const entry: Outstanding = { event, attempt: 0 };
        this.inFlight.set(event.id, entry);
        claimed.push(entry);
      }
      if (claimed.length === 0) return;
      const last = claimed[claimed.length - 1]!.event.id;
      if (last > this.claimedThrough) {
        // The cursor naming these rows as in flight is stored before any of them leaves. It names
        // the next rows in line too, so a fast flow is not held up by a write per event: after a
        // crash these claimed rows are sent again, at most CLAIM_AHEAD more than were out.
        const ahead = this.pending[Math.min(this.head + CLAIM_AHEAD - 1, this.pending.length - 1)];
        this.claimedThrough = Math.max(last, ahead && this.head < this.pending.length ? ahead.id : last);
        this.version++;
        const epoch = this.epoch;
        await this.saver.saveNow();
        if (epoch !== this.epoch) return;
      }
      for (const entry of claimed) {
        if (this.inFlight.get(entry.event.id) !== entry) continue;
        if (this.blocked()) insertSorted(this.resend, entry.event.id);
        else this.sendRow(entry, true);
      }
      this.changed();
    }
  }

  private sendRow(entry: Outstanding, outstanding: boolean): void {
    entry.attempt++;
    entry.ticket = `${this.instance}.${++this.ticketSeq}`;
    entry.sentAt = Date.now();
    const { event } = entry;
    // A row that may be sent again keeps its own copy: the flow may change the payload it got.
    const sending = outstanding ? { ...event, delivery: structuredClone(event.delivery) } : event;
    const msg = eventLogMessage(sending, {
      siteUrl: this.options.siteUrl,
      eventsNode: this.options.nodeId,
      ticket: entry.ticket,
      attempt: entry.attempt,
      receivedAt: new Date().toISOString(),
    });
    this.counts.sent++;
    if (!Number.isNaN(event.createdMs)) this.lastSentCreatedMs = event.createdMs;
    try {
      this.options.hooks.send(msg);
    } catch (error) {
      this.options.hooks.notice({ kind: 'send-failed', id: event.id, error });
      if (outstanding) this.fail(entry, error instanceof Error ? error.message : String(error));
    }
  }

  private finish(entry: Outstanding): void {
    clearTimeout(entry.retryTimer);
    this.inFlight.delete(entry.event.id);
    this.version++;
    this.saver.saveSoon();
    this.changed();
    // At once, not on a later turn: with one event in flight, every turn here is a turn per event.
    void this.pump();
  }

  private fail(entry: Outstanding, detail: string): void {
    entry.ticket = undefined;
    const id = entry.event.id;
    if (this.settings.onFailure === 'stop') {
      this.held.add(id);
      this.options.hooks.notice({ kind: 'held', id, detail });
      this.changed();
      return;
    }
    if (entry.attempt <= this.settings.retries) {
      const delay = Math.min(
        this.settings.intervalMs * 2 ** (entry.attempt - 1),
        Math.max(MAX_BACKOFF_MS, this.settings.intervalMs),
      );
      entry.retryTimer = setTimeout(() => {
        entry.retryTimer = undefined;
        if (this.inFlight.get(id) !== entry) return;
        insertSorted(this.resend, id);
        this.schedulePump();
      }, delay);
      return;
    }
    const msg = eventLogMessage(
      { ...entry.event, delivery: structuredClone(entry.event.delivery) },
      {
        siteUrl: this.options.siteUrl,
        eventsNode: this.options.nodeId,
        ticket: '',
        attempt: entry.attempt,
        receivedAt: new Date().toISOString(),
      },
    );
    this.counts.gaveUp++;
    this.finish(entry);
    this.options.hooks.gaveUp(msg, detail);
  }
}
