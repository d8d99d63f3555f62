import { fingerprintInto } from './key-fingerprint';

/** What `DedupWindow.snapshot()` writes to a context store: plain JSON, times in epoch ms. */
export interface DedupSnapshot {
  v: 2;
  /** The remembered keys' fingerprints (key-fingerprint.ts), oldest first, 16 hex digits each, joined. */
  fingerprints: string;
  times: number[];
}

/** What versions that kept the keys themselves wrote; still restored. */
interface DedupSnapshotV1 {
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

/** Fingerprints packed big-endian, 8 bytes each, with the time of each. */
interface PackedEntries {
  packed: Buffer;
  times: number[];
}

const INITIAL_CAPACITY = 1024;
const EMPTY = -1;

/**
 * Remembers keys for a time window with bounded memory, as 64-bit fingerprints in typed arrays
 * (key-fingerprint.ts says why): no JS object per key. A hash table (open addressing, linear
 * probing) maps a fingerprint to its entry in a FIFO ring of (fingerprint, time) in arrival
 * order, which drives expiry and eviction from its head. A FIFO entry the table no longer points
 * to is stale (its key was forgotten, or seen again after expiring) and is skipped.
 */
export class DedupWindow {
  private slotHigh = new Uint32Array(INITIAL_CAPACITY);
  private slotLow = new Uint32Array(INITIAL_CAPACITY);
  /** Sequence number of the slot's live FIFO entry; EMPTY for a free slot. */
  private slotSeq = new Float64Array(INITIAL_CAPACITY).fill(EMPTY);
  private count = 0;
  private fifoHigh = new Uint32Array(INITIAL_CAPACITY);
  private fifoLow = new Uint32Array(INITIAL_CAPACITY);
  private fifoTime = new Float64Array(INITIAL_CAPACITY);
  /** Sequence numbers of the oldest entry and of the next one; an entry sits at `seq % capacity`. */
  private head = 0;
  private tail = 0;
  private readonly fp = new Uint32Array(2);
  private readonly windowMs: number;
  private readonly maxEntries: number;
  /** Set whenever the remembered keys change; the owner clears it after saving a snapshot. */
  dirty = false;

  constructor(options: DedupOptions) {
    this.windowMs = options.windowMs;
    this.maxEntries = options.maxEntries;
  }

  get size(): number {
    return this.count;
  }

  /** True when `key` was seen within the window; otherwise remembers it (now) and returns false. */
  seen(key: string, now: number = Date.now()): boolean {
    this.expire(now);
    fingerprintInto(key, this.fp);
    return this.see(this.fp[0], this.fp[1], now);
  }

  /**
   * Forgets `key`, so its next sighting counts as new: a delivery FPTR is asked to send again
   * because the flow never finished it was seen, not processed.
   */
  forget(key: string): void {
    fingerprintInto(key, this.fp);
    const slot = this.find(this.fp[0], this.fp[1]);
    // Its FIFO entry stays behind as a stale one, skipped like those of keys seen again.
    if (slot < 0) return;
    this.removeSlot(slot);
    this.dirty = true;
  }

  /** The live keys' fingerprints, oldest first. */
  snapshot(now: number = Date.now()): DedupSnapshot {
    const { packed, times } = this.live(now);
    // One string, not one per key: a snapshot kept in the memory store would otherwise be
    // another 50,000 objects for every young-generation collection to copy.
    return { v: 2, fingerprints: packed.toString('hex'), times };
  }

  /**
   * Merges a snapshot loaded from a store. Keys seen since start-up are newer than anything in
   * the snapshot, so they go after the restored ones to keep arrival order. Anything not shaped
   * like a snapshot is ignored: a store may hold a value written by another version.
   */
  restore(value: unknown, now: number = Date.now()): void {
    const restored = readSnapshot(value);
    if (!restored) return;
    const live = this.live(now);
    const dirty = this.dirty;
    this.reset();
    const order = restored.times.map((_, i) => i).sort((a, b) => restored.times[a] - restored.times[b]);
    for (const i of order) {
      if (now - restored.times[i] >= this.windowMs) continue;
      const high = restored.packed.readUInt32BE(i * 8);
      const low = restored.packed.readUInt32BE(i * 8 + 4);
      if (this.find(high, low) < 0) this.see(high, low, restored.times[i]);
    }
    for (let i = 0; i < live.times.length; i++) {
      const high = live.packed.readUInt32BE(i * 8);
      const low = live.packed.readUInt32BE(i * 8 + 4);
      const slot = this.find(high, low);
      if (slot >= 0) this.removeSlot(slot);
      this.see(high, low, live.times[i]);
    }
    this.dirty = dirty;
  }

  /** The live entries, oldest first: fingerprints packed big-endian (8 bytes each) and times. */
  private live(now: number): PackedEntries {
    this.expire(now);
    const packed = Buffer.allocUnsafe((this.tail - this.head) * 8);
    const times: number[] = [];
    for (let seq = this.head; seq < this.tail; seq++) {
      if (!this.isLive(seq)) continue;
      const at = seq % this.fifoTime.length;
      packed.writeUInt32BE(this.fifoHigh[at], times.length * 8);
      packed.writeUInt32BE(this.fifoLow[at], times.length * 8 + 4);
      times.push(this.fifoTime[at]);
    }
    return { packed: packed.subarray(0, times.length * 8), times };
  }

  private see(high: number, low: number, now: number): boolean {
    const slot = this.find(high, low);
    if (slot >= 0 && now - this.fifoTime[this.slotSeq[slot] % this.fifoTime.length] < this.windowMs) return true;
    const seq = this.append(high, low, now);
    // A key seen again after expiring (the clock went backwards) leaves its older entry stale.
    if (slot >= 0) this.slotSeq[slot] = seq;
    else this.insert(high, low, seq);
    while (this.count > this.maxEntries) this.shift();
    this.dirty = true;
    return false;
  }

