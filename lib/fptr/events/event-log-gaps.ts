import { MAX_STORED_GAPS } from './event-log-cursor';

/**
 * Ids missing from the event log below ids already read: FPTR commits ids out of order, so a
 * missing id may still appear (fptr-api.md §6.4). Each is waited for until its deadline.
 * Bounded: past MAX_STORED_GAPS the lowest ids are given up at once.
 */
export class GapList {
  private readonly deadlines = new Map<number, number>();

  get size(): number {
    return this.deadlines.size;
  }

  has(id: number): boolean {
    return this.deadlines.has(id);
  }

  /**
   * Waits for the ids `from..to` until `deadline`. Returns the id ranges that do not fit (the
   * lowest ids, from this run or waited for already), which the caller gives up.
   */
  addRun(from: number, to: number, deadline: number): IdRange[] {
    const overflow: IdRange[] = [];
    const room = MAX_STORED_GAPS - this.deadlines.size;
    const count = to - from + 1;
    // A run too long to wait for in full gives up its lowest ids as one range, never listing them.
    let first = from;
    if (count > MAX_STORED_GAPS) {
      first = to - MAX_STORED_GAPS + 1;
      overflow.push([from, first - 1]);
    }
    for (let id = first; id <= to; id++) this.deadlines.set(id, deadline);
    const excess = Math.min(count, MAX_STORED_GAPS) - room;
    if (excess > 0) {
      const evicted = this.ids().slice(0, excess);
      for (const id of evicted) this.deadlines.delete(id);
      overflow.push(...toRanges(evicted));
    }
    return overflow.sort((a, b) => a[0] - b[0]);
  }

  /** Restores gaps read from a store (already validated and bounded). */
  restore(gaps: ReadonlyArray<readonly [number, number]>): void {
    for (const [id, deadline] of gaps) this.deadlines.set(id, deadline);
  }

  delete(id: number): boolean {
    return this.deadlines.delete(id);
  }

  clear(): void {
    this.deadlines.clear();
  }

  /** Every id waited for, ascending. */
  ids(): number[] {
    return [...this.deadlines.keys()].sort((a, b) => a - b);
  }

  /** Ids whose deadline has passed, ascending. */
  expired(now: number): number[] {
    const ids: number[] = [];
    for (const [id, deadline] of this.deadlines) if (deadline <= now) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  /** The earliest deadline, or undefined when nothing is waited for. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const deadline of this.deadlines.values()) if (next === undefined || deadline < next) next = deadline;
    return next;
  }

  /** `[id, deadline]` pairs at or below `high`, ascending, for the stored cursor. */
  stored(high: number): Array<[number, number]> {
    return this.ids()
      .filter((id) => id <= high)
      .map((id) => [id, this.deadlines.get(id) ?? 0]);
  }
}

/** Inclusive `[from, to]`. */
export type IdRange = [number, number];

/** Ascending ids → runs of consecutive ids. */
export function toRanges(ids: readonly number[]): IdRange[] {
  const ranges: IdRange[] = [];
  for (const id of ids) {
    const last = ranges[ranges.length - 1];
    if (last && id === last[1] + 1) last[1] = id;
    else ranges.push([id, id]);
  }
  return ranges;
}

export function rangeSize(ranges: readonly IdRange[]): number {
  return ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0);
}

/** `[[3,5],[9,9]]` → `"3-5, 9"`, cut after `max` ranges: given-up ids in a warning people read. */
export function formatIdRanges(ranges: readonly IdRange[], max = 20): string {
  const shown = ranges.slice(0, max).map(([from, to]) => (from === to ? String(from) : `${from}-${to}`));
  const rest = rangeSize(ranges.slice(max));
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
