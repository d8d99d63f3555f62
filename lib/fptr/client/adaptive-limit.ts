/**
 * How many requests one site gets at a time, adapted to what it says (AIMD, as TCP does):
 * a 429 or 503 halves the number (multiplicative decrease, at least 1) and, with Retry-After,
 * holds every new request until that time; every calm spell of `calmMs` without such an answer
 * gives one back (additive increase), slowly, up to the configured maximum — also after a quiet
 * night without requests, so one 429 in the morning does not slow a flow all day. A site that
 * never pushes back keeps the maximum: nothing changes for it.
 *
 * Against a rate limit a step up doubles the rate at the lowest limits, so it is worth a
 * few seconds of calm, not a few answers: each premature step costs a 429 and a pause.
 *
 * Waiters are served in arrival order, so no caller starves. Bookkeeping that nothing waits for
 * (acknowledging a delivery) asks for a place `later`: it goes after every waiting request
 * of the flows' work, but always gets one request in flight while it waits, so it never starves
 * either. In a bulk change, the reads, searches and updates of thousands of events come first
 * and their acknowledgements follow, instead of every update queueing behind the
 * acknowledgements of the events before it.
 */

export interface PushBack {
  /** Requests allowed in flight now. */
  limit: number;
  /** The configured maximum. */
  max: number;
  /** Epoch ms until which no request starts (the site's Retry-After), when it asked for a pause. */
  pausedUntil?: number;
}

export interface Permit {
  /** Call exactly once when the answer is in (extra calls are ignored); `busy` for a 429 or 503. */
  release(answer?: { busy: true; retryAfterMs?: number }): void;
}

export interface AdaptiveLimitOptions {
  /** Time without push back that gives one more request at a time (default 5000 ms). */
  calmMs?: number;
  now?: () => number;
  /** Called whenever the limit or the pause changes. */
  onChange?: (state: PushBack) => void;
}

interface Waiter {
  grant: (permit: Permit) => void;
  fail: (err: unknown) => void;
}

/** `now`: the flows' work; `later`: bookkeeping that can wait for it (see the class comment). */
export type Lane = 'now' | 'later';

export class AdaptiveLimit {
  readonly max: number;
  readonly #calmMs: number;
  readonly #now: () => number;
  readonly #onChange: ((state: PushBack) => void) | undefined;
  readonly #waiters: Record<Lane, Waiter[]> = { now: [], later: [] };
  #limit: number;
  #active = 0;
  /** Of `#active`, the requests from the `later` lane. */
  #activeLater = 0;
  /** Bumped by every decrease: busy answers to requests sent before it say nothing new. */
  #round = 0;
  #pausedUntil = 0;
  /** When the current calm spell started: the last busy answer or step up. */
  #calmSince: number;
  #timer: NodeJS.Timeout | undefined;
  /** Set by close(): later callers are refused at once instead of waiting out a pause. */
  #closed: { err: unknown } | undefined;

  constructor(max: number, options: AdaptiveLimitOptions = {}) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
    this.max = max;
    this.#limit = max;
    this.#calmMs = options.calmMs ?? 5000;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange;
    this.#calmSince = this.#now();
  }

  get state(): PushBack {
    const state: PushBack = { limit: this.#limit, max: this.max };
    if (this.#pausedUntil > this.#now()) state.pausedUntil = this.#pausedUntil;
    return state;
  }

  get inUse(): number {
    return this.#active;
  }

  acquire(lane: Lane = 'now'): Promise<Permit> {
    return new Promise((grant, fail) => {
      if (this.#closed) {
        fail(this.#closed.err);
        return;
      }
      this.#waiters[lane].push({ grant, fail });
      this.#dispatch();
    });
  }

  /** Rejects every waiter, and every later caller, and stops the pause timer (the owner shuts down). */
  close(err: unknown): void {
    this.#closed = { err };
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of [...this.#waiters.now.splice(0), ...this.#waiters.later.splice(0)]) waiter.fail(err);
  }

  #dispatch(): void {
    const now = this.#now();
    this.#stepUp(now);
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
    const { now: first, later } = this.#waiters;
    while ((first.length > 0 || later.length > 0) && this.#active < this.#limit) {
      const lane: Lane = first.length === 0 || (later.length > 0 && this.#activeLater === 0) ? 'later' : 'now';
      const waiter = this.#waiters[lane].shift() as Waiter;
      this.#active++;
      if (lane === 'later') this.#activeLater++;
      waiter.grant(this.#permit(lane));
    }
  }

  /** One more request at a time for every calm spell since the last busy answer or step. */
  #stepUp(now: number): void {
    if (this.#limit >= this.max) return;
    const steps = Math.floor((now - this.#calmSince) / this.#calmMs);
    if (steps < 1) return;
    this.#limit = Math.min(this.max, this.#limit + steps);
    this.#calmSince = now;
    this.#changed();
  }

  #permit(lane: Lane): Permit {
    const round = this.#round;
    let released = false;
    return {
      release: (answer) => {
        if (released) return;
        released = true;
        this.#active--;
        if (lane === 'later') this.#activeLater--;
        if (answer?.busy) this.#pushedBack(round, answer.retryAfterMs);
        this.#dispatch();
      },
    };
  }

  #pushedBack(round: number, retryAfterMs: number | undefined): void {
    const now = this.#now();
    this.#calmSince = now;
    let changed = false;
    if (round === this.#round) {
      // One halving per round: the other requests of the same burst were sent at the old limit.
      this.#round++;
      const lower = Math.max(1, Math.floor(this.#limit / 2));
      changed = lower !== this.#limit;
      this.#limit = lower;
    }
    if (retryAfterMs !== undefined && retryAfterMs > 0 && now + retryAfterMs > this.#pausedUntil) {
      this.#pausedUntil = now + retryAfterMs;
      changed = true;
    }
    if (changed) this.#changed();
  }

  #changed(): void {
    this.#onChange?.(this.state);
  }
}
