import 'should';
import { LocalState } from '../../../lib/state/local-state';
import { sharedStateContract } from './contract';

describe('LocalState (one instance, in memory)', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');

  sharedStateContract(() => ({
    make: async () => new LocalState({ now: () => now }),
    advance: async (ms) => {
      now += ms;
    },
  }));

  it('is always up and never emits health changes', async () => {
    const state = new LocalState({ now: () => now });
    const seen: unknown[] = [];
    state.on('health', (health) => seen.push(health));
    state.kind.should.equal('local');
    state.health.should.equal('up');
    await state.claim(['a'], 1000);
    seen.should.eql([]);
  });

  it('keeps memory to the live claims under a steady stream of new keys', async () => {
    const state = new LocalState({ now: () => now });
    const internals = state as unknown as { claims: Map<string, number> };
    for (let i = 0; i < 100_000; i++) {
      await state.claim([`k${i}`], 1000);
      now += 1;
    }
    // About 1,000 keys are live at any time; sweeps keep the map within a small multiple of that.
    internals.claims.size.should.be.below(4_096);
  });
});
