import crypto = require('node:crypto');
import { createClient } from '@redis/client';
import type { NodeMessage } from 'node-red';
import { FptrSimulator } from '../../../sim';
import { watcherFor } from '../../../lib/fptr/webhook/hook-watcher';
import type { StatusMessage } from '../../../lib/node-red/hook-health';
import type { FptrSite } from '../../../lib/node-red/site';
import type { Health, SharedState } from '../../../lib/state/shared-state';
import { helper } from '../../support/runtime';
import { redisForSuite } from '../../support/redis-server';
import siteNode = require('../../../nodes/fptr-site');
import webhookNode = require('../../../nodes/fptr-webhook-in');

const { scriptName, scriptKey } = FptrSimulator.DEMO;
const LIST = 'GET /api/v1/webhook/hooks';

/**
 * The hook watcher on several instances: two fptr-site nodes with the same FPTR URL stand for two
 * Node-RED instances (each site has its own client, so its own watcher), each with a webhook node
 * watching the same hook. With the sites on one Redis, a round runs on one of them per period; on
 * their own, each runs it. (At deploy, while Redis is still connecting, the gate is open: each
 * instance reads the status once.) The watch interval is an hour, so the checked rounds fall in
 * one period slot (a test run across a full hour could see a second one).
 */
describe('fptr-webhook-in: watching its FPTR webhook from several instances', function () {
  this.timeout(30_000);
  const redis = redisForSuite();
  let sim: FptrSimulator;
  let hookId: string;
  let statuses: Array<{ node: string; payload: StatusMessage['payload'] }>;
  beforeEach(async function () {
    sim = new FptrSimulator();
    await sim.listen();
    hookId = sim.createWebhook({ url: 'http://127.0.0.1:9/hook', entity_types: { Task: { update: [] } } }).id;
    statuses = [];
  });
  afterEach(async () => {
    await helper.unload();
    await sim.close();
  });

  const healthBecomes = (state: SharedState, health: Health): Promise<void> =>
    state.health === health
      ? Promise.resolve()
      : new Promise((resolve) => {
          const listener = (next: Health): void => {
            if (next !== health) return;
            state.off('health', listener);
            resolve();
          };
          state.on('health', listener);
        });

  let prefix: string;

  /** Two "instances" watching `hookId`; `shared` puts both sites on the same Redis and prefix. */
  async function start(shared: boolean): Promise<void> {
    prefix = `hw${crypto.randomBytes(4).toString('hex')}:`;
    const redisSettings = shared ? { redisUrl: redis().url, redisPrefix: prefix } : {};
    const flow: Array<{ id: string; type: string; [key: string]: unknown }> = [{ id: 'tab', type: 'tab' }];
    for (const name of ['a', 'b']) {
      flow.push(
        { id: `site-${name}`, type: 'fptr-site', url: sim.url, authType: 'script', timeout: 5, ...redisSettings },
        {
          id: `w-${name}`,
          type: 'fptr-webhook-in',
          z: 'tab',
          url: `/hook-${name}`,
          site: `site-${name}`,
          hookId,
          watchInterval: 3600,
          statusOutput: true,
          wires: [[], [`statuses-${name}`]],
        },
        { id: `statuses-${name}`, type: 'helper', z: 'tab' },
      );
    }
    const credentials = { scriptName, scriptKey };
    await helper.load([siteNode, webhookNode], flow, { 'site-a': credentials, 'site-b': credentials });
    for (const name of ['a', 'b']) {
      helper
        .getNode(`statuses-${name}`)
        .on('input', ((msg: NodeMessage) =>
          statuses.push({ node: name, payload: (msg as unknown as StatusMessage).payload })) as never);
    }
    if (shared) {
      for (const name of ['a', 'b'])
        await healthBecomes((helper.getNode(`site-${name}`) as unknown as FptrSite).state, 'up');
    }
  }

  /**
   * Lets the rounds the deploy started end and forgets which instance won this period (whether a
   * deploy round ran before Redis was up depends on the machine), then has both watchers check
   * twice: hook lists made in those four rounds.
   */
  async function checkBoth(): Promise<number> {
    const watchers = ['a', 'b'].map((name) =>
      watcherFor((helper.getNode(`site-${name}`) as unknown as FptrSite).client),
    );
    await Promise.all(watchers.map((w) => w.checkNow()));
    const client = createClient({ url: redis().url });
    await client.connect();
    try {
      const won = await client.keys(`${prefix}claim:period:*`);
      if (won.length > 0) await client.del(won);
    } finally {
      await client.close();
    }
    const before = sim.stats.byRoute[LIST] ?? 0;
    await Promise.all(watchers.map((w) => w.checkNow()));
    await Promise.all(watchers.map((w) => w.checkNow()));
    return (sim.stats.byRoute[LIST] ?? 0) - before;
  }

  it('lists the hooks once per period across instances when the sites share Redis', async function () {
    await start(true);
    (await checkBoth()).should.equal(1);
    statuses.should.not.be.empty();
    statuses[0]!.payload.should.containDeep({ hookId, status: 'active' });
  });

  it('lists the hooks on each instance when the sites do not share state', async function () {
    await start(false);
    (await checkBoth()).should.equal(4);
    statuses
      .map((s) => s.node)
      .sort()
      .should.eql(['a', 'b']);
  });
});
