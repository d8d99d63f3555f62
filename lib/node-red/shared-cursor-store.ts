import type { StoredCursor } from '../fptr/events/event-log-cursor';
import type { CursorStore } from '../fptr/events/event-log-poller';
import type { Fence, SharedState } from '../state/shared-state';

/** The leader's writes were refused: a newer leader holds the lease (this one was paused or cut off). */
export class SupersededError extends Error {
  constructor() {
    super('another instance has taken over this node: its cursor was not overwritten');
    this.name = 'SupersededError';
  }
}

/**
 * The cursor of an fptr-events-in node in shared state, for the instances of a site on Redis.
 * Every write carries the leader's fence, so a leader that lost its lease (paused, cut off)
 * cannot move the cursor back behind its successor's. Until the first shared write, `load`
 * falls back to the node's own context store, so switching a site to Redis keeps its place.
 */
export class SharedCursorStore implements CursorStore {
  constructor(
    private readonly state: SharedState,
    private readonly key: string,
    private readonly fence: () => Fence | undefined,
    private readonly fallback: CursorStore,
  ) {}

  async load(): Promise<unknown> {
    const shared = await this.state.get(this.key);
    return shared ? shared.value : this.fallback.load();
  }

  async save(cursor: StoredCursor): Promise<void> {
    const fence = this.fence();
    if (!fence) throw new SupersededError();
    if (!(await this.state.set(this.key, cursor, fence))) throw new SupersededError();
  }
}
