/**
 * How many requests one site gets at a time, adapted to what it says (AIMD, as TCP does):
 * a 429 or 503 halves the number (multiplicative decrease, at least 1) and, with Retry-After,
 * holds every new request until that time; healthy answers raise it again by one at a time
 * (additive increase), slowly, up to the configured maximum — and so does every quiet spell
 * without push back, so one 429 in the morning does not slow a quiet flow all day. A site that
 * never pushes back keeps the maximum: nothing changes for it.
 *
 * Waiters are served in arrival order, so no caller starves.
 */

export interface PushBack {
  /** Requests allowed in flight now. */
  limit: number;
  /** The configured maximum. */
  max: number;
  /** Epoch ms until which no request starts (the site's Retry-After), when it asked for a pause. */
  pausedUntil?: number;
}

/** How an answer went, as far as the site's load is concerned. */
export type AnswerKind = 'healthy' | 'busy' | 'other';

export interface Permit {
  /** Call exactly once when the answer is in (extra calls are ignored). */
  release(kind: AnswerKind, retryAfterMs?: number): void;
}

export interface AdaptiveLimitOptions {
  /** Healthy answers per request allowed in flight before one more is allowed (default 5). */
  increaseAfter?: number;
  /** Time without push back after which one more is allowed, answers or not (default 5000 ms). */
  calmMs?: number;
  now?: () => number;
  /** Called whenever the limit or the pause changes. */
  onChange?: (state: PushBack) => void;
}

interface Waiter {
  grant: (permit: Permit) => void;
  fail: (err: unknown) => void;
}

export class AdaptiveLimit {
  readonly max: number;
  readonly #increaseAfter: number;
  readonly #calmMs: number;
  readonly #now: () => number;
  readonly #onChange: ((state: PushBack) => void) | undefined;
  readonly #waiters: Waiter[] = [];
  #limit: number;
  #active = 0;
  #healthy = 0;
  /** Bumped by every decrease: answers to requests sent before it say nothing new. */
  #round = 0;
  #pausedUntil = 0;
  /** When the limit last changed. */
  #changedAt: number;
  #timer: NodeJS.Timeout | undefined;
  /** Set by close(): later callers are refused at once instead of waiting out a pause. */
  #closed: { err: unknown } | undefined;

  constructor(max: number, options: AdaptiveLimitOptions = {}) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
    this.max = max;
    this.#limit = max;
    this.#increaseAfter = options.increaseAfter ?? 5;
    this.#calmMs = options.calmMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange;
    this.#changedAt = this.#now();
  }

  get state(): PushBack {
    const state: PushBack = { limit: this.#limit, max: this.max };
    if (this.#pausedUntil > this.#now()) state.pausedUntil = this.#pausedUntil;
    return state;
  }

  get inUse(): number {
    return this.#active;
  }

  acquire(): Promise<Permit> {
    return new Promise((grant, fail) => {
      if (this.#closed) {
        fail(this.#closed.err);
        return;
      }
      this.#waiters.push({ grant, fail });
      this.#dispatch();
    });
  }

  /** Rejects every waiter, and every later caller, and stops the pause timer (the owner shuts down). */
  close(err: unknown): void {
    this.#closed = { err };
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) waiter.fail(err);
  }

  #dispatch(): void {
    const now = this.#now();
    this.#recoverAfterCalm(now);
    if (this.#pausedUntil > now) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#dispatch();
      }, this.#pausedUntil - now);
      return;
    }
    if (this.#pausedUntil !== 0) {
      this.#pausedUntil = 0;
      this.#changed();
    }
    while (this.#waiters.length > 0 && this.#active < this.#limit) {
      const waiter = this.#waiters.shift() as Waiter;
      this.#active++;
      waiter.grant(this.#permit());
    }
  }

  /** One more request at a time for every `calmMs` that passed since the limit last changed. */
  #recoverAfterCalm(now: number): void {
    if (this.#limit >= this.max) return;
    const steps = Math.floor((now - this.#changedAt) / this.#calmMs);
    if (steps < 1) return;
    this.#setLimit(Math.min(this.max, this.#limit + steps));
    this.#changed();
  }

  #setLimit(limit: number): void {
    this.#limit = limit;
    this.#healthy = 0;
    this.#changedAt = this.#now();
  }

  #permit(): Permit {
    const round = this.#round;
    let released = false;
    return {
      release: (kind, retryAfterMs) => {
        if (released) return;
        released = true;
        this.#active--;
        this.#answered(kind, round, retryAfterMs);
        this.#dispatch();
      },
    };
  }

  #answered(kind: AnswerKind, round: number, retryAfterMs: number | undefined): void {
    if (kind === 'busy') {
      let changed = false;
      if (round === this.#round) {
        // One halving per round: the other requests of the same burst were sent at the old limit.
        this.#round++;
        const lower = Math.max(1, Math.floor(this.#limit / 2));
        changed = lower !== this.#limit;
        // A busy answer restarts the calm period even when the limit is already 1.
        this.#setLimit(lower);
      }
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        const until = this.#now() + retryAfterMs;
        if (until > this.#pausedUntil) {
          this.#pausedUntil = until;
          changed = true;
        }
      }
      if (changed) this.#changed();
      return;
    }
    if (kind !== 'healthy' || round !== this.#round || this.#limit >= this.max) return;
    this.#healthy++;
    if (this.#healthy >= this.#limit * this.#increaseAfter) {
      this.#setLimit(this.#limit + 1);
      this.#changed();
    }
  }

  #changed(): void {
    this.#onChange?.(this.state);
  }
}
