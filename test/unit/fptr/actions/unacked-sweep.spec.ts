import should = require('should');
import type { DeliveryRecord } from '../../../../lib/fptr/client/api';
import {
  eventsOf,
  keysOf,
  RedeliveryLedger,
  sweepUnacknowledged,
  UnackedSweepError,
  type UnackedSweepOptions,
} from '../../../../lib/fptr/actions/unacked-sweep';
import { FptrSimulator } from '../../../../sim';
import { Consumer, deliveriesOf, SimHarness } from '../../../support/sim';
import type { FptrClient } from '../../../../lib/fptr/client/client';
import { demoClient } from '../../../support/client-sim';

const { taskIds } = FptrSimulator.DEMO;
const LIST = 'GET /api/v1/webhook/hooks/{id}/deliveries';
const REDELIVER = 'POST /api/v1/webhook/deliveries/{id}/redeliver';
const TASKS = Object.values(taskIds).slice(0, 6);

describe('unacknowledged sweep against the simulator', function () {
  const harness = new SimHarness();
  const consumer = new Consumer();
  let api: FptrClient;
  let hookId: string;
  let ledger: RedeliveryLedger;

  before(() => consumer.listen());
  after(() => consumer.close());
  beforeEach(async function () {
    await harness.start({ webhookBatchWindowMs: 5 });
    api = demoClient(harness.url);
    ledger = new RedeliveryLedger();
    consumer.received = [];
    consumer.answer = () => ({ status: 200, body: '{"ok":true}' });
  });
  afterEach(async function () {
    await api.close();
    await harness.stop();
  });

  const options = (overrides: Partial<UnackedSweepOptions> = {}): UnackedSweepOptions => ({
    graceSeconds: 0,
    lookbackSeconds: 3600,
    now: Date.now(),
    concurrency: 4,
    maxAttempts: 3,
    ledger,
    filter: 'server',
    ...overrides,
  });

  /** One delivery per update (un-batched), all answered 200. */
  async function deliver(batched = false): Promise<DeliveryRecord[]> {
    hookId = harness.sim.createWebhook({
      url: consumer.url,
      entity_types: { Task: { update: ['content'] } },
      batch_deliveries: batched,
      token: 's',
    }).id;
    for (const id of TASKS) {
      harness.sim.update('Task', id, { content: `changed ${id}` });
      if (!batched) await harness.sim.whenDeliveriesSettled();
    }
    await harness.sim.whenDeliveriesSettled();
    return harness.sim.deliveries(hookId);
  }

  const ack = (id: string): Promise<unknown> =>
    harness.call('PUT', `/api/v1/webhook/deliveries/${id}`, { body: { acknowledgement: 'done' } });

  it('redelivers the delivered, unacknowledged deliveries and nothing else', async function () {
    const records = await deliver();
    records.should.have.length(TASKS.length);
    await ack(records[0].id);
    await ack(records[1].id);
    await harness.sim.testConnection(hookId);
    await harness.sim.whenDeliveriesSettled();
    consumer.received = [];

    const summary = await sweepUnacknowledged(api, hookId, options());
    await harness.sim.whenDeliveriesSettled();
    summary.should.containDeep({ hookId, found: 4, redelivered: 4, failed: [], gaveUp: [] });
    should(summary.filterCheck).be.undefined();
    consumer.received
      .map((d) => d.headers['x-sg-delivery-id'])
      .sort()
      .should.eql(
        records
          .slice(2)
          .map((r) => r.id)
          .sort(),
      );
    (harness.sim.stats.byRoute[LIST] ?? 0).should.equal(1);
    // The simulator filtered out the two acknowledged records: the filter was sent.
  });

  it('leaves deliveries younger than the grace period and older than the look-back alone', async function () {
    await deliver();
    (await sweepUnacknowledged(api, hookId, options({ graceSeconds: 600 }))).found.should.equal(0);
    (
      await sweepUnacknowledged(api, hookId, options({ now: Date.now() + 7200_000, lookbackSeconds: 3600 }))
    ).found.should.equal(0);
  });

  it('leaves failed deliveries to the failed-delivery sweep', async function () {
    consumer.answer = () => ({ status: 500 });
    await deliver();
    const summary = await sweepUnacknowledged(api, hookId, options());
    summary.found.should.equal(0);
  });

  it('gives up on a delivery after the most redeliveries allowed', async function () {
    await deliver();
    for (let round = 0; round < 2; round++) {
      (await sweepUnacknowledged(api, hookId, options({ maxAttempts: 2 }))).redelivered.should.equal(TASKS.length);
      await harness.sim.whenDeliveriesSettled();
    }
    const last = await sweepUnacknowledged(api, hookId, options({ maxAttempts: 2 }));
    last.should.containDeep({ found: TASKS.length, redelivered: 0 });
    last.gaveUp.should.have.length(TASKS.length);
  });

  it('hands over the duplicate keys of every event in a batched delivery before sending it again', async function () {
    const records = await deliver(true);
    const events = records.flatMap(eventsOf);
    events.should.have.length(TASKS.length);
    const forgotten: string[] = [];
    await sweepUnacknowledged(api, hookId, options({ beforeRedeliver: async (keys) => void forgotten.push(...keys) }));
    // The key the webhook node remembers for each: its event key.
    forgotten.should.eql(events.map((event) => `event:${event.event_log_entry_id}|content`));
    keysOf(records[0]).length.should.equal(eventsOf(records[0]).length);
    await harness.sim.whenDeliveriesSettled();
    consumer.received.flatMap(deliveriesOf).length.should.equal(2 * TASKS.length);
  });

  it('does not send a delivery again while its keys cannot be given back; the next sweep does', async function () {
    const records = await deliver(true);
    const refused = await sweepUnacknowledged(
      api,
      hookId,
      options({
        beforeRedeliver: () => Promise.reject(new Error('shared state unavailable: test outage')),
      }),
    );
    refused.should.containDeep({ found: records.length, redelivered: 0 });
    refused.failed.map((f) => f.error).should.eql(records.map(() => 'shared state unavailable: test outage'));
    await harness.sim.whenDeliveriesSettled();
    consumer.received.flatMap(deliveriesOf).length.should.equal(TASKS.length);

    const later = await sweepUnacknowledged(api, hookId, options({ beforeRedeliver: async () => undefined }));
    later.should.containDeep({ found: records.length, redelivered: records.length, failed: [] });
    await harness.sim.whenDeliveriesSettled();
    consumer.received.flatMap(deliveriesOf).length.should.equal(2 * TASKS.length);
  });

  it("verify mode: agrees with the simulator's acknowledgement filter", async function () {
    const records = await deliver();
    await ack(records[0].id);
    const summary = await sweepUnacknowledged(api, hookId, options({ filter: 'verify' }));
    summary.should.containDeep({ filterCheck: 'agrees', found: TASKS.length - 1 });
  });

  it('verify mode: reports a site that ignores the filter, and redelivers no acknowledged delivery', async function () {
    const records = await deliver();
    await ack(records[0].id);
    harness.sim.faults.add({
      method: 'GET',
      path: /\/deliveries$/,
      status: 200,
      times: 1,
      body: { data: harness.sim.deliveries(hookId), links: {} },
    });
    const summary = await sweepUnacknowledged(api, hookId, options({ filter: 'verify' }));
    summary.should.containDeep({ filterCheck: 'ignored', found: TASKS.length - 1, redelivered: TASKS.length - 1 });
  });

  it('server mode: notices acknowledged records in the answer and skips them', async function () {
    const records = await deliver();
    await ack(records[0].id);
    harness.sim.faults.add({
      method: 'GET',
      path: /\/deliveries$/,
      status: 200,
      times: 1,
      body: { data: harness.sim.deliveries(hookId), links: {} },
    });
    const summary = await sweepUnacknowledged(api, hookId, options({ filter: 'server' }));
    summary.should.containDeep({ filterCheck: 'ignored', found: TASKS.length - 1 });
  });

  it('verify mode: reports a site that reads the filter differently, and still redelivers what was lost', async function () {
    await deliver();
    harness.sim.faults.add({
      method: 'GET',
      path: /\/deliveries$/,
      status: 200,
      times: 1,
      body: { data: [], links: {} },
    });
    const summary = await sweepUnacknowledged(api, hookId, options({ filter: 'verify' }));
    summary.should.containDeep({ filterCheck: 'differs', found: TASKS.length, redelivered: TASKS.length });
  });

  it('local mode: one list of every delivered record, filtered here', async function () {
    const records = await deliver();
    await ack(records[0].id);
    harness.sim.faults.add({
      method: 'GET',
      path: /\/deliveries$/,
      status: 200,
      times: 1,
      body: { data: harness.sim.deliveries(hookId), links: {} },
    });
    const summary = await sweepUnacknowledged(api, hookId, options({ filter: 'local' }));
    summary.should.containDeep({ found: TASKS.length - 1, redelivered: TASKS.length - 1 });
    (harness.sim.stats.byRoute[LIST] ?? 0).should.equal(1);
    should(summary.filterCheck).be.undefined();
  });

  it('stops, naming what it expected, when deliveries come without an acknowledgement member', async function () {
    await deliver();
    const rows = harness.sim.deliveries(hookId).map(({ acknowledgement: _dropped, ...rest }) => rest);
    harness.sim.faults.add({
      method: 'GET',
      path: /\/deliveries$/,
      status: 200,
      times: 1,
      body: { data: rows, links: {} },
    });
    const err = await sweepUnacknowledged(api, hookId, options()).then(
      () => undefined,
      (e: unknown) => e,
    );
    should(err).be.instanceOf(UnackedSweepError);
    (err as Error).message.should.match(
      /without an "acknowledgement" member.*expected null or the acknowledgement text.*nothing was redelivered/,
    );
    should(harness.sim.stats.byRoute[REDELIVER]).be.undefined();
  });

  it('reports a redelivery FPTR refused and carries on with the rest', async function () {
    await deliver();
    harness.sim.faults.add({ method: 'POST', path: /\/redeliver$/, status: 404, times: 1 });
    const summary = await sweepUnacknowledged(api, hookId, options({ concurrency: 1 }));
    summary.redelivered.should.equal(TASKS.length - 1);
    summary.failed.should.have.length(1);
    summary.failed[0].error.should.match(/^FPTR 404/);
  });
});
