/** Fault injection for API requests (not for the simulator's own outgoing deliveries). */

export interface FaultRule {
  /** Match on method (case-insensitive); any when absent. */
  method?: string;
  /** Match on pathname: a RegExp, or a string prefix. Any when absent. */
  path?: string | RegExp;
  /** Answer with this status and the errors[] envelope (or `body`). */
  status?: number;
  /** Retry-After header value in seconds (with `status`). */
  retryAfter?: number;
  /** Custom response body (with `status`). */
  body?: unknown;
  /** How many matching requests the rule affects; default Infinity. */
  times?: number;
  /** Delay before handling; then handle normally unless status/drop. */
  latencyMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** The rule is active for this many ms from add() (outages). */
  untilMs?: number;
}

/** What the matching rules add up to for one request. */
export interface FaultOutcome {
  latencyMs: number;
  drop: boolean;
  status?: number;
  retryAfter?: number;
  body?: unknown;
}

/** A per-site request budget (token bucket): FPTR documents none, so this is a test fault. */
export interface RateLimit {
  /** Sustained requests per second (fractions allowed: 0.1 = one per 10 s). */
  perSecond: number;
  /** Requests allowed at once from a full bucket; default `perSecond` (at least 1). */
  burst?: number;
}

/** Refills continuously; a refused request takes no token. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = Date.now();
  }

  /** 0 when the request may go, else whole seconds until a token is there (Retry-After). */
  take(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  until: number;
}

export class FaultSet {
  private rules: ActiveRule[] = [];
  private bucket: TokenBucket | undefined;

  add(rule: FaultRule): void {
    this.rules.push({
      rule: { ...rule },
      remaining: rule.times ?? Infinity,
      until: rule.untilMs === undefined ? Infinity : Date.now() + rule.untilMs,
    });
  }

  /** Limits every request to the site (auth included); null lifts the limit. */
  rateLimit(limit: RateLimit | null): void {
    if (limit === null) {
      this.bucket = undefined;
      return;
    }
    if (!(limit.perSecond > 0))
      throw new RangeError(`rateLimit: perSecond must be above 0, got ${String(limit.perSecond)}`);
    const burst = limit.burst ?? Math.max(1, limit.perSecond);
    if (!(burst >= 1)) throw new RangeError(`rateLimit: burst must be at least 1, got ${String(limit.burst)}`);
    this.bucket = new TokenBucket(limit.perSecond, burst);
  }

  /** Seconds to wait when the rate limit refuses this request, else undefined. */
  limited(): number | undefined {
    const wait = this.bucket?.take() ?? 0;
    return wait > 0 ? wait : undefined;
  }

  /** Removes every rule and the rate limit. */
  clear(): void {
    this.rules = [];
    this.bucket = undefined;
  }

  /**
   * Consumes the rules this request matches, in order: latencies add up, and the first rule
   * that answers (status or drop) decides the outcome and ends the walk.
   */
  take(method: string, pathname: string): FaultOutcome | undefined {
    const now = Date.now();
    this.rules = this.rules.filter((r) => r.remaining > 0 && r.until > now);
    let outcome: FaultOutcome | undefined;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path instanceof RegExp) rule.path.lastIndex = 0;
      if (
        rule.path instanceof RegExp
          ? !rule.path.test(pathname)
          : rule.path !== undefined && !pathname.startsWith(rule.path)
      )
        continue;
      active.remaining--;
      outcome ??= { latencyMs: 0, drop: false };
      outcome.latencyMs += rule.latencyMs ?? 0;
      if (rule.drop) {
        outcome.drop = true;
        break;
      }
      if (rule.status !== undefined) {
        Object.assign(outcome, { status: rule.status, retryAfter: rule.retryAfter, body: rule.body });
        break;
      }
    }
    return outcome;
  }
}
