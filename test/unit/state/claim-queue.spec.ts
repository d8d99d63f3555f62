import crypto = require('node:crypto');
import fc = require('fast-check');
import 'should';
import { ClaimQueue, type ClaimKey, type ClaimOutcome } from '../../../lib/state/claim-queue';
import { LocalState } from '../../../lib/state/local-state';
import { RedisState } from '../../../lib/state/redis-state';
import { StateUnavailableError, type Health, type SharedState } from '../../../lib/state/shared-state';
import { RedisServer, requireRedis } from '../../support/redis-server';

/** LocalState whose claims answer when the test says so, one by one or failing, to decide the order answers arrive in. */
class HeldState extends LocalState {
  readonly held: Array<{ answer: () => void; fail: () => void }> = [];

  override claim(keys: readonly string[], ttlMs: number, seenHere?: readonly boolean[]): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.held.push({
        answer: () => resolve(super.claim(keys, ttlMs, seenHere)),
        fail: () => reject(new StateUnavailableError('test outage')),
      });
    });
  }
}

function collect<T>(): { outcomes: ClaimOutcome<T>[]; release: (outcome: ClaimOutcome<T>) => void } {
  const outcomes: ClaimOutcome<T>[] = [];
  return { outcomes, release: (outcome) => outcomes.push(outcome) };
}

