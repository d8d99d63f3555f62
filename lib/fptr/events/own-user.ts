import type { EntityRef } from '../contract';
import type { LoopGuard } from './conditions';

/**
 * The loop guard's view of "who am I": the site's own user, looked up once through the REST
 * client. Until the lookup succeeds the guard drops every ApiUser's events instead (safe side:
 * a flow must never feed on its own writes), and a failed lookup is retried with growing delays.
 */

export type OwnUserState =
  { kind: 'pending' } | { kind: 'resolved'; user: EntityRef } | { kind: 'failed'; error: string };

export interface OwnUserOptions {
  firstRetryMs?: number;
  maxRetryMs?: number;
}

/** The guard while the own user is unknown (or no site is chosen): every ApiUser counts as "us". */
export const ANY_API_USER: LoopGuard = Object.freeze({ anyApiUser: true as const });

export class OwnUser {
  private state: OwnUserState = { kind: 'pending' };
  private guard: LoopGuard = ANY_API_USER;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private retryMs: number;
  private readonly maxRetryMs: number;

  constructor(
    private readonly lookup: () => Promise<EntityRef | null>,
    private readonly onChange: (state: OwnUserState, previous: OwnUserState) => void,
    options: OwnUserOptions = {},
  ) {
    this.retryMs = options.firstRetryMs ?? 1_000;
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
    this.attempt();
  }

  get current(): OwnUserState {
    return this.state;
  }

  /** What the matcher should drop right now. */
  get loopGuard(): LoopGuard {
    return this.guard;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private attempt(): void {
    Promise.resolve()
      .then(this.lookup)
      .then(
        (user) => {
          if (user) this.settle({ kind: 'resolved', user: { type: user.type, id: user.id } });
          else this.fail('the site did not name its user');
        },
        (err: unknown) => this.fail(err instanceof Error ? err.message : String(err)),
      );
  }

  private fail(error: string): void {
    if (this.closed) return;
    this.settle({ kind: 'failed', error });
    this.timer = setTimeout(() => this.attempt(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.maxRetryMs);
  }

  private settle(state: OwnUserState): void {
    if (this.closed) return;
    const previous = this.state;
    this.state = state;
    this.guard = state.kind === 'resolved' ? { user: state.user } : ANY_API_USER;
    this.onChange(state, previous);
  }
}
