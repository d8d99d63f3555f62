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

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  until: number;
}

export class FaultSet {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule: { ...rule }, remaining: rule.times ?? Infinity, until: rule.untilMs === undefined ? Infinity : Date.now() + rule.untilMs });
  }

  clear(): void {
    this.rules = [];
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
      if (rule.path instanceof RegExp ? !rule.path.test(pathname) : rule.path !== undefined && !pathname.startsWith(rule.path)) continue;
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
