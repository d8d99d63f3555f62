import type { Delivery, EntityRef } from '../contract';
import type { EventMatcher, LoopGuard, MatchResult } from './conditions';
import { ANY_API_USER, OwnUser, type OwnUserState } from './own-user';

/**
 * What the loop guard can say about itself on the node's badge: it has no site to ask who
 * "we" are, it is still asking, or asking failed (meanwhile every script's events are dropped).
 */
export type GuardNote = 'guardNoSite' | 'guardPending' | 'guardUnresolved';

export interface LoopGuardOptions {
  /** Drop the events the site's own user made (on unless a flow turns it off). */
  on: boolean;
  /** Asks the site who its user is; absent when no site is chosen. */
  lookupOwnUser?: () => Promise<EntityRef | null>;
  /** The own-user lookup changed state (resolved, failed, retried). */
  onChange?: (state: OwnUserState, previous: OwnUserState) => void;
}

/**
 * One fptr-event-filter's decisions: the compiled conditions plus the loop guard, and the
 * counts its badge shows. Conditions that read `msg`/`flow`/`global` get their values per event
 * from the caller.
 */
export class EventFilter {
  readonly counts = { passed: 0, dropped: 0 };
  private readonly ownUser: OwnUser | undefined;

  constructor(
    private readonly matcher: EventMatcher,
    private readonly guard: LoopGuardOptions,
  ) {
    if (guard.on && guard.lookupOwnUser)
      this.ownUser = new OwnUser(guard.lookupOwnUser, (state, previous) => guard.onChange?.(state, previous));
  }

  get guardNote(): GuardNote | undefined {
    if (!this.guard.on) return undefined;
    if (!this.ownUser) return 'guardNoSite';
    const { kind } = this.ownUser.current;
    return kind === 'pending' ? 'guardPending' : kind === 'failed' ? 'guardUnresolved' : undefined;
  }

  /**
   * Whether one delivery passes. Without per-event values the answer comes at once; otherwise
   * `readValue(index)` reads the value of the condition at that index (context stores may be
   * asynchronous), and the answer is a promise.
   */
  match(delivery: Delivery, readValue: (index: number) => Promise<unknown>): MatchResult | Promise<MatchResult> {
    const loopGuard = this.loopGuard();
    const indexes = this.matcher.dynamicValueIndexes;
    if (indexes.length === 0) return this.matcher.match(delivery, { loopGuard });
    const values: unknown[] = [];
    return Promise.all(indexes.map(async (i) => (values[i] = await readValue(i)))).then(() =>
      this.matcher.match(delivery, { loopGuard, values }),
    );
  }

  /** Counts one message that passed or was dropped. */
  count(passed: boolean): void {
    if (passed) this.counts.passed++;
    else this.counts.dropped++;
  }

  close(): void {
    this.ownUser?.close();
  }

  private loopGuard(): LoopGuard | undefined {
    if (!this.guard.on) return undefined;
    return this.ownUser ? this.ownUser.loopGuard : ANY_API_USER;
  }
}
