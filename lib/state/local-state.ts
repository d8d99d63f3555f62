import { EventEmitter } from 'node:events';
import {
  valueText,
  wholeMs,
  type Fence,
  type FencedValue,
  type Health,
  type LeaseState,
  type SharedState,
} from './shared-state';

export interface LocalStateOptions {
  /** The clock, in epoch ms (tests move it by hand). */
  now?: () => number;
}

interface Lease {
  holder: string;
  token: number;
  expiresAt: number;
}

/** Claimed keys are swept for expiry once their count has doubled since the last sweep. */
const MIN_SWEEP_SIZE = 1024;

/**
 * Shared state for one instance alone, in memory: what every node does without Redis. The
 * same contract as the Redis implementation (tests run both), always `up`, never failing.
 */
export class LocalState extends EventEmitter implements SharedState {
  readonly kind = 'local';
  readonly health: Health = 'up';
  private readonly now: () => number;
  private readonly claims = new Map<string, { until: number; released: boolean }>();
  private sweptSize = 0;
  private readonly leases = new Map<string, Lease>();
  /** The newest fencing token granted per lease name; never forgotten, so tokens only grow. */
  private readonly fences = new Map<string, number>();
  private readonly values = new Map<string, { text: string; token: number }>();

  constructor(options: LocalStateOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
  }

  async claim(keys: readonly string[], ttlMs: number, seenHere?: readonly boolean[]): Promise<boolean[]> {
    const ttl = wholeMs(ttlMs);
    const now = this.now();
    this.sweepClaims(now);
    return keys.map((key, i) => {
      const held = this.claims.get(key);
      if (held !== undefined && held.until > now && !held.released) return false;
      this.claims.set(key, { until: now + ttl, released: false });
      return held?.released === true && held.until > now ? true : seenHere?.[i] !== true;
    });
  }

  async unclaim(keys: readonly string[], ttlMs: number): Promise<void> {
    const until = this.now() + wholeMs(ttlMs);
    for (const key of keys) this.claims.set(key, { until, released: true });
  }

  async lease(name: string, holderId: string, ttlMs: number): Promise<LeaseState> {
    const ttl = wholeMs(ttlMs);
    const now = this.now();
    const current = this.leases.get(name);
    if (current && current.expiresAt > now && current.holder !== holderId) {
      return { held: false, holder: current.holder, token: current.token, ttlMs: current.expiresAt - now };
    }
    if (current && current.expiresAt > now) {
      current.expiresAt = now + ttl;
      return { held: true, token: current.token, ttlMs: ttl };
    }
    // Like the Redis implementation: above the last token, and at least the clock.
    const token = Math.max((this.fences.get(name) ?? 0) + 1, Math.floor(now));
    this.fences.set(name, token);
    this.leases.set(name, { holder: holderId, token, expiresAt: now + ttl });
    return { held: true, token, ttlMs: ttl };
  }

  async release(name: string, holderId: string): Promise<void> {
    if (this.leases.get(name)?.holder === holderId) this.leases.delete(name);
  }

  async get(key: string): Promise<FencedValue | undefined> {
    const stored = this.values.get(key);
    return stored && { value: JSON.parse(stored.text) as unknown, token: stored.token };
  }

  async set(key: string, value: unknown, fence: Fence): Promise<boolean> {
    const text = valueText(value);
    if (fence.token < (this.fences.get(fence.lease) ?? 0)) return false;
    const stored = this.values.get(key);
    if (stored && fence.token < stored.token) return false;
    this.values.set(key, { text, token: fence.token });
    return true;
  }

  async close(): Promise<void> {
    this.claims.clear();
  }

  private sweepClaims(now: number): void {
    if (this.claims.size < Math.max(MIN_SWEEP_SIZE, this.sweptSize * 2)) return;
    for (const [key, { until }] of this.claims) if (until <= now) this.claims.delete(key);
    this.sweptSize = this.claims.size;
  }
}
