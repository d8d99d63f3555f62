/**
 * The backstop's decision for each event-log event: hold it for a grace period, then hand it on
 * only if the webhook has not delivered it by then. Events are released in the order they were
 * held (event-log id order), each exactly once, as `emit` or `covered`.
 *
 * `claim(keys)` is the duplicate check of the webhook node (check and remember, like
 * DedupWindow.seen, across instances when they share state): true where a key was seen before —
 * the webhook delivered the event, so it is covered — false where this call remembered it, so
 * the backstop emits it and a late webhook delivery of the same event is dropped as a duplicate.
 */

export interface BackstopGateOptions {
  graceMs: number;
  claim: (keys: string[], now: number) => Promise<boolean[]>;
}

export interface Released<T> {
  item: T;
  outcome: 'emit' | 'covered';
}

interface Held<T> {
  item: T;
  key: string | undefined;
  dueAt: number;
}

export class BackstopGate<T> {
  private queue: Array<Held<T>> = [];
  private head = 0;
  /** Events handed on / found delivered by the webhook, since start. */
  readonly counts = { emitted: 0, covered: 0 };

  constructor(private readonly options: BackstopGateOptions) {
    if (!Number.isFinite(options.graceMs) || options.graceMs < 0)
      throw new RangeError(`backstop grace must be ≥ 0 ms, got ${String(options.graceMs)}`);
  }

  /** Events held and not yet released. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Holds an event first seen at `now`; one without a key cannot have been delivered and is emitted when due. */
  hold(item: T, key: string | undefined, now: number): void {
    this.queue.push({ item, key, dueAt: now + this.options.graceMs });
  }

  /** Epoch ms at which the oldest held event is due, if any. */
  nextDueAt(): number | undefined {
    return this.head < this.queue.length ? this.queue[this.head].dueAt : undefined;
  }

  /**
   * Releases every event due at `now`, in the order held, with one claim of their keys. Events
   * held meanwhile wait for the next call; calls may overlap, each releases its own events.
   */
  async release(now: number): Promise<Array<Released<T>>> {
    const due: Array<Held<T>> = [];
    while (this.head < this.queue.length && this.queue[this.head].dueAt <= now) due.push(this.queue[this.head++]);
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const keys = due.flatMap((held) => (held.key === undefined ? [] : [held.key]));
    // A check that fails cannot say the webhook delivered anything: sent twice beats never.
    const seen = keys.length > 0 ? await this.options.claim(keys, now).catch(() => []) : [];
    let next = 0;
    return due.map(({ item, key }) => {
      const covered = key !== undefined && seen[next++] === true;
      this.counts[covered ? 'covered' : 'emitted']++;
      return { item, outcome: covered ? 'covered' : 'emit' };
    });
  }

  /** Drops everything held (a reset of the poller's cursor, or the node closing). */
  clear(): void {
    this.queue = [];
    this.head = 0;
  }
}
