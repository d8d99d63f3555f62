export interface PacedEmitterOptions {
  /** Downstream work per turn to aim for, in ms. */
  targetMs: number;
  /** Above this many waiting items, each turn sends at least as many as arrived since the last. */
  catchUpAt: number;
  /** Items sent in the first turn. */
  initialSlice: number;
  maxSlice: number;
  /** The longest `holdFor` may keep waiting items back, counted from the first hold of a burst. */
  maxHoldMs: number;
}

export const PACED_DEFAULTS: PacedEmitterOptions = {
  targetMs: 1,
  catchUpAt: 2000,
  initialSlice: 10,
  maxSlice: 1000,
  maxHoldMs: 250,
};

/**
 * Hands items to `send` a slice per event-loop turn, in order. A `send` that throws (e.g.
 * Node-RED failing to clone a message for a second wire) is handed to `onError` with its item
 * and the pump goes on: an exception escaping an immediate would end the whole process. Node-RED delivers every message
 * in its own setImmediate, and Node runs, in one go, every immediate queued before a turn's check
 * phase: sending a whole batch at once would make the next HTTP request wait for all of its
 * downstream work. A marker immediate queued just before a slice's sends runs just before their
 * deliveries, and the next pump just after them, so the pump measures the slice's first-hop
 * downstream time and halves or doubles the slice to keep it near `targetMs`.
 * When the backlog passes `catchUpAt`, the downstream cannot keep up at that pace: each turn
 * then sends at least what arrived since the previous one, so the backlog stops growing and new
 * requests wait longer instead (backpressure towards the sender).
 *
 * `holdFor` keeps waiting items back for a while (the owner sees requests arriving back to back):
 * each turn of downstream work delays the answer to the next request, and a burst is answered
 * fastest when its work starts once it is over. A hold ends when no new one is asked for in
 * time, when the backlog reaches `catchUpAt`, or `maxHoldMs` after the burst's first hold; then
 * everything waiting is sent (paced as above) before items can be held again, so a sender that
 * never pauses delays items by at most `maxHoldMs`.
 */
export class PacedEmitter<T> {
  /** Sent items' slots are emptied at once (the prefix itself is dropped now and then). */
  private queue: Array<T | undefined> = [];
  private head = 0;
  private scheduled = false;
  private slice: number;
  private sliceStartedAt = 0;
  private arrived = 0;
  /** Until when no slice starts (0: no hold). */
  private holdUntil = 0;
  /** When holding must end in the current burst (0: no burst). */
  private holdDeadline = 0;
  /** A hold ended and items still wait: no new hold until they are all sent. */
  private draining = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly options: PacedEmitterOptions;

  constructor(
    private readonly send: (item: T) => void,
    private readonly onError: (err: unknown, item: T) => void,
    options: Partial<PacedEmitterOptions> = {},
  ) {
    this.options = { ...PACED_DEFAULTS, ...options };
    this.slice = this.options.initialSlice;
  }

  /** Items waiting to be sent. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** The current slice size (exposed for tests and diagnostics). */
  get sliceSize(): number {
    return this.slice;
  }

  push(item: T): void {
    this.queue.push(item);
    this.arrived++;
    if (this.holdTimer !== undefined && this.pending >= this.options.catchUpAt) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
      this.scheduled = false;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.sliceStartedAt = 0;
      setImmediate(this.pump);
    }
  }

  /**
   * Keeps waiting and new items back for `ms` more (see the class comment for when a hold ends).
   * False when nothing is held: a hold ended and its backlog is still being sent.
   */
  holdFor(ms: number): boolean {
    if (!this.scheduled) {
      // Nothing waits: whatever held or drained before is over, this is a new burst.
      this.holdDeadline = 0;
      this.draining = false;
    }
    if (this.draining) return false;
    const now = performance.now();
    if (this.holdDeadline === 0) this.holdDeadline = now + this.options.maxHoldMs;
    this.holdUntil = Math.max(this.holdUntil, Math.min(now + ms, this.holdDeadline));
    return true;
  }

  /** Forgets everything not sent yet. */
  discard(): void {
    this.queue = [];
    this.head = 0;
    this.holdUntil = 0;
    this.holdDeadline = 0;
    this.draining = false;
    if (this.holdTimer !== undefined) {
      // A pump waiting out a hold is the one scheduled: nothing is left to run.
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
      this.scheduled = false;
    }
  }

  private sendOne(item: T): void {
    try {
      this.send(item);
    } catch (err) {
      try {
        this.onError(err, item);
      } catch {
        // Reporting failed as well; dropping the report is all that is left that keeps the process up.
      }
    }
  }

  private readonly markSliceStart = (): void => {
    this.sliceStartedAt = performance.now();
  };

  private readonly pump = (): void => {
    this.holdTimer = undefined;
    const { targetMs, catchUpAt, maxSlice } = this.options;
    if (this.sliceStartedAt > 0) {
      const spent = performance.now() - this.sliceStartedAt;
      if (spent > targetMs) this.slice = Math.max(1, this.slice >> 1);
      else if (spent < targetMs / 2) this.slice = Math.min(maxSlice, this.slice * 2);
    }
    const waiting = this.pending;
    if (waiting === 0) {
      this.discard();
      this.scheduled = false;
      return;
    }
    const now = performance.now();
    if (this.holdUntil > now && waiting < catchUpAt) {
      this.sliceStartedAt = 0;
      this.holdTimer = setTimeout(this.pump, this.holdUntil - now);
      return;
    }
    if (this.holdUntil !== 0) {
      this.holdUntil = 0;
      this.draining = true;
      // What arrived during the hold is the backlog, not the pace of arrivals to keep up with.
      this.arrived = 0;
    }
    setImmediate(this.markSliceStart);
    const count =
      waiting > catchUpAt ? Math.min(waiting, Math.max(this.slice, this.arrived)) : Math.min(waiting, this.slice);
    this.arrived = 0;
    const end = this.head + count;
    while (this.head < end) {
      const item = this.queue[this.head] as T;
      this.queue[this.head++] = undefined;
      this.sendOne(item);
    }
    // Under sustained load the queue may never run empty: drop the sent prefix now and then.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    setImmediate(this.pump);
  };
}