  private isLive(seq: number): boolean {
    const at = seq % this.fifoTime.length;
    const slot = this.find(this.fifoHigh[at], this.fifoLow[at]);
    return slot >= 0 && this.slotSeq[slot] === seq;
  }

  /** Drops the oldest FIFO entry, and its key unless the entry is stale. */
  private shift(): void {
    const seq = this.head;
    const at = seq % this.fifoTime.length;
    const slot = this.find(this.fifoHigh[at], this.fifoLow[at]);
    if (slot >= 0 && this.slotSeq[slot] === seq) this.removeSlot(slot);
    this.head++;
  }

  private expire(now: number): void {
    const limit = now - this.windowMs;
    while (this.head < this.tail && this.fifoTime[this.head % this.fifoTime.length] <= limit) {
      this.shift();
      this.dirty = true;
    }
  }

  private reset(): void {
    this.slotSeq.fill(EMPTY);
    this.count = 0;
    this.head = 0;
    this.tail = 0;
  }

  // ---- the FIFO ring ----

  private append(high: number, low: number, time: number): number {
    if (this.tail - this.head === this.fifoTime.length) this.growFifo();
    const seq = this.tail++;
    const at = seq % this.fifoTime.length;
    this.fifoHigh[at] = high;
    this.fifoLow[at] = low;
    this.fifoTime[at] = time;
    return seq;
  }

  private growFifo(): void {
    const old = { high: this.fifoHigh, low: this.fifoLow, time: this.fifoTime };
    const capacity = old.time.length * 2;
    this.fifoHigh = new Uint32Array(capacity);
    this.fifoLow = new Uint32Array(capacity);
    this.fifoTime = new Float64Array(capacity);
    for (let seq = this.head; seq < this.tail; seq++) {
      const from = seq % old.time.length;
      const to = seq % capacity;
      this.fifoHigh[to] = old.high[from];
      this.fifoLow[to] = old.low[from];
      this.fifoTime[to] = old.time[from];
    }
  }

  // ---- the hash table ----

  private home(high: number, low: number): number {
    return (high ^ Math.imul(low, 0x9e3779b1)) & (this.slotSeq.length - 1);
  }

  /** The slot holding the fingerprint, or -1. */
  private find(high: number, low: number): number {
    const mask = this.slotSeq.length - 1;
    for (let slot = this.home(high, low); ; slot = (slot + 1) & mask) {
      if (this.slotSeq[slot] === EMPTY) return -1;
      if (this.slotHigh[slot] === high && this.slotLow[slot] === low) return slot;
    }
  }

  private insert(high: number, low: number, seq: number): void {
    // At most half full, so probe runs stay short and `find` always meets a free slot.
    if ((this.count + 1) * 2 > this.slotSeq.length) this.growTable();
    const mask = this.slotSeq.length - 1;
    let slot = this.home(high, low);
    while (this.slotSeq[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slotHigh[slot] = high;
    this.slotLow[slot] = low;
    this.slotSeq[slot] = seq;
    this.count++;
  }

  /** Frees `slot`, moving later entries of its probe run back so no lookup stops short of them. */
  private removeSlot(slot: number): void {
    const mask = this.slotSeq.length - 1;
    let hole = slot;
    for (let next = (hole + 1) & mask; this.slotSeq[next] !== EMPTY; next = (next + 1) & mask) {
      const home = this.home(this.slotHigh[next], this.slotLow[next]);
      // `next` may fill the hole unless its home lies cyclically after the hole, up to `next`.
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      this.slotHigh[hole] = this.slotHigh[next];
      this.slotLow[hole] = this.slotLow[next];
      this.slotSeq[hole] = this.slotSeq[next];
      hole = next;
    }
    this.slotSeq[hole] = EMPTY;
    this.count--;
  }

  private growTable(): void {
    const old = { high: this.slotHigh, low: this.slotLow, seq: this.slotSeq };
    const capacity = old.seq.length * 2;
    this.slotHigh = new Uint32Array(capacity);
    this.slotLow = new Uint32Array(capacity);
    this.slotSeq = new Float64Array(capacity).fill(EMPTY);
    this.count = 0;
    for (let slot = 0; slot < old.seq.length; slot++)
      if (old.seq[slot] !== EMPTY) this.insert(old.high[slot], old.low[slot], old.seq[slot]);
  }
}

const HEX = /^(?:[0-9a-f]{16})*$/;

/** A stored snapshot of either version as packed fingerprints, or undefined when it is not one. */
function readSnapshot(value: unknown): PackedEntries | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<DedupSnapshot> & Partial<DedupSnapshotV1>;
  const times = v.times;
  if (!Array.isArray(times) || !times.every((t) => typeof t === 'number' && Number.isFinite(t))) return undefined;
  if (v.v === 2) {
    const hex = v.fingerprints;
    if (typeof hex !== 'string' || hex.length !== times.length * 16 || !HEX.test(hex)) return undefined;
    return { packed: Buffer.from(hex, 'hex'), times };
  }
  if (v.v !== 1 || !Array.isArray(v.keys) || v.keys.length !== times.length) return undefined;
  const packed = Buffer.alloc(times.length * 8);
  const out = new Uint32Array(2);
  for (let i = 0; i < times.length; i++) {
    const key: unknown = v.keys[i];
    if (typeof key !== 'string') return undefined;
    fingerprintInto(key, out);
    packed.writeUInt32BE(out[0], i * 8);
    packed.writeUInt32BE(out[1], i * 8 + 4);
  }
  return { packed, times };
}
