import crypto = require('node:crypto');
import 'should';
import { LocalState } from '../../../lib/state/local-state';
import { periodGate } from '../../../lib/state/period-gate';
import { RedisState } from '../../../lib/state/redis-state';
import type { Health, SharedState } from '../../../lib/state/shared-state';
import { RedisServer, requireRedis } from '../../support/redis-server';

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

describe('periodGate (lib/state)', function () {
  this.timeout(30_000);

  describe('on one instance (memory)', () => {
    it('opens once per period slot and per key', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const gate = periodGate(new LocalState({ now: () => now }), () => now);
      (await gate('sweep', 60_000)).should.be.true();
      (await gate('sweep', 60_000)).should.be.false();
      (await gate('watch', 60_000)).should.be.true();
      now += 59_999;
      (await gate('sweep', 60_000)).should.be.false();
      now += 1; // the next slot
      (await gate('sweep', 60_000)).should.be.true();
      (await gate('sweep', 60_000)).should.be.false();
    });
  });

  describe('across instances (a real redis-server)', () => {
    let server: RedisServer;
    const states: RedisState[] = [];

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

    async function instances(count: number): Promise<RedisState[]> {
      const prefix = `pg${crypto.randomBytes(4).toString('hex')}:`;
      const made = Array.from(
        { length: count },
        (_, i) =>
          new RedisState({ url: server.url, prefix, instanceId: `i${i}`, commandTimeoutMs: 500, maxRetryDelayMs: 200 }),
      );
      states.push(...made);
      await Promise.all(made.map((state) => healthBecomes(state, 'up')));
      return made;
    }

    it('opens for exactly one of three instances asking in the same period', async () => {
      const gates = (await instances(3)).map((state) => periodGate(state));
      const answers = await Promise.all([...gates, ...gates].map((gate) => gate('sweep:n1', 60_000)));
      answers.filter(Boolean).should.have.length(1);
    });

    it('opens again in the next period', async () => {
      const [a, b] = await instances(2);
      let now = Date.parse('2026-01-01T00:00:00Z');
      const [gateA, gateB] = [periodGate(a, () => now), periodGate(b, () => now)];
      (await gateA('job', 60_000)).should.be.true();
      (await gateB('job', 60_000)).should.be.false();
      now += 60_000;
      (await gateB('job', 60_000)).should.be.true();
      (await gateA('job', 60_000)).should.be.false();
    });

    it('opens on every instance while Redis is down, so the job still runs', async () => {
      const [a, b] = await instances(2);
      await server.stop();
      await Promise.all([healthBecomes(a, 'degraded'), healthBecomes(b, 'degraded')]);
      (await periodGate(a)('job', 60_000)).should.be.true();
      (await periodGate(b)('job', 60_000)).should.be.true();
    });
  });
});
