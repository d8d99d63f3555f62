import crypto = require('node:crypto');
import should = require('should');
import type { NodeMessage } from 'node-red';
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { freePort } from '../../support/loopback';
import { FptrSimulator } from '../../../sim';
import { redisForSuite } from '../../support/redis-server';
import { send, type RawResponse } from '../../support/webhook-client';
import { batchBody, sgHeaders, taskChange } from '../../support/webhook-fixtures';
import { signBody } from '../../../lib/fptr/webhook/signature';
import { eventKey } from '../../../lib/fptr/webhook/event-key';
import type { Delivery } from '../../../lib/fptr/contract';
import type { FptrSite } from '../../../lib/node-red/site';
import { RedisState } from '../../../lib/state/redis-state';
import type { Health, SharedState } from '../../../lib/state/shared-state';
import webhookNode = require('../../../nodes/fptr-webhook-in');
import redeliverNode = require('../../../nodes/fptr-redeliver');
import siteNode = require('../../../nodes/fptr-site');

const SECRET = 'shared-dedup-secret';
const PATH = '/fptr/shared';

type Msg = NodeMessage & { payload: Delivery };

/** The key instances claim for a delivery: its event key (which the event log's backstop shares), under the node's prefix. */
const claimKey = (delivery: Delivery): string => `webhook:w1:${eventKey(delivery)!}`;
type StatusSpy = { status: { args: Array<[{ fill?: string; shape?: string; text?: string }]> } };

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

/**
 * fptr-webhook-in with an fptr-site on a real redis-server, in the test helper: the other
 * instance is played by a second client on the same server and prefix (the two-process run is
 * in instances.spec.ts).
 */
