import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Fence, SharedState } from './shared-state';

/**
 * - `leader`: this holder has the lease; `fence` proves it for guarded writes;
 * - `standby`: another holder has it;
 * - `unavailable`: shared state cannot be asked, and any lease this holder had may have run out.
 */
export type Role = 'starting' | 'leader' | 'standby' | 'unavailable' | 'stopped';

export interface LeadershipOptions {
  /** How long a lease lasts without renewal, in ms: a dead leader's successor takes over within it. */
  ttlMs: number;
  /** How often the leader renews (and a follower asks), in ms; default a third of the lease. */
  renewMs?: number;
}

/**
 * Keeps asking for the lease `name` for `holderId`: the leader renews it well before it runs
 * out, a follower asks again as soon as the holder's lease would have expired (so it takes over
 * a dead leader within the lease time). A leader that cannot renew steps down when its lease
 * may have run out by its own clock, measured from before it asked, so two leaders never both
 * believe they lead. Emits `role` (Role, token?) on each change, and again on a new token.
 */
export class Leadership extends EventEmitter {
  private current: Role = 'starting';
  private token: number | undefined;
  /** performance.now() until which the lease is certainly ours. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private readonly renewMs: number;

  constructor(
    private readonly state: SharedState,
    private readonly name: string,
    private readonly holderId: string,
    private readonly options: LeadershipOptions,
  ) {
    super();
    this.renewMs = options.renewMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  }

  get role(): Role {
    return this.current;
  }

  /** The fence for guarded writes while this holder leads and its lease is certainly valid. */
  get fence(): Fence | undefined {
    if (this.current !== 'leader' || this.token === undefined || performance.now() >= this.validUntil) return undefined;
    return { lease: this.name, token: this.token };
  }

  start(): void {
    if (this.current !== 'starting' || this.timer) return;
    this.schedule(0);
  }

  /** Stops asking and, when leading, gives the lease up so a follower takes over at once. */
  async stop(): Promise<void> {
    const wasLeader = this.current === 'leader';
    this.setRole('stopped');
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    if (wasLeader) await this.state.release(this.name, this.holderId).catch(() => undefined);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async attempt(): Promise<void> {
    const askedAt = performance.now();
    try {
      const lease = await this.state.lease(this.name, this.holderId, this.options.ttlMs);
      if (this.current === 'stopped') {
        if (lease.held) await this.state.release(this.name, this.holderId).catch(() => undefined);
        return;
      }
      if (lease.held) {
        this.validUntil = askedAt + lease.ttlMs;
        clearTimeout(this.expiry);
        this.expiry = setTimeout(() => this.expire(), Math.max(0, this.validUntil - performance.now()));
        const fresh = this.token !== lease.token;
        this.token = lease.token;
        if (fresh || this.current !== 'leader') this.setRole('leader', true);
        return this.schedule(this.renewMs);
      }
      this.token = undefined;
      clearTimeout(this.expiry);
      this.setRole('standby');
      // Ask again just after the holder's lease would run out, or sooner when it renews.
      this.schedule(Math.min(this.renewMs, lease.ttlMs + 5));
    } catch {
      if (this.current === 'stopped') return;
      // A leader keeps leading until its lease may have run out; expire() then steps it down.
      if (this.current !== 'leader') this.setRole('unavailable');
      this.schedule(this.renewMs);
    }
  }

  private expire(): void {
    if (this.current !== 'leader') return;
    // Timers run on the event loop's clock, which may be a little behind performance.now().
    const left = this.validUntil - performance.now();
    if (left > 0) {
      this.expiry = setTimeout(() => this.expire(), Math.ceil(left));
      return;
    }
    this.token = undefined;
    this.setRole('unavailable');
  }

  private setRole(role: Role, force = false): void {
    if (this.current === role && !force) return;
    if (this.current === 'stopped') return;
    this.current = role;
    this.emit('role', role, role === 'leader' ? this.token : undefined);
  }
}
