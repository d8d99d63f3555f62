import crypto = require('node:crypto');
import fc = require('fast-check');
import should = require('should');
import { RedisState, type RedisStateOptions } from '../../../lib/state/redis-state';
import { StateUnavailableError, type Health, type SharedState } from '../../../lib/state/shared-state';
import { RedisServer, requireRedis } from '../../support/redis-server';
import { sharedStateContract } from './contract';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `state` reports `health` (at once if it is there already). */
function healthBecomes(state: SharedState, health: Health): Promise<void> {
  if (state.health === health) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (next: Health): void => {
      if (next !== health) return;
      state.off('health', listener);
      resolve();
    };
    state.on('health', listener);
  });
}

describe('RedisState (a real redis-server)', function () {
  this.timeout(30_000);
  let server: RedisServer;
  const states: RedisState[] = [];

  /** A state on `server` with a key prefix of its own; resolves once it is up. */
  async function connect(options: Partial<RedisStateOptions> = {}, waitUp = true): Promise<RedisState> {
    const state = new RedisState({
      url: server.url,
      prefix: `t${crypto.randomBytes(4).toString('hex')}:`,
      instanceId: `test-${states.length}`,
      commandTimeoutMs: 500,
      maxRetryDelayMs: 200,
      ...options,
    });
    states.push(state);
    if (waitUp) await healthBecomes(state, 'up');
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

  describe('contract', () => {
    sharedStateContract(() => ({ make: () => connect(), advance: (ms) => sleep(ms) }));
  });

  describe('several instances', () => {
    it('claims every key for exactly one of two clients racing over the same keys', async () => {
      const prefix = `race${crypto.randomBytes(4).toString('hex')}:`;
      const [a, b] = await Promise.all([connect({ prefix, instanceId: 'a' }), connect({ prefix, instanceId: 'b' })]);
      // 200 batches of 50 keys; each key appears in two batches, sent by different clients at once.
      const batches = Array.from({ length: 200 }, (_, i) =>
        Array.from({ length: 50 }, (_, j) => `d${((i >> 1) * 50 + j) % 5000}`),
      );
      const results = await Promise.all(
        batches.map((keys, i) => (i % 2 === 0 ? a : b).claim(keys, 60_000).then((won) => ({ keys, won }))),
      );
      const winners = new Map<string, number>();
      for (const { keys, won } of results)
        keys.forEach((key, j) => won[j] && winners.set(key, (winners.get(key) ?? 0) + 1));
      winners.size.should.equal(5000);
      [...winners.values()].every((count) => count === 1).should.be.true();
    });

    it('claims like one set whichever client asks, for any interleaving (property)', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(fc.boolean(), fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 5 })),
            { maxLength: 12 },
          ),
          async (calls) => {
            const prefix = `pp${run++}${crypto.randomBytes(3).toString('hex')}:`;
            const [a, b] = await Promise.all([connect({ prefix }), connect({ prefix })]);
            // All calls at once: whatever order they reach the server in, each key has one winner.
            const results = await Promise.all(calls.map(([first, keys]) => (first ? a : b).claim(keys, 60_000)));
            const wins = new Map<string, number>();
            calls.forEach(([, keys], i) =>
              keys.forEach((key, j) => results[i][j] && wins.set(key, (wins.get(key) ?? 0) + 1)),
            );
            const distinct = new Set(calls.flatMap(([, keys]) => keys));
            wins.size.should.equal(distinct.size);
            [...wins.values()].every((count) => count === 1).should.be.true();
            await Promise.all(states.splice(-2).map((state) => state.close()));
          },
        ),
        { numRuns: 25 },
      );
    });

    it('hands a lease over when its holder stops renewing, and fences the old holder out', async () => {
      const prefix = `lease${crypto.randomBytes(4).toString('hex')}:`;
      const [a, b] = await Promise.all([connect({ prefix, instanceId: 'a' }), connect({ prefix, instanceId: 'b' })]);
      const first = await a.lease('events-in:n1', 'a', 300);
      if (!first.held) throw new Error('a did not get the lease');
      (await a.set('cursor:n1', { id: 100 }, { lease: 'events-in:n1', token: first.token })).should.be.true();
      (await b.lease('events-in:n1', 'b', 300)).should.containEql({ held: false, holder: 'a' });
      // a is paused (it stops renewing); b keeps trying, as a follower does, until it leads.
      let taken = await b.lease('events-in:n1', 'b', 300);
      while (!taken.held) {
        await sleep(50);
        taken = await b.lease('events-in:n1', 'b', 300);
      }
      taken.token.should.be.above(first.token);
      should((await b.get('cursor:n1'))?.value).eql({ id: 100 });
      (await b.set('cursor:n1', { id: 130 }, { lease: 'events-in:n1', token: taken.token })).should.be.true();
      // a wakes up and writes what it had: refused, the cursor stays where b put it.
      (await a.set('cursor:n1', { id: 90 }, { lease: 'events-in:n1', token: first.token })).should.be.false();
      (await a.lease('events-in:n1', 'a', 300)).should.containEql({ held: false, holder: 'b' });
      (await a.get('cursor:n1'))!.should.eql({ value: { id: 130 }, token: taken.token });
    });

    it('keeps new lease tokens above old ones when the server loses its data', async () => {
      const a = await connect();
      const before = await a.lease('poller', 'a', 60_000);
      await server.stop();
      await server.resume(); // no persistence: the counter is gone
      await healthBecomes(a, 'up');
      const after = await a.lease('poller', 'b', 60_000);
      if (!before.held || !after.held) throw new Error('lease not held');
      after.token.should.be.above(before.token);
    });
  });

  describe('outages', () => {
    it('fails at once while the server is down, reports degraded, and recovers by itself', async () => {
      const state = await connect();
      const health: string[] = [];
      state.on('health', (next: Health) => health.push(next));
      (await state.claim(['before'], 60_000)).should.eql([true]);
      const degraded = healthBecomes(state, 'degraded');
      await server.stop();
      await degraded;
      // Settles while the server is still down: nothing is queued for the reconnect.
      await state.claim(['during'], 60_000).should.be.rejectedWith({ name: 'StateUnavailableError' });
      await state.lease('l', 'a', 1000).should.be.rejectedWith({ name: 'StateUnavailableError' });
      server.running.should.be.false();
      await server.resume();
      await healthBecomes(state, 'up');
      (await state.claim(['during', 'after'], 60_000)).should.eql([true, true]);
      health.should.eql(['degraded', 'up']);
    });

    it('does not wait on a server that accepts connections but answers nothing', async () => {
      const state = await connect();
      server.pause();
      try {
        // The command is sent and never answered: it fails at its deadline, while the server is still frozen.
        await state
          .claim(['hung'], 60_000)
          .should.be.rejectedWith({ name: 'StateUnavailableError', message: /no answer within 500 ms/ });
        state.health.should.equal('degraded');
        // From now on operations fail without a round trip.
        await state
          .claim(['next'], 60_000)
          .should.be.rejectedWith({ name: 'StateUnavailableError', message: /degraded/ });
      } finally {
        server.unpause();
      }
      await healthBecomes(state, 'up');
      (await state.claim(['next'], 60_000)).should.eql([true]);
    });

    it('starts degraded when the server is down, and comes up when it starts', async () => {
      await server.stop();
      const state = await connect({}, false);
      state.health.should.equal('connecting');
      await state
        .claim(['k'], 1000)
        .should.be.rejectedWith({ name: 'StateUnavailableError', message: /not connected yet/ });
      await healthBecomes(state, 'degraded');
      await server.resume();
      await healthBecomes(state, 'up');
      (await state.claim(['k'], 1000)).should.eql([true]);
    });

    it('stops reconnecting once closed', async () => {
      const state = await connect();
      await state.close();
      await state.claim(['k'], 1000).should.be.rejectedWith({ name: 'StateUnavailableError', message: /closed/ });
      await server.stop();
      await sleep(300);
      state.health.should.equal('up'); // no events after close
    });
  });

  describe('passwords', () => {
    let secured: RedisServer;
    const password = 'pa55-w0rd-that-must-not-leak';

    before(async () => {
      secured = await RedisServer.start({ password });
    });

    after(async () => {
      await secured?.dispose();
    });

    it('authenticates with the password', async () => {
      const state = await connect({ url: secured.url, password });
      (await state.claim(['k'], 1000)).should.eql([true]);
    });

    it('stays degraded with a wrong or missing password, and never reports the password', async () => {
      for (const given of ['wrong-' + password, undefined]) {
        const reasons: string[] = [];
        const state = await connect({ url: secured.url, password: given }, false);
        state.on('health', (_health: Health, reason?: string) => reasons.push(reason ?? ''));
        await healthBecomes(state, 'degraded');
        const failure = await state.claim(['k'], 1000).then(
          () => undefined,
          (err: Error) => err,
        );
        failure!.should.be.instanceOf(StateUnavailableError);
        reasons.length.should.be.above(0);
        for (const text of [...reasons, failure!.message]) text.should.not.containEql(password);
      }
    });
  });
});
