import type { SharedState } from './shared-state';

/** What a batch came to: the items to pass on and those another instance (or an earlier batch) had claimed. */
export interface ClaimOutcome<T> {
  kept: T[];
  duplicates: T[];
  /** False when shared state could not be asked, so only this instance's own dedup applied. */
  shared: boolean;
}

export interface ClaimQueueOptions<T> {
  /** How long a claim holds (the dedup window), in ms. */
  ttlMs: number;
  /** Receives every batch's outcome, in the order the batches were pushed. */
  release: (outcome: ClaimOutcome<T>) => void;
  /** A claim failed (shared state unavailable): the batch was released on local dedup alone. */
  onUnavailable: (err: unknown) => void;
  /** Keys passed on while shared state was unavailable, kept to be claimed once it is back (oldest dropped first). */
  maxBackfill?: number;
}

interface Pending<T> {
  items: T[];
  outcome?: ClaimOutcome<T>;
}

/** One item of a batch: its dedup key (undefined: never a duplicate), and whether this instance's own dedup saw it. */
export interface ClaimKey {
  key: string | undefined;
  seenHere?: boolean;
}

interface BackfillBatch {
  /** JSON array of the batch's keys. */
  keys: string;
  count: number;
  at: number;
}

const MAX_BACKFILL = 50_000;
/** Keys per claim (whole batches, about this many) when catching up after an outage: never a huge script call. */
const BACKFILL_CHUNK = 500;

/**
 * Claims the dedup keys of each batch in shared state (one round trip per batch) and releases
 * the batches strictly in arrival order, each with the items whose keys it won. Items without a
 * key always pass. An item this instance's own dedup saw passes only when its key was given
 * back (a redelivery the sweep asked for). When shared state is unavailable a batch passes
 * except for the items seen here, and its keys are claimed later, once the state is back up, so
 * a redelivery that reaches another instance after the outage is still recognised.
 */
export class ClaimQueue<T> {
  private readonly queue: Pending<T>[] = [];
  private head = 0;
  private waitingItems = 0;
  private closed = false;
  /**
   * Batches of keys passed on during an outage, oldest first, each as one JSON string: an outage
   * at 50 batches/s remembers thousands of keys a second for minutes, and as separate strings
   * (and an object each) every young-generation collection would copy them, pausing the answers.
   */
  private backfill: BackfillBatch[] = [];
  private backfillKeys = 0;
  private catchingUp = false;
  private readonly maxBackfill: number;
  private readonly onHealth = (health: string): void => {
    if (health === 'up') void this.catchUp();
  };

  constructor(
    private readonly state: SharedState,
    private readonly options: ClaimQueueOptions<T>,
  ) {
    this.maxBackfill = options.maxBackfill ?? MAX_BACKFILL;
    state.on('health', this.onHealth);
  }

  /** Items pushed and not yet released. */
  get pending(): number {
    return this.waitingItems;
  }

  /** Keys waiting to be claimed once shared state is back. */
  get backfillSize(): number {
    return this.backfillKeys;
  }

  /** One batch: `keys[i]` says how to claim `items[i]`. */
  push(items: T[], keys: readonly ClaimKey[]): void {
    if (this.closed) return;
    const batch: Pending<T> = { items };
    this.queue.push(batch);
    this.waitingItems += items.length;
    const claimed = keys.filter((k): k is { key: string; seenHere?: boolean } => k.key !== undefined);
    if (claimed.length === 0) {
      batch.outcome = { kept: items, duplicates: [], shared: true };
      return this.flush();
    }
    const split = (isNew: (i: number) => boolean, shared: boolean): ClaimOutcome<T> => {
      const outcome: ClaimOutcome<T> = { kept: [], duplicates: [], shared };
      items.forEach((item, i) => (isNew(i) ? outcome.kept : outcome.duplicates).push(item));
      return outcome;
    };
    this.state
      .claim(
        claimed.map((k) => k.key),
        this.options.ttlMs,
        claimed.map((k) => k.seenHere === true),
      )
      .then(
        (won) => {
          let next = 0;
          batch.outcome = split((i) => keys[i].key === undefined || won[next++], true);
          this.flush();
        },
        (err: unknown) => {
          batch.outcome = split((i) => keys[i].seenHere !== true, false);
          this.remember(claimed.map((k) => k.key));
          this.flush();
          if (!this.closed) this.options.onUnavailable(err);
        },
      );
  }

  /** The owner is closing: nothing more is released, late answers are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    this.waitingItems = 0;
    this.backfill = [];
    this.backfillKeys = 0;
    this.state.off('health', this.onHealth);
  }

  private flush(): void {
    while (!this.closed && this.head < this.queue.length) {
      const batch = this.queue[this.head];
      const outcome = batch.outcome;
      if (!outcome) break;
      this.queue[this.head++] = undefined as unknown as Pending<T>;
      this.waitingItems -= batch.items.length;
      this.options.release(outcome);
    }
    if (this.head > 0 && this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
  }

  private remember(keys: string[]): void {
    this.backfill.push({ keys: JSON.stringify(keys), count: keys.length, at: Date.now() });
    this.backfillKeys += keys.length;
    while (this.backfillKeys > this.maxBackfill) this.backfillKeys -= this.backfill.shift()!.count;
  }

  /** Claims what was passed on during the outage, for what is left of its window; stops at the first failure. */
  private async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      while (!this.closed && this.backfill.length > 0 && this.state.health === 'up') {
        const chunk: BackfillBatch[] = [];
        for (let keys = 0; chunk.length < this.backfill.length && keys < BACKFILL_CHUNK;) {
          const batch = this.backfill[chunk.length];
          chunk.push(batch);
          keys += batch.count;
        }
        const newest = chunk[chunk.length - 1];
        const left = this.options.ttlMs - (Date.now() - newest.at);
        if (left > 0)
          await this.state.claim(
            chunk.flatMap((batch) => JSON.parse(batch.keys) as string[]),
            left,
          );
        // Batches remembered meanwhile went to the end; a trim from the front may have taken some of the chunk.
        for (const batch of this.backfill.splice(0, this.backfill.indexOf(newest) + 1))
          this.backfillKeys -= batch.count;
      }
    } catch {
      // Down again: the rest waits for the next recovery.
    } finally {
      this.catchingUp = false;
    }
  }
}
