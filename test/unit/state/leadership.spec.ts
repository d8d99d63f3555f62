import crypto = require('node:crypto');
import should = require('should');
import { Leadership, type Role } from '../../../lib/state/leadership';
import { LocalState } from '../../../lib/state/local-state';
import { RedisState } from '../../../lib/state/redis-state';
import type { Health, SharedState } from '../../../lib/state/shared-state';
import { RedisServer, requireRedis } from '../../support/redis-server';

function roleBecomes(leadership: Leadership, role: Role): Promise<number | undefined> {
  if (leadership.role === role) return Promise.resolve(leadership.fence?.token);
  return new Promise((resolve) => {
    const listener = (next: Role, token?: number): void => {
      if (next !== role) return;
      leadership.off('role', listener);
      resolve(token);
    };
    leadership.on('role', listener);
  });
}

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

/** Fails the test if two leaderships ever both hold a valid fence, sampled every few ms. */
function watchSingleLeader(all: Leadership[]): { stop: () => void } {
  const timer = setInterval(() => {
    const leading = all.filter((l) => l.fence !== undefined);
    if (leading.length > 1)
      throw new Error(`two leaders at once: tokens ${leading.map((l) => l.fence?.token).join(', ')}`);
  }, 5);
  return { stop: () => clearInterval(timer) };
}

describe('Leadership', function () {
  this.timeout(30_000);

  it('leads at once on local state, and gives up on stop', async () => {
    const leadership = new Leadership(new LocalState(), 'events-in:n1', 'me', { ttlMs: 1000 });
    leadership.start();
    const token = await roleBecomes(leadership, 'leader');
    leadership.fence!.should.eql({ lease: 'events-in:n1', token });
    await leadership.stop();
    leadership.role.should.equal('stopped');
    should(leadership.fence).be.undefined();
  });

  describe('with Redis', () => {
    let server: RedisServer;
    const states: RedisState[] = [];
    const leaderships: Leadership[] = [];
    let prefix: string;

    async function instance(id: string, ttlMs: number): Promise<{ state: RedisState; leadership: Leadership }> {
      const state = new RedisState({
        url: server.url,
        prefix,
        instanceId: id,
        commandTimeoutMs: 300,
        maxRetryDelayMs: 100,
      });
      states.push(state);
      await healthBecomes(state, 'up');
      const leadership = new Leadership(state, 'events-in:n1', id, { ttlMs });
      leaderships.push(leadership);
      return { state, leadership };
    }

    before(async function () {
      requireRedis(this);
      server = await RedisServer.start();
    });

    beforeEach(() => {
      prefix = `ld${crypto.randomBytes(4).toString('hex')}:`;
    });

    afterEach(async () => {
      await Promise.all(leaderships.splice(0).map((l) => l.stop()));
      await Promise.all(states.splice(0).map((s) => s.close()));
      await server?.resume();
    });

    after(async () => {
      await server?.dispose();
    });

    it('makes one of two instances leader and the other standby', async () => {
      const a = await instance('a', 1000);
      const b = await instance('b', 1000);
      a.leadership.start();
      await roleBecomes(a.leadership, 'leader');
      b.leadership.start();
      await roleBecomes(b.leadership, 'standby');
      should(b.leadership.fence).be.undefined();
    });

    it('hands over to the follower when the leader dies without a word, with a greater token', async () => {
      const a = await instance('a', 400);
      const b = await instance('b', 400);
      const watch = watchSingleLeader([a.leadership, b.leadership]);
      try {
        a.leadership.start();
        const first = await roleBecomes(a.leadership, 'leader');
        b.leadership.start();
        await roleBecomes(b.leadership, 'standby');
        // The leader's process is gone: its connection drops, nobody releases the lease.
        await a.state.close();
        const second = await roleBecomes(b.leadership, 'leader');
        second!.should.be.above(first!);
        await roleBecomes(a.leadership, 'unavailable');
      } finally {
        watch.stop();
      }
    });

    it('gives the lease up on stop, so the next one to ask leads without waiting for it to run out', async () => {
      const a = await instance('a', 60_000);
      const b = await instance('b', 60_000);
      a.leadership.start();
      await roleBecomes(a.leadership, 'leader');
      b.leadership.start();
      await roleBecomes(b.leadership, 'standby');
      await a.leadership.stop();
      // b would notice at its next ask, 20 s away with a 60 s lease; a newcomer asks now.
      const fresh = new Leadership(b.state, 'events-in:n1', 'c', { ttlMs: 60_000 });
      leaderships.push(fresh);
      fresh.start();
      await roleBecomes(fresh, 'leader');
    });

    it('steps down when Redis is gone past the lease, and one instance leads again when it is back', async () => {
      const a = await instance('a', 500);
      const b = await instance('b', 500);
      const watch = watchSingleLeader([a.leadership, b.leadership]);
      try {
        a.leadership.start();
        b.leadership.start();
        await Promise.race([roleBecomes(a.leadership, 'leader'), roleBecomes(b.leadership, 'leader')]);
        const leader = a.leadership.role === 'leader' ? a.leadership : b.leadership;
        const follower = leader === a.leadership ? b.leadership : a.leadership;
        await server.stop();
        await Promise.all([roleBecomes(leader, 'unavailable'), roleBecomes(follower, 'unavailable')]);
        should(leader.fence).be.undefined();
        await server.resume();
        await Promise.race([roleBecomes(a.leadership, 'leader'), roleBecomes(b.leadership, 'leader')]);
        const roles = [a.leadership.role, b.leadership.role];
        roles.filter((role) => role === 'leader').should.have.length(1);
      } finally {
        watch.stop();
      }
    });
  });
});