/** Claim keys none of which this instance saw itself. */
const keyed = (...keys: Array<string | undefined>): ClaimKey[] => keys.map((key) => ({ key }));

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClaimQueue', () => {
  it('passes on the items whose keys are new and counts the others as duplicates', async () => {
    const state = new LocalState();
    const { outcomes, release } = collect<string>();
    const queue = new ClaimQueue<string>(state, { ttlMs: 60_000, release, onUnavailable: () => undefined });
    queue.push(['d1', 'd2', 'ping'], keyed('k1', 'k2', undefined));
    queue.push(['d2 again', 'd3', 'ping again'], keyed('k2', 'k3', undefined));
    await tick();
    outcomes.should.eql([
      { kept: ['d1', 'd2', 'ping'], duplicates: [], shared: true },
      { kept: ['d3', 'ping again'], duplicates: ['d2 again'], shared: true },
    ]);
    queue.pending.should.equal(0);
  });

  it('passes an item this instance saw only when its key was given back, and drops it while shared state is down', async () => {
    const state = new HeldState();
    const { outcomes, release } = collect<string>();
    const queue = new ClaimQueue<string>(state, { ttlMs: 60_000, release, onUnavailable: () => undefined });
    await state.unclaim(['given back'], 60_000);
    const batch = (): ClaimKey[] => [
      { key: 'given back', seenHere: true },
      { key: 'nobody holds', seenHere: true },
      { key: 'new' },
    ];
    queue.push(['redelivered', 'seen', 'fresh'], batch());
    queue.push(['redelivered', 'seen', 'fresh'], batch());
    state.held[0].answer();
    state.held[1].fail();
    await tick();
    outcomes.should.eql([
      { kept: ['redelivered', 'fresh'], duplicates: ['seen'], shared: true },
      { kept: ['fresh'], duplicates: ['redelivered', 'seen'], shared: false },
    ]);
  });

  it('releases batches in arrival order whatever order their answers come in', async () => {
    const state = new HeldState();
    const { outcomes, release } = collect<string>();
    const failures: unknown[] = [];
    const queue = new ClaimQueue<string>(state, { ttlMs: 60_000, release, onUnavailable: (err) => failures.push(err) });
    queue.push(['a'], keyed('ka'));
    queue.push(['b'], keyed('kb'));
    queue.push(['no key'], keyed(undefined));
    queue.push(['c'], keyed('kc'));
    queue.pending.should.equal(4);
    state.held[2].answer();
    state.held[1].fail();
    await tick();
    outcomes.should.eql([]); // 'a' still waits
    state.held[0].answer();
    await tick();
    outcomes.map((o) => o.kept).should.eql([['a'], ['b'], ['no key'], ['c']]);
    outcomes.map((o) => o.shared).should.eql([true, false, true, true]);
    failures.should.have.length(1);
    queue.pending.should.equal(0);
  });

  it('releases every batch once, in push order, for any order of answers and failures (property)', async () => {
    const batch = fc.array(fc.option(fc.constantFrom('k1', 'k2', 'k3', 'k4'), { nil: undefined }), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(batch, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        async (batches, order, failing) => {
          const state = new HeldState();
          const { outcomes, release } = collect<number>();
          const queue = new ClaimQueue<number>(state, { ttlMs: 60_000, release, onUnavailable: () => undefined });
          let next = 0;
          const pushed = batches.map((keys) => keys.map(() => next++));
          batches.forEach((keys, i) => queue.push(pushed[i], keyed(...keys)));
          // Answer the held claims in an order drawn from `order`, failing some.
          const held = [...state.held];
          for (let i = 0; held.length > 0; i++) {
            const [call] = held.splice((order[i] ?? 0) % held.length, 1);
            if (failing[i]) call.fail();
            else call.answer();
            await tick();
          }
          outcomes.map((o) => [...o.kept, ...o.duplicates].sort((a, b) => a - b)).should.eql(pushed);
          queue.pending.should.equal(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('releases nothing after close, even answers that arrive later', async () => {
    const state = new HeldState();
    const { outcomes, release } = collect<string>();
    const queue = new ClaimQueue<string>(state, { ttlMs: 60_000, release, onUnavailable: () => undefined });
    queue.push(['a'], keyed('ka'));
    queue.close();
    state.held[0].answer();
    queue.push(['b'], keyed(undefined));
    await tick();
    outcomes.should.eql([]);
    queue.pending.should.equal(0);
  });

  describe('with Redis', function () {
    this.timeout(30_000);
    let server: RedisServer;
    const states: SharedState[] = [];

    function healthBecomes(state: SharedState, health: Health): Promise<void> {
      if (state.health === health) return Promise.resolve();
      return new Promise((resolve) => {
        const listener = (next: Health): void => {
          if (next === health) {
            state.off('health', listener);
            resolve();
          }
        };
        state.on('health', listener);
      });
    }

    async function instance(prefix: string): Promise<RedisState> {
      const state = new RedisState({
        url: server.url,
        prefix,
        instanceId: `i${states.length}`,
        commandTimeoutMs: 500,
        maxRetryDelayMs: 200,
      });
      states.push(state);
      await healthBecomes(state, 'up');
      return state;
    }

    before(async function () {
      requireRedis(this);
      server = await RedisServer.start();
    });

    afterEach(async () => {
      await Promise.all(states.splice(0).map((state) => state.close()));
      await server?.resume();
    });

    after(async () => {
      await server?.dispose();
    });

    it('lets each key through one of two instances', async () => {
      const prefix = `cq${crypto.randomBytes(4).toString('hex')}:`;
      const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
      const passed: string[] = [];
      const release = (outcome: ClaimOutcome<string>): void => {
        passed.push(...outcome.kept);
      };
      const qa = new ClaimQueue<string>(a, { ttlMs: 60_000, release, onUnavailable: () => undefined });
      const qb = new ClaimQueue<string>(b, { ttlMs: 60_000, release, onUnavailable: () => undefined });
      for (let i = 0; i < 100; i++) {
        const keys = Array.from({ length: 20 }, (_, j) => `d${i * 20 + j}`);
        qa.push(keys, keyed(...keys));
        qb.push(keys, keyed(...keys));
      }
      while (qa.pending + qb.pending > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      passed.length.should.equal(2000);
      new Set(passed).size.should.equal(2000);
    });

    it('passes everything on during an outage, then claims those keys so another instance drops their redeliveries', async () => {
      const prefix = `cq${crypto.randomBytes(4).toString('hex')}:`;
      const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
      const fromA = collect<string>();
      const failures: unknown[] = [];
      const qa = new ClaimQueue<string>(a, {
        ttlMs: 60_000,
        release: fromA.release,
        onUnavailable: (err) => failures.push(err),
      });
      await server.stop();
      await healthBecomes(a, 'degraded');
      qa.push(['d1', 'd2'], keyed('k1', 'k2'));
      await tick();
      fromA.outcomes.should.eql([{ kept: ['d1', 'd2'], duplicates: [], shared: false }]);
      failures.should.have.length(1);
      qa.backfillSize.should.equal(2);
      await server.resume(); // empty: the outage lost nothing but also remembers nothing
      await healthBecomes(a, 'up');
      while (qa.backfillSize > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await healthBecomes(b, 'up');
      const fromB = collect<string>();
      const qb = new ClaimQueue<string>(b, { ttlMs: 60_000, release: fromB.release, onUnavailable: () => undefined });
      qb.push(['d1 redelivered', 'd3'], keyed('k1', 'k3'));
      while (qb.pending > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      fromB.outcomes.should.eql([{ kept: ['d3'], duplicates: ['d1 redelivered'], shared: true }]);
    });

    it('remembers at most maxBackfill keys of an outage, oldest batches dropped first, and claims them all once back', async () => {
      const prefix = `cq${crypto.randomBytes(4).toString('hex')}:`;
      const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
      const qa = new ClaimQueue<string>(a, {
        ttlMs: 60_000,
        release: () => undefined,
        onUnavailable: () => undefined,
        maxBackfill: 1_005,
      });
      await server.stop();
      await healthBecomes(a, 'degraded');
      // 21 batches of 50: the first one no longer fits, the other 1,000 keys are claimed in two rounds.
      const batch = (i: number): string[] => Array.from({ length: 50 }, (_, j) => `k${i}-${j}`);
      for (let i = 0; i < 21; i++) qa.push(batch(i), keyed(...batch(i)));
      await tick();
      qa.backfillSize.should.equal(1_000);
      await server.resume();
      await healthBecomes(a, 'up');
      while (qa.backfillSize > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await healthBecomes(b, 'up');
      const fromB = collect<string>();
      const qb = new ClaimQueue<string>(b, { ttlMs: 60_000, release: fromB.release, onUnavailable: () => undefined });
      const probe = ['k0-0', 'k0-49', 'k1-0', 'k10-25', 'k20-49'];
      qb.push(probe, keyed(...probe));
      while (qb.pending > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      fromB.outcomes.should.eql([{ kept: ['k0-0', 'k0-49'], duplicates: ['k1-0', 'k10-25', 'k20-49'], shared: true }]);
    });
  });
});
