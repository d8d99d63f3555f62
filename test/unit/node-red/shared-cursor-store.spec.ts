import should = require('should');
import type { StoredCursor } from '../../../lib/fptr/events/event-log-cursor';
import { SharedCursorStore, SupersededError } from '../../../lib/node-red/shared-cursor-store';
import { LocalState } from '../../../lib/state/local-state';
import type { Fence } from '../../../lib/state/shared-state';
import { MemoryCursorStore } from '../../support/event-log';

const cursor = (high: number): StoredCursor => ({ v: 1, high, gaps: [], inFlight: [], site: 'https://s.example' });

describe('SharedCursorStore (the events-in cursor in shared state)', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const state = new LocalState({ now: () => now });

  it('reads the context store until the shared state holds a cursor, then the shared one', async () => {
    const fallback = new MemoryCursorStore();
    await fallback.save(cursor(50));
    const lease = await state.lease('events-in:n1', 'a', 1000);
    if (!lease.held) throw new Error('not held');
    const store = new SharedCursorStore(
      state,
      'events-in:n1:cursor',
      () => ({ lease: 'events-in:n1', token: lease.token }),
      fallback,
    );
    should(await store.load()).eql(cursor(50));
    await store.save(cursor(60));
    should(await store.load()).eql(cursor(60));
  });

  it('refuses the write of a leader whose lease went to another: the cursor is not moved back', async () => {
    const old = await state.lease('events-in:n2', 'a', 1000);
    if (!old.held) throw new Error('not held');
    let oldFence: Fence | undefined = { lease: 'events-in:n2', token: old.token };
    const a = new SharedCursorStore(state, 'events-in:n2:cursor', () => oldFence, new MemoryCursorStore());
    await a.save(cursor(100));
    now += 1500; // a is paused past its lease; b takes over and moves on
    const taken = await state.lease('events-in:n2', 'b', 1000);
    if (!taken.held) throw new Error('not held');
    const b = new SharedCursorStore(
      state,
      'events-in:n2:cursor',
      () => ({ lease: 'events-in:n2', token: taken.token }),
      new MemoryCursorStore(),
    );
    await b.save(cursor(130));
    // a wakes up still believing it leads: refused.
    await a.save(cursor(110)).should.be.rejectedWith(SupersededError);
    // a that knows it lost the lease writes nothing at all.
    oldFence = undefined;
    await a.save(cursor(110)).should.be.rejectedWith(SupersededError);
    should(await b.load()).eql(cursor(130));
  });
});
