import should = require('should');
import { helper } from '../support/runtime';
import redeliverNode = require('../../nodes/fptr-redeliver');
import {
  ActionFlow,
  QUICK_GIVE_UP,
  Consumer,
  DEMO,
  nextSecond,
  nowSeconds,
  type Msg,
  type SpiedNode,
} from '../support/action-flow';
import type { SweepSummary } from '../../lib/fptr/actions/redeliver-sweep';
import crypto = require('node:crypto');
import type { FptrSite } from '../../lib/node-red/site';
import { periodGate } from '../../lib/state/period-gate';
import { RedisState } from '../../lib/state/redis-state';
import type { Health, SharedState } from '../../lib/state/shared-state';
import { redisForSuite } from '../support/redis-server';

const LIST = 'GET /api/v1/webhook/hooks/{id}/deliveries';
const REDELIVER = 'POST /api/v1/webhook/deliveries/{id}/redeliver';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

describe('fptr-redeliver node', function () {
  const flow = new ActionFlow();
  const consumer = new Consumer();
  let hookId: string;
  const taskId = (): number => DEMO.taskIds['sh020/Layout']!;

  /** Makes `n` real deliveries (one event each) answered with `status` by the consumer; returns their ids. */
  async function deliveries(n: number, status: number): Promise<string[]> {
    consumer.answer = status;
    const before = flow.sim.deliveries(hookId).length;
    for (let i = 0; i < n; i++) {
      flow.sim.update('Task', taskId(), {
        sg_status_list: flow.sim.get('Task', taskId())!.sg_status_list === 'ip' ? 'rev' : 'ip',
      });
    }
    await flow.sim.whenDeliveriesSettled();
    const made = flow.sim.deliveries(hookId).slice(before);
    made.should.have.length(n);
    made.every((d) => d.status === (status < 400 ? 'delivered' : 'failed')).should.be.true();
    consumer.answer = 200;
    return made.map((d) => d.id);
  }
  const statusOf = (id: string): string | undefined => flow.sim.deliveries(hookId).find((d) => d.id === id)?.status;

  before(async function () {
    await flow.start();
    await consumer.listen();
  });
  after(async function () {
    await consumer.close();
    await flow.stop();
  });
  beforeEach(function () {
    // A fresh hook per test, so each sees only its own deliveries.
    hookId = flow.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: ['sg_status_list'] } } }).id;
    consumer.hits.clear();
    flow.sim.resetStats();
  });
  afterEach(async function () {
    flow.sim.faults.clear();
    await helper.unload();
  });

  describe('one delivery', function () {
    it('redelivers msg.fptr.deliveryId and reports it', async function () {
      const [id] = await deliveries(1, 500);
      const node = await flow.load(redeliverNode, { type: 'fptr-redeliver' });
      const { out, caught } = await flow.send({
        payload: 'event',
        fptr: { source: 'webhook', deliveryId: id, webhookId: hookId },
      });
      should(caught).be.undefined();
      out[0]!.payload!.should.eql({ id, redelivered: true });
      out[0]!.fptr!.should.containEql({ deliveryId: id });
      await flow.sim.whenDeliveriesSettled();
      should(statusOf(id!)).equal('delivered');
      consumer.hits.get(id!)!.should.equal(2);
      node.status.calledWithMatch({ fill: 'green', text: 'fptr-redeliver.status.redelivered' }).should.be.true();
    });

    it('takes a delivery record in msg.payload when msg.fptr has no id', async function () {
      const [id] = await deliveries(1, 500);
      await flow.load(redeliverNode, { type: 'fptr-redeliver' });
      const { caught } = await flow.send({ payload: { id, status: 'failed' } });
      should(caught).be.undefined();
      await flow.sim.whenDeliveriesSettled();
      should(statusOf(id!)).equal('delivered');
    });

    it("sends an unknown delivery to Catch with FPTR's message", async function () {
      const node = await flow.load(redeliverNode, {
        type: 'fptr-redeliver',
        deliveryId: UNKNOWN_UUID,
        deliveryIdType: 'str',
      });
      const { out, caught } = await flow.send({ payload: 'p' });
      out.should.have.length(0);
      caught!.error.message.should.match(/FPTR 404 \(code 104\).*not found/);
      caught!.payload!.should.equal('p');
      node.status.calledWithMatch({ fill: 'red', shape: 'dot', text: 'fptr.status.failed-http' }).should.be.true();
    });

    it("fails at once on a permanent 400, with FPTR's title", async function () {
      const [id] = await deliveries(1, 500);
      flow.sim.faults.add({
        method: 'POST',
        path: '/api/v1/webhook/deliveries',
        status: 400,
        body: { errors: [{ status: 400, code: 103, title: 'Redelivery refused for this hook' }] },
      });
      await flow.load(redeliverNode, { type: 'fptr-redeliver' });
      const { caught } = await flow.send({ fptr: { deliveryId: id } });
      caught!.error.message.should.match(/FPTR 400 \(code 103\): Redelivery refused for this hook/);
      should(flow.sim.stats.byRoute[REDELIVER]).equal(1);
    });

    it('reads an inherited member of the message as missing, so no request is made', async function () {
      await flow.load(redeliverNode, {
        type: 'fptr-redeliver',
        deliveryId: 'payload.constructor.name',
        deliveryIdType: 'msg',
      });
      const { caught } = await flow.send({ payload: {} });
      caught!.error.message.should.match(/fptr-redeliver\.errors\.no-delivery-id/);
      should(flow.sim.stats.requests).equal(0);
    });

    it('fails without a request when there is no delivery id', async function () {
      await flow.load(redeliverNode, { type: 'fptr-redeliver' });
      const { caught } = await flow.send({ payload: { event_type: 'x' } });
      caught!.error.message.should.match(/fptr-redeliver\.errors\.no-delivery-id/);
      should(flow.sim.stats.requests).equal(0);
    });
  });

  describe('sweep', function () {
    it('redelivers exactly the failed deliveries in the window and reports counts', async function () {
      this.timeout(10000);
      const oldFailures = await deliveries(2, 500);
      await nextSecond();
      const from = nowSeconds();
      const [delivered] = await deliveries(1, 200);
      const failures = await deliveries(3, 500);

      const node = await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' });
      const { out, caught } = await flow.send({ payload: 'start', window: { from } });
      should(caught).be.undefined();
      const summary = out[0]!.payload as SweepSummary;
      summary.should.containEql({ hookId, found: 3, redelivered: 3, failed: [] });
      Date.parse(summary.window.from).should.equal(from * 1000);
      Date.parse(summary.window.to).should.be.aboveOrEqual(from * 1000);
      await flow.sim.whenDeliveriesSettled();
      for (const id of failures) {
        should(statusOf(id)).equal('delivered');
        consumer.hits.get(id)!.should.equal(2);
      }
      for (const id of oldFailures) {
        should(statusOf(id)).equal('failed');
        consumer.hits.get(id)!.should.equal(1);
      }
      consumer.hits.get(delivered!)!.should.equal(1);
      should(flow.sim.stats.byRoute[REDELIVER]).equal(3);
      node.status.calledWithMatch({ fill: 'green', text: 'fptr-redeliver.status.swept' }).should.be.true();
    });

    it('sweeps the last N minutes by default, with the hook id from msg.fptr', async function () {
      const failures = await deliveries(2, 500);
      await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', windowValue: 5, windowUnit: 'minutes' });
      const { out } = await flow.send({ fptr: { source: 'webhook', webhookId: hookId } });
      const summary = out[0]!.payload as SweepSummary;
      summary.should.containEql({ found: 2, redelivered: 2 });
      (Date.parse(summary.window.to) - Date.parse(summary.window.from)).should.equal(5 * 60 * 1000);
      await flow.sim.whenDeliveriesSettled();
      for (const id of failures) should(statusOf(id)).equal('delivered');
    });

    it('keeps to the concurrency bound', async function () {
      await deliveries(6, 500);
      flow.sim.faults.add({ method: 'POST', path: '/api/v1/webhook/deliveries', latencyMs: 80 });
      await flow.load(redeliverNode, {
        type: 'fptr-redeliver',
        mode: 'sweep',
        hookId,
        hookIdType: 'str',
        concurrency: 2,
      });
      const { out } = await flow.send({});
      (out[0]!.payload as SweepSummary).redelivered.should.equal(6);
      flow.sim.stats.maxInFlight.should.equal(2);
    });

    it('reports partial failures in the summary with a warning, and passes the message on', async function () {
      const [bad, ...good] = await deliveries(3, 500);
      flow.sim.faults.add({
        method: 'POST',
        path: `/api/v1/webhook/deliveries/${bad}/redeliver`,
        status: 404,
        body: { errors: [{ status: 404, code: 104, title: `delivery: ${bad} not found` }] },
      });
      const node = await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' });
      const { out, caught } = await flow.send({});
      should(caught).be.undefined();
      const summary = out[0]!.payload as SweepSummary;
      summary.should.containEql({ found: 3, redelivered: 2 });
      summary.failed.should.eql([{ id: bad, error: `FPTR 404 (code 104): delivery: ${bad} not found` }]);
      node.warn.calledWithMatch('fptr-redeliver.warnings.partial').should.be.true();
      node.status.calledWithMatch({ fill: 'yellow', text: 'fptr-redeliver.status.swept-partial' }).should.be.true();
      await flow.sim.whenDeliveriesSettled();
      for (const id of good) should(statusOf(id)).equal('delivered');
      should(statusOf(bad!)).equal('failed');
    });

    it('sends the message to Catch when every redelivery failed', async function () {
      await deliveries(2, 500);
      flow.sim.faults.add({
        method: 'POST',
        path: '/api/v1/webhook/deliveries',
        status: 400,
        body: { errors: [{ status: 400, code: 103, title: 'Webhook is disabled' }] },
      });
      await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' });
      const { out, caught } = await flow.send({ payload: 'p' });
      out.should.have.length(0);
      caught!.error.message.should.match(/fptr-redeliver\.errors\.all-failed/);
      should(flow.sim.stats.byRoute[REDELIVER]).equal(2);
      caught!.payload!.should.equal('p');
    });

    it('finds nothing quietly', async function () {
      await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' });
      const { out } = await flow.send({});
      (out[0]!.payload as SweepSummary).should.containEql({ found: 0, redelivered: 0, failed: [] });
      should(flow.sim.stats.byRoute[REDELIVER]).be.undefined();
    });

    const bad: Array<[string, Record<string, unknown>, Msg, RegExp, boolean]> = [
      ['an unknown webhook (FPTR 404)', { hookId: UNKNOWN_UUID, hookIdType: 'str' }, {}, /FPTR 404/, false],
      ['no webhook id', {}, { fptr: {} }, /fptr-redeliver\.errors\.no-hook-id/, true],
      [
        'an unreadable window',
        { hookId: UNKNOWN_UUID, hookIdType: 'str' },
        { window: { from: 'last tuesday' } },
        /msg\.window\.from must be a time/,
        true,
      ],
      [
        'a window that ends before it starts',
        { hookId: UNKNOWN_UUID, hookIdType: 'str' },
        { window: { from: 2000000000, to: 1000000000 } },
        /after/,
        true,
      ],
    ];
    for (const [label, settings, msg, error, local] of bad) {
      it(`sends the message to Catch on ${label}${local ? ', before any request' : ''}`, async function () {
        await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', ...settings });
        const { out, caught } = await flow.send({ ...msg, marker: 1 });
        out.should.have.length(0);
        caught!.error.message.should.match(error);
        caught!.marker!.should.equal(1);
        if (local) should(flow.sim.stats.requests).equal(0);
      });
    }

    it('refuses a zero concurrency setting', async function () {
      const node = await flow.load(redeliverNode, {
        type: 'fptr-redeliver',
        mode: 'sweep',
        hookId,
        hookIdType: 'str',
        concurrency: 0,
      });
      node.status
        .calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr-redeliver.status.bad-config' })
        .should.be.true();
      (await flow.send({})).caught!.error.message.should.match(/bad-config/);
    });

    it('shows "no site" and fails every message', async function () {
      const node = await flow.load(
        redeliverNode,
        { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' },
        { noSite: true },
      );
      node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.no-site' }).should.be.true();
      (await flow.send({})).caught!.error.message.should.match(/no-site/);
    });
  });

  describe('sweep with the site on Redis (several instances)', function () {
    this.timeout(30_000);
    const redis = redisForSuite();
    let prefix = '';
    let other: RedisState | undefined;

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
    beforeEach(() => {
      prefix = `sw${crypto.randomBytes(4).toString('hex')}:`;
    });
    afterEach(async () => {
      await other?.close();
      other = undefined;
    });

    async function load(config: Record<string, unknown> = { hookId, hookIdType: 'str' }): Promise<SpiedNode> {
      const node = await flow.load(
        redeliverNode,
        { type: 'fptr-redeliver', mode: 'sweep', windowValue: 60, windowUnit: 'minutes', ...config },
        { site: { redisUrl: redis().url, redisPrefix: prefix } },
      );
      await healthBecomes((helper.getNode('site') as unknown as FptrSite).state, 'up');
      return node;
    }

    it('sweeps a webhook once per half window: a second trigger within it sends nothing on', async function () {
      const failures = await deliveries(2, 500);
      const node = await load();
      const first = await flow.send({ payload: 'tick' });
      (first.out[0]!.payload as SweepSummary).should.containEql({ found: 2, redelivered: 2 });
      const second = await flow.send({ payload: 'tick' });
      should(second.caught).be.undefined();
      second.out.should.have.length(0);
      should(flow.sim.stats.byRoute[LIST]).equal(1);
      node.status.calledWithMatch({ fill: 'grey', text: 'fptr-redeliver.status.swept-elsewhere' }).should.be.true();
      await flow.sim.whenDeliveriesSettled();
      for (const id of failures) consumer.hits.get(id)!.should.equal(2);
    });

    it("leaves a webhook's sweep to the instance that claimed this period, and sweeps the others", async function () {
      await deliveries(1, 500);
      await load({}); // webhook id from msg.fptr.webhookId
      other = new RedisState({ url: redis().url, prefix, instanceId: 'other' });
      await healthBecomes(other, 'up');
      (await periodGate(other)(`sweep:n1:${hookId}`, 30 * 60_000)).should.be.true();
      (await flow.send({ fptr: { source: 'webhook', webhookId: hookId } })).out.should.have.length(0);
      should(flow.sim.stats.byRoute[LIST]).be.undefined();
      const another = flow.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: [] } } }).id;
      const { out } = await flow.send({ fptr: { source: 'webhook', webhookId: another } });
      (out[0]!.payload as SweepSummary).should.containEql({ hookId: another });
      should(flow.sim.stats.byRoute[LIST]).equal(1);
    });

    it('always sweeps a window given in msg.window', async function () {
      await deliveries(1, 500);
      await load();
      const from = nowSeconds() - 600;
      (await flow.send({ window: { from } })).out.should.have.length(1);
      (await flow.send({ window: { from } })).out.should.have.length(1);
      should(flow.sim.stats.byRoute[LIST]).equal(2);
    });

    it('sweeps on every instance while Redis is down (a repeat redelivery is dropped as a duplicate)', async function () {
      await deliveries(1, 500);
      await load();
      await redis().stop();
      await healthBecomes((helper.getNode('site') as unknown as FptrSite).state, 'degraded');
      (await flow.send({})).out.should.have.length(1);
      (await flow.send({})).out.should.have.length(1);
      should(flow.sim.stats.byRoute[LIST]).equal(2);
    });
  });

  describe('faults', function () {
    it('retries 429 and 503 while listing and redelivering, then succeeds', async function () {
      const failures = await deliveries(2, 500);
      flow.sim.faults.add({ method: 'GET', path: '/api/v1/webhook/hooks', status: 503, times: 2 });
      flow.sim.faults.add({ method: 'POST', path: '/api/v1/webhook/deliveries', status: 429, retryAfter: 1, times: 1 });
      await flow.load(redeliverNode, { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' });
      const { out, caught } = await flow.send({});
      should(caught).be.undefined();
      (out[0]!.payload as SweepSummary).should.containEql({ found: 2, redelivered: 2, failed: [] });
      should(flow.sim.stats.byRoute[LIST]).equal(3);
      await flow.sim.whenDeliveriesSettled();
      for (const id of failures) should(statusOf(id)).equal('delivered');
    });

    it('fails cleanly during a 40 s outage', async function () {
      flow.sim.faults.add({ path: '/api/v1/webhook', drop: true, untilMs: 40_000 });
      await flow.load(
        redeliverNode,
        { type: 'fptr-redeliver', mode: 'sweep', hookId, hookIdType: 'str' },
        { site: QUICK_GIVE_UP },
      );
      const { caught } = await flow.send({});
      caught!.error.message.should.match(/Could not reach FPTR.*gave up after 2 attempts/);
    });
  });
});
