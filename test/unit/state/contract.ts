import fc = require('fast-check');
import should = require('should');
import type { SharedState } from '../../../lib/state/shared-state';

/** What a contract run needs from one implementation. */
export interface Subject {
  /** A fresh state whose keys no other test sees (e.g. its own key prefix). */
  make(): Promise<SharedState>;
  /** Lets `ms` pass for the state's notion of time (a fake clock, or real waiting). */
  advance(ms: number): Promise<void>;
}

/**
 * The behaviour every SharedState implementation promises, run against each of them (memory
 * and a real redis-server) so the single-instance and the shared behaviour cannot drift apart.
 */
export function sharedStateContract(subject: () => Subject): void {
  const made: SharedState[] = [];
  const make = async (): Promise<SharedState> => {
    const state = await subject().make();
    made.push(state);
    return state;
  };

  afterEach(async () => {
    await Promise.all(made.splice(0).map((state) => state.close()));
  });

  describe('claim', () => {
    it('says which keys were new, in order, and remembers them', async () => {
      const state = await make();
      (await state.claim(['a', 'b'], 60_000)).should.eql([true, true]);
      (await state.claim(['b', 'c', 'a', 'd'], 60_000)).should.eql([false, true, false, true]);
      (await state.claim([], 60_000)).should.eql([]);
    });

    it('counts a key repeated within one call once', async () => {
      const state = await make();
      (await state.claim(['x', 'x', 'y', 'x'], 60_000)).should.eql([true, false, true, false]);
    });

    it('forgets a key once its time to live has passed', async () => {
      const state = await make();
      (await state.claim(['short', 'long'], 100)).should.eql([true, true]);
      await subject().advance(150);
      (await state.claim(['short'], 100)).should.eql([true]);
      (await state.claim(['short'], 100)).should.eql([false]);
    });

    it('keeps keys with any characters apart', async () => {
      const state = await make();
      const keys = ['a:b', 'a', 'b', 'ü', '', ' ', 'a:b:', '\u0000', 'x'.repeat(500)];
      (await state.claim(keys, 60_000)).should.eql(keys.map(() => true));
      (await state.claim(keys, 60_000)).should.eql(keys.map(() => false));
    });

    it('refuses a time to live that is not a positive number', async () => {
      const state = await make();
      for (const ttl of [0, -1, NaN, Infinity]) await state.claim(['k'], ttl).should.be.rejectedWith(RangeError);
    });

    it('gives keys back: the next claim of each wins, also by a caller that saw the key itself', async () => {
      const state = await make();
      (await state.claim(['a', 'b', 'c'], 60_000)).should.eql([true, true, true]);
      await state.unclaim(['a', 'b', 'never'], 60_000);
      (await state.claim(['a', 'b', 'c', 'never'], 60_000, [false, true, true, true])).should.eql([
        true,
        true,
        false,
        true,
      ]);
      (await state.claim(['a', 'b', 'never'], 60_000)).should.eql([false, false, false]);
      await state.unclaim([], 60_000);
    });

    it('does not count a key nobody holds as won by a caller that saw it itself, and holds it from then on', async () => {
      const state = await make();
      (await state.claim(['seen', 'new'], 60_000, [true, false])).should.eql([false, true]);
      (await state.claim(['seen', 'new'], 60_000)).should.eql([false, false]);
    });

    it('lets a given-back key lapse after its time to live', async () => {
      const state = await make();
      await state.unclaim(['k'], 100);
      await subject().advance(150);
      (await state.claim(['k'], 60_000, [true])).should.eql([false]);
      await state.unclaim(['k'], 0).should.be.rejectedWith(RangeError);
    });

    it('answers like its model for any sequence of claims and give-backs (property)', async () => {
      const state = await make();
      let run = 0;
      const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
      const step = fc.oneof(
        fc.record({ unclaim: fc.array(key, { maxLength: 4 }) }),
        fc.record({ claim: fc.array(fc.tuple(key, fc.boolean()), { maxLength: 8 }) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 10 }), async (steps) => {
          // Each run gets its own key space, so runs do not see each other's claims.
          const scope = `p${run++}:`;
          const model = new Map<string, 'held' | 'released'>();
          for (const s of steps) {
            if ('unclaim' in s) {
              await state.unclaim(
                s.unclaim.map((k) => scope + k),
                60_000,
              );
              for (const k of s.unclaim) model.set(k, 'released');
              continue;
            }
            const expected = s.claim.map(([k, seenHere]) => {
              const was = model.get(k);
              if (was === 'held') return false;
              model.set(k, 'held');
              return was === 'released' || !seenHere;
            });
            (
              await state.claim(
                s.claim.map(([k]) => scope + k),
                60_000,
                s.claim.map(([, seenHere]) => seenHere),
              )
            ).should.eql(expected);
          }
        }),
        { numRuns: 80 },
      );
    });
  });

  describe('lease', () => {
    it('is held by one holder at a time; renewal keeps the token', async () => {
      const state = await make();
      const first = await state.lease('poller', 'A', 60_000);
      first.held.should.be.true();
      const other = await state.lease('poller', 'B', 60_000);
      other.should.containEql({ held: false, holder: 'A', token: first.token });
      other.ttlMs.should.be.above(0);
      (await state.lease('poller', 'A', 60_000)).should.eql({ held: true, token: first.token, ttlMs: 60_000 });
      (await state.lease('another', 'B', 60_000)).held.should.be.true();
    });

    it('goes to another holder with a greater token after release or expiry', async () => {
      const state = await make();
      const a = await state.lease('poller', 'A', 60_000);
      await state.release('poller', 'B'); // not B's to give up
      (await state.lease('poller', 'B', 60_000)).held.should.be.false();
      await state.release('poller', 'A');
      const b = await state.lease('poller', 'B', 100);
      b.held.should.be.true();
      b.token.should.be.above(a.token);
      await subject().advance(150);
      const c = await state.lease('poller', 'C', 60_000);
      c.held.should.be.true();
      c.token.should.be.above(b.token);
      // B comes back after its lease ran out: C has it now.
      (await state.lease('poller', 'B', 60_000)).should.containEql({ held: false, holder: 'C' });
    });
  });

  describe('fenced values', () => {
    it('stores JSON values with the writer token; undefined when never stored', async () => {
      const state = await make();
      should(await state.get('cursor')).be.undefined();
      const lease = await state.lease('poller', 'A', 60_000);
      if (!lease.held) throw new Error('lease not held');
      const value = { id: 42, gaps: [40, 41], note: 'ü' };
      (await state.set('cursor', value, { lease: 'poller', token: lease.token })).should.be.true();
      (await state.get('cursor'))!.should.eql({ value, token: lease.token });
    });

    it('refuses a write from a leader that has been succeeded, even before the successor writes', async () => {
      const state = await make();
      const old = await state.lease('poller', 'A', 100);
      if (!old.held) throw new Error('lease not held');
      (await state.set('cursor', { id: 10 }, { lease: 'poller', token: old.token })).should.be.true();
      await subject().advance(150);
      const successor = await state.lease('poller', 'B', 60_000);
      if (!successor.held) throw new Error('lease not taken over');
      // A was paused past its lease and wakes up wanting to move the cursor back.
      (await state.set('cursor', { id: 5 }, { lease: 'poller', token: old.token })).should.be.false();
      should((await state.get('cursor'))?.value).eql({ id: 10 });
      (await state.set('cursor', { id: 20 }, { lease: 'poller', token: successor.token })).should.be.true();
      (await state.set('cursor', { id: 5 }, { lease: 'poller', token: old.token })).should.be.false();
      (await state.get('cursor'))!.should.eql({ value: { id: 20 }, token: successor.token });
    });

    it('refuses values that are not JSON or too big, without storing anything', async () => {
      const state = await make();
      const fence = { lease: 'poller', token: 1 };
      await state.set('k', undefined, fence).should.be.rejectedWith(TypeError);
      await state.set('k', () => 1, fence).should.be.rejectedWith(TypeError);
      await state.set('k', 'x'.repeat(600 * 1024), fence).should.be.rejectedWith(TypeError);
      should(await state.get('k')).be.undefined();
    });

    it('only ever holds the value of the newest leader that wrote (property)', async () => {
      const state = await make();
      let run = 0;
      // Steps: a holder takes the lease over (release + acquire), or a holder writes with its last token.
      const step = fc.oneof(
        fc.record({ kind: fc.constant('takeover' as const), holder: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ kind: fc.constant('write' as const), holder: fc.integer({ min: 0, max: 2 }), value: fc.integer() }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
          const lease = `lease${run}`;
          const key = `value${run++}`;
          const tokens = new Map<number, number>();
          let current: number | undefined;
          let expected: { value: number; token: number } | undefined;
          for (const s of steps) {
            if (s.kind === 'takeover') {
              if (current !== undefined) await state.release(lease, `h${current}`);
              const got = await state.lease(lease, `h${s.holder}`, 60_000);
              if (!got.held) throw new Error('lease not granted after release');
              tokens.set(s.holder, got.token);
              current = s.holder;
              continue;
            }
            const token = tokens.get(s.holder);
            if (token === undefined) continue;
            const stored = await state.set(key, s.value, { lease, token });
            // Accepted exactly when the writer is the newest holder.
            stored.should.equal(s.holder === current);
            if (stored) expected = { value: s.value, token };
          }
          should(await state.get(key)).eql(expected);
        }),
        { numRuns: 40 },
      );
    });
  });
}
