export interface PacedEmitterOptions {
  /** Downstream work per turn to aim for, in ms. */
  targetMs: number;
  /** Above this many waiting items, each turn sends at least as many as arrived since the last. */
  catchUpAt: number;
  /** Items sent in the first turn. */
  initialSlice: number;
  maxSlice: number;
}

export const PACED_DEFAULTS: PacedEmitterOptions = { targetMs: 1, catchUpAt: 2000, initialSlice: 10, maxSlice: 1000 };

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
 */
export class PacedEmitter<T> {
  private queue: T[] = [];
  private head = 0;
  private scheduled = false;
  private slice: number;
  private sliceStartedAt = 0;
  private arrived = 0;

  constructor(
    private readonly send: (item: T) => void,
    private readonly onError: (err: unknown, item: T) => void,
    private readonly options: PacedEmitterOptions = PACED_DEFAULTS,
  ) {
    this.slice = options.initialSlice;
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
    if (!this.scheduled) {
      this.scheduled = true;
      this.sliceStartedAt = 0;
      setImmediate(this.pump);
    }
  }

  /** Forgets everything not sent yet. */
  discard(): void {
    this.queue = [];
    this.head = 0;
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
    setImmediate(this.markSliceStart);
    const count =
      waiting > catchUpAt ? Math.min(waiting, Math.max(this.slice, this.arrived)) : Math.min(waiting, this.slice);
    this.arrived = 0;
    const end = this.head + count;
    while (this.head < end) this.sendOne(this.queue[this.head++]);
    // Under sustained load the queue may never run empty: drop the sent prefix now and then.
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    setImmediate(this.pump);
  };
}