describe('fptr-webhook-in with shared state (Redis)', function () {
  this.timeout(30_000);
  const server = new HttpNodeServer();
  const wrapped = server.wrap(webhookNode);
  const redis = redisForSuite();
  let base = '';
  let prefix = '';
  let received: Msg[] = [];
  let other: RedisState | undefined;

  afterEach(async () => {
    await helper.unload();
    await server.close();
    await other?.close();
    other = undefined;
  });

  /** Deploys site + webhook (+ the helper node) and waits until the site's shared state is up. */
  async function start(webhook: Record<string, unknown> = {}): Promise<SharedState> {
    prefix = `wh${crypto.randomBytes(4).toString('hex')}:`;
    const flow = [
      { id: 'tab', type: 'tab', label: 'shared' },
      {
        id: 'site',
        type: 'fptr-site',
        url: 'http://127.0.0.1:9',
        authType: 'script',
        redisUrl: redis().url,
        redisPrefix: prefix,
      },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        z: 'tab',
        url: PATH,
        site: 'site',
        split: true,
        dedupWindow: 600,
        wires: [['out']],
        ...webhook,
      },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await helper.load([siteNode, wrapped], flow, { site: { scriptName: 'x', scriptKey: 'y' }, w1: { secret: SECRET } });
    base = await server.listen();
    received = [];
    helper.getNode('out').on('input', ((msg: Msg) => received.push(msg)) as never);
    const state = (helper.getNode('site') as unknown as FptrSite).state;
    await healthBecomes(state, 'up');
    return state;
  }

  /** The other instance: a client of its own on the same server and prefix. */
  async function otherInstance(): Promise<RedisState> {
    other = new RedisState({ url: redis().url, prefix, instanceId: 'other', commandTimeoutMs: 500 });
    await healthBecomes(other, 'up');
    return other;
  }

  function post(deliveries: Delivery[]): Promise<RawResponse> {
    const body = batchBody(deliveries);
    return send(base + PATH, { body, headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) } });
  }

  async function until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** Waits for `count` messages, then a little longer to catch extras. */
  async function receivedCount(count: number): Promise<void> {
    await until(() => received.length >= count);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const badges = (): Array<{ fill?: string; shape?: string; text?: string }> =>
    (helper.getNode('w1') as unknown as StatusSpy).status.args.map(([badge]) => badge);

  it('drops a delivery another instance claimed, and sends the others on in order', async () => {
    await start();
    const peer = await otherInstance();
    const deliveries = [taskChange(1), taskChange(2), taskChange(3)];
    (await peer.claim([claimKey(deliveries[1])], 60_000)).should.eql([true]);
    (await post(deliveries)).status.should.equal(200);
    await receivedCount(2);
    received.map((m) => m.payload.delivery_id).should.eql([deliveries[0].delivery_id, deliveries[2].delivery_id]);
    // Batch positions stay those of the request.
    received.map((m) => (m as unknown as { fptr: { batch: { index: number } } }).fptr.batch.index).should.eql([0, 2]);
  });

  it('claims what it sends on, so the other instance drops the redelivery', async () => {
    await start();
    const deliveries = [taskChange(1), taskChange(2)];
    (await post(deliveries)).status.should.equal(200);
    await receivedCount(2);
    const peer = await otherInstance();
    (await peer.claim(deliveries.map(claimKey), 60_000)).should.eql([false, false]);
  });

  it('sends on a redelivery it saw itself once a sweep on another instance gave it back, and drops a second copy', async () => {
    await start();
    const peer = await otherInstance();
    const delivery = taskChange(1);
    (await post([delivery])).status.should.equal(200);
    await receivedCount(1);
    // What the other instance's unacknowledged sweep does just before asking FPTR to send it again.
    await peer.unclaim([claimKey(delivery)], 60_000);
    (await post([delivery])).status.should.equal(200);
    (await post([delivery])).status.should.equal(200);
    // Messages leave in arrival order: once the next delivery is out, both copies were decided.
    const next = taskChange(2);
    (await post([next])).status.should.equal(200);
    await receivedCount(3);
    received
      .map((m) => m.payload.delivery_id)
      .should.eql([delivery.delivery_id, delivery.delivery_id, next.delivery_id]);
  });

  it('still drops a repeat it saw itself after Redis lost its claims (restarted empty)', async () => {
    const state = await start();
    const delivery = taskChange(1);
    (await post([delivery])).status.should.equal(200);
    await receivedCount(1);
    await redis().stop();
    await healthBecomes(state, 'degraded');
    await redis().resume();
    await healthBecomes(state, 'up');
    (await post([delivery])).status.should.equal(200);
    const next = taskChange(2);
    (await post([next])).status.should.equal(200);
    await receivedCount(2);
    received.map((m) => m.payload.delivery_id).should.eql([delivery.delivery_id, next.delivery_id]);
    // And it holds the claim again, so another instance drops the repeat too.
    const peer = await otherInstance();
    (await peer.claim([claimKey(delivery)], 60_000)).should.eql([false]);
  });

  it('sends everything on when dedup is off, claiming nothing', async () => {
    await start({ dedupWindow: 0 });
    const peer = await otherInstance();
    const delivery = taskChange(1);
    await peer.claim([claimKey(delivery)], 60_000);
    (await post([delivery])).status.should.equal(200);
    await receivedCount(1);
    received.should.have.length(1);
  });

  it('answers 200 with Redis down, dedups locally with a warning badge, and recovers by itself', async () => {
    const state = await start();
    await redis().stop();
    await healthBecomes(state, 'degraded');
    const during = [taskChange(1), taskChange(2)];
    (await post(during)).status.should.equal(200);
    (await post(during)).status.should.equal(200); // the local window still catches this one
    await receivedCount(2);
    received.should.have.length(2);
    await until(() => badges().some((b) => b.fill === 'yellow' && b.shape === 'ring'));
    badges()
      .some((b) => b.fill === 'yellow' && b.shape === 'ring')
      .should.be.true();
    await redis().resume();
    await healthBecomes(state, 'up');
    const after = [taskChange(3)];
    (await post(after)).status.should.equal(200);
    await receivedCount(3);
    await until(() => badges().at(-1)?.fill === 'green');
    should(badges().at(-1)).containEql({ fill: 'green', shape: 'dot' });
    // What went on during the outage was claimed once Redis came back: another instance drops it.
    // (The catch-up claim went out on 'up', before the claim of `after`, on the same connection.)
    const peer = await otherInstance();
    const again = await peer.claim([...during, ...after].map(claimKey), 60_000);
    again.should.eql([false, false, false]);
  });
  describe('with the unacknowledged sweep of fptr-redeliver', function () {
    let sim: FptrSimulator | undefined;

    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });

    it('sends on the events a sweep asks FPTR to send again, though Redis holds their claims', async () => {
      sim = new FptrSimulator();
      await sim.listen(0, '127.0.0.1');
      const port = await freePort();
      const hook = sim.createWebhook({
        url: `http://127.0.0.1:${port}${PATH}`,
        token: SECRET,
        entity_types: { Task: { update: ['sg_status_list'] } },
      });
      prefix = `wh${crypto.randomBytes(4).toString('hex')}:`;
      const { scriptName, scriptKey, taskIds } = FptrSimulator.DEMO;
      const flow = [
        { id: 'tab', type: 'tab', label: 'sweep' },
        { id: 'site', type: 'fptr-site', url: sim.url, authType: 'script', redisUrl: redis().url, redisPrefix: prefix },
        // Nothing acknowledges: the flow "lost" what it received.
        {
          id: 'w1',
          type: 'fptr-webhook-in',
          z: 'tab',
          url: PATH,
          site: 'site',
          hookId: hook.id,
          split: true,
          dedupWindow: 600,
          wires: [['out']],
        },
        { id: 'out', type: 'helper', z: 'tab' },
        {
          id: 'rd',
          type: 'fptr-redeliver',
          z: 'tab',
          site: 'site',
          mode: 'sweep',
          hookId: hook.id,
          hookIdType: 'str',
          windowValue: 60,
          windowUnit: 'minutes',
          unacked: true,
          unackedGrace: 1,
          wires: [['summary']],
        },
        { id: 'summary', type: 'helper', z: 'tab' },
      ];
      await helper.load([siteNode, wrapped, redeliverNode], flow, {
        site: { scriptName, scriptKey },
        w1: { secret: SECRET },
      });
      base = await server.listen(port);
      received = [];
      helper.getNode('out').on('input', ((msg: Msg) => received.push(msg)) as never);
      const summaries: Array<{ payload: { unacknowledged: { redelivered: number } } }> = [];
      helper.getNode('summary').on('input', ((msg: (typeof summaries)[number]) => summaries.push(msg)) as never);
      await healthBecomes((helper.getNode('site') as unknown as FptrSite).state, 'up');

      const task = Object.values(taskIds)[0]!;
      sim.update('Task', task, { sg_status_list: 'rev' });
      await sim.whenDeliveriesSettled();
      await receivedCount(1);
      const first = received[0].payload;

      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the sweep's grace
      helper.getNode('rd').receive({ payload: 'sweep' } as never);
      await until(() => summaries.length > 0);
      summaries[0].payload.unacknowledged.should.containEql({ redelivered: 1 });
      await sim.whenDeliveriesSettled();
      await receivedCount(2);
      received.map((m) => m.payload.delivery_id).should.eql([first.delivery_id, first.delivery_id]);
    });
  });
});
