/**
 * When EventLogEntry rows become readable. FPTR commits event-log ids out of order, so a reader
 * polling `id > last` sees gaps that fill in later, or never (docs/fptr-api.md §6.4); and a site keeps
 * rows only for its retention period (docs/fptr-api.md §6.5). Writes are never delayed, only reads of the rows.
 */

export interface HoldBackRule {
  /** Share of newly written rows held back for `forMs` (0..1). */
  fraction?: number;
  /** How long a held row stays unreadable; default 2000. */
  forMs?: number;
  /** Share of newly written rows that never become readable (0..1), like ids a rolled-back transaction used. */
  foreverFraction?: number;
  /** Seed of the choice of rows: the same seed and the same writes hold the same ids. Default 1. */
  seed?: number;
  /** Hold exactly these ids (written already or later) instead of a random share. */
  ids?: readonly number[];
}

export interface HeldRow {
  id: number;
  /** Epoch ms from which the row is readable; null when never. */
  until: number | null;
}

/** A small seeded PRNG (mulberry32): deterministic, and good enough to pick rows. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function share(value: number | undefined, name: string): number {
  const v = value ?? 0;
  if (!(v >= 0 && v <= 1)) throw new RangeError(`holdBack: ${name} must be between 0 and 1, got ${String(value)}`);
  return v;
}

interface ActiveRule {
  fraction: number;
  foreverFraction: number;
  forMs: number;
  random: () => number;
}

export class EventLogPolicy {
  /** Rows older than this (by created_at) are no longer readable; undefined keeps everything. */
  retentionMs: number | undefined;
  private rules: ActiveRule[] = [];
  /** id → epoch ms from which it is readable (Infinity: never). */
  private readonly holds = new Map<number, number>();
  /** Explicit ids not written yet → how long to hold them once they are. */
  private readonly pending = new Map<number, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts holding back rows; the returned `stop()` ends the rule for rows written afterwards. */
  holdBack(rule: HoldBackRule, written: (id: number) => boolean): { stop(): void } {
    const forMs = rule.forMs ?? 2000;
    if (!(forMs >= 0)) throw new RangeError(`holdBack: forMs must be 0 or more, got ${String(rule.forMs)}`);
    if (rule.ids) {
      for (const id of rule.ids) {
        if (written(id)) this.holds.set(id, this.now() + forMs);
        else this.pending.set(id, forMs);
      }
      return { stop: () => rule.ids?.forEach((id) => this.pending.delete(id)) };
    }
    const active: ActiveRule = {
      fraction: share(rule.fraction, 'fraction'),
      foreverFraction: share(rule.foreverFraction, 'foreverFraction'),
      forMs,
      random: seededRandom(rule.seed ?? 1),
    };
    if (active.fraction + active.foreverFraction > 1)
      throw new RangeError('holdBack: fraction + foreverFraction must be at most 1');
    this.rules.push(active);
    return {
      stop: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  /** Called for every new row, in id order. */
  written(id: number): void {
    const at = this.now();
    const explicit = this.pending.get(id);
    if (explicit !== undefined) {
      this.pending.delete(id);
      this.holds.set(id, at + explicit);
    }
    for (const rule of this.rules) {
      const r = rule.random();
      if (r < rule.foreverFraction) this.holds.set(id, Infinity);
      else if (r < rule.foreverFraction + rule.fraction && !this.holds.has(id)) this.holds.set(id, at + rule.forMs);
    }
  }

  /** A row written inside a rolled-back `_batch` never existed. */
  forget(id: number): void {
    this.holds.delete(id);
  }

  readable(id: number, createdMs: number): boolean {
    const now = this.now();
    const hold = this.holds.get(id);
    if (hold !== undefined) {
      if (now < hold) return false;
      this.holds.delete(id);
    }
    return this.retentionMs === undefined || createdMs >= now - this.retentionMs;
  }

  /** Makes held rows readable now (all of them, or the given ids, forever-held ones included). */
  release(ids?: readonly number[]): number[] {
    const released = ids ? ids.filter((id) => this.holds.delete(id)) : [...this.holds.keys()];
    if (!ids) this.holds.clear();
    return released.sort((a, b) => a - b);
  }

  /** Rows still held back, in id order. */
  held(): HeldRow[] {
    const now = this.now();
    return [...this.holds]
      .filter(([, until]) => until > now)
      .map(([id, until]) => ({ id, until: until === Infinity ? null : until }))
      .sort((a, b) => a.id - b.id);
  }
}
