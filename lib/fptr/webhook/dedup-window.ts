/** What `DedupWindow.snapshot()` writes to a context store: plain JSON, times in epoch ms. */
export interface DedupSnapshot {
  v: 1;
  keys: string[];
  times: number[];
}

export interface DedupOptions {
  /** How long a key counts as seen, in ms. */
  windowMs: number;
  /** Upper bound on remembered keys; the oldest are forgotten first. */
  maxEntries: number;
}

/**
 * Remembers keys for a time window with bounded memory. Lookups go through a Map; a FIFO of
 * (key, time) in arrival order drives expiry and eviction from its head. (Deleting from the
 * front of a Map and re-reading its first entry is not O(1) in V8: iteration walks the deleted
 * slots, which made 200,000 keys take seconds.) A FIFO entry whose time no longer matches the
 * Map is stale (the key was seen again after expiring) and is skipped.
 */
export class DedupWindow {
  private times = new Map<string, number>();
  private queueKeys: string[] = [];
  private queueTimes: number[] = [];
  private head = 0;
  /** FIFO entries whose key was remembered again later (only when the clock went backwards). */
  private stale = 0;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  /** Set whenever the remembered keys change; the owner clears it after saving a snapshot. */
  dirty = false;

  constructor(options: DedupOptions) {
    this.windowMs = options.windowMs;
    this.maxEntries = options.maxEntries;
  }

  get size(): number {
    return this.times.size;
  }

  /** True when `key` was seen within the window; otherwise remembers it (now) and returns false. */
  seen(key: string, now: number = Date.now()): boolean {
    this.expire(now);
    const at = this.times.get(key);
    if (at !== undefined) {
      if (now - at < this.windowMs) return true;
      this.stale++;
    }
    this.remember(key, now);
    while (this.times.size > this.maxEntries) this.shift();
    this.dirty = true;
    return false;
  }

  /**
   * Forgets `key`, so its next sighting counts as new: a delivery FPTR is asked to send again
   * because the flow never finished it was seen, not processed.
   */
  forget(key: string): void {
    // Its FIFO entry stays behind as a stale one, skipped like those of keys seen again.
    if (!this.times.delete(key)) return;
    this.stale++;
    this.dirty = true;
  }

  /** The live keys, oldest first. */
  snapshot(now: number = Date.now()): DedupSnapshot {
    this.expire(now);
    if (this.stale === 0) {
      return { v: 1, keys: this.queueKeys.slice(this.head), times: this.queueTimes.slice(this.head) };
    }
    const keys: string[] = [];
    const times: number[] = [];
    for (let i = this.head; i < this.queueKeys.length; i++) {
      const key = this.queueKeys[i];
      const at = this.queueTimes[i];
      if (this.times.get(key) === at) {
        keys.push(key);
        times.push(at);
      }
    }
    return { v: 1, keys, times };
  }

  /**
   * Merges a snapshot loaded from a store. Keys seen since start-up are newer than anything in
   * the snapshot, so they go after the restored ones to keep arrival order. Anything not shaped
   * like a snapshot is ignored: a store may hold a value written by another version.
   */
  restore(value: unknown, now: number = Date.now()): void {
    if (!isSnapshot(value)) return;
    const live = this.snapshot(now);
    const order = value.keys.map((_, i) => i).sort((a, b) => value.times[a] - value.times[b]);
    this.times = new Map();
    this.queueKeys = [];
    this.queueTimes = [];
    this.head = 0;
    this.stale = 0;
    const liveKeys = new Set(live.keys);
    for (const i of order) {
      const key = value.keys[i];
      const at = value.times[i];
      if (now - at < this.windowMs && !liveKeys.has(key) && !this.times.has(key)) this.remember(key, at);
    }
    live.keys.forEach((key, i) => this.remember(key, live.times[i]));
    while (this.times.size > this.maxEntries) this.shift();
  }

  private remember(key: string, at: number): void {
    this.times.set(key, at);
    this.queueKeys.push(key);
    this.queueTimes.push(at);
  }

  /** Drops the oldest FIFO entry (and its key, unless the entry is stale). */
  private shift(): void {
    const key = this.queueKeys[this.head];
    if (this.times.get(key) === this.queueTimes[this.head]) this.times.delete(key);
    else this.stale--;
    this.head++;
    // Compact once the consumed prefix dominates, so the arrays stay O(live entries).
    if (this.head >= 1024 && this.head * 2 >= this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.head);
      this.queueTimes = this.queueTimes.slice(this.head);
      this.head = 0;
    }
  }

  private expire(now: number): void {
    const limit = now - this.windowMs;
    while (this.head < this.queueKeys.length && this.queueTimes[this.head] <= limit) {
      this.shift();
      this.dirty = true;
    }
  }
}

function isSnapshot(value: unknown): value is DedupSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<DedupSnapshot>;
  return (
    v.v === 1 &&
    Array.isArray(v.keys) &&
    Array.isArray(v.times) &&
    v.keys.length === v.times.length &&
    v.keys.every((k) => typeof k === 'string') &&
    v.times.every((t) => typeof t === 'number' && Number.isFinite(t))
  );
}
