import should = require('should');
import type { NodeMessage } from 'node-red';
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { FptrSimulator } from '../../../sim';
import type { Delivery } from '../../../lib/fptr/contract';
import type { WebhookMessage } from '../../../lib/fptr/webhook/receiver';
import webhookNode = require('../../../nodes/fptr-webhook-in');

const SECRET = 'sim-hook-secret';
type Msg = NodeMessage & WebhookMessage;

/** End to end: the simulator signs and sends real deliveries to the node over loopback. */
describe('fptr-webhook-in with the FPTR simulator', function () {
  const server = new HttpNodeServer();
  let sim: FptrSimulator;
  let hookUrl = '';
  let received: Msg[] = [];

  beforeEach(async function () {
    const flow = [
      { id: 'tab', type: 'tab' },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        z: 'tab',
        url: '/fptr/hook',
        split: true,
        dedupWindow: 600,
        wires: [['out']],
      },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await helper.load([server.wrap(webhookNode)], flow, { w1: { secret: SECRET } });
    hookUrl = (await server.listen()) + '/fptr/hook';
    received = [];
    helper.getNode('out').on('input', ((msg: Msg) => received.push(msg)) as never);
    sim = new FptrSimulator({ webhookBatchWindowMs: 50 });
    await sim.listen();
  });

  afterEach(async function () {
    await sim.close();
    await helper.unload();
    await server.close();
  });

  // Long enough for a message to have left: the node holds messages until 20 ms without a request.
  const settle = (ms = 150): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  /** Waits until `count` messages arrived (at most 5 s), then a little longer to catch extras. */
  async function receivedCount(count: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (received.length < count && Date.now() < deadline) await settle(10);
    await settle();
  }

  it('receives a signed, batched change and the simulator records 200', async function () {
    const hook = sim.createWebhook({
      url: hookUrl,
      token: SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: ['sg_status_list'] } },
    });
    const taskId = FptrSimulator.DEMO.taskIds['sh010/Animation'];
    sim.update('Task', taskId, { sg_status_list: 'fin' });
    await sim.whenDeliveriesSettled();
    await receivedCount(1);

    received.should.have.length(1);
    const msg = received[0];
    const payload = msg.payload as Delivery;
    payload.event_type.should.equal('Shotgun_Task_Change');
    should(payload.entity).eql({ type: 'Task', id: taskId });
    should(payload.meta?.new_value).equal('fin');
    should(msg.topic).equal('Shotgun_Task_Change');
    should(msg.fptr.webhookId).equal(hook.id);
    should(msg.fptr.deliveryId).equal(payload.delivery_id);
    msg.fptr.batch.should.eql({ size: 1, index: 0 });
    msg.fptr.headers.should.have.property('x-sg-webhook-id', hook.id);

    const records = sim.deliveries(hook.id);
    records.should.have.length(1);
    should(records[0].status).equal('delivered');
    should(records[0].response_code).equal(200);
  });

  it('splits a batch of several changes into messages in event order', async function () {
    const hook = sim.createWebhook({
      url: hookUrl,
      token: SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: ['sg_status_list'] } },
    });
    const tasks = ['sh010/Animation', 'sh010/Lighting', 'sh020/Animation'].map(
      (key) => FptrSimulator.DEMO.taskIds[key],
    );
    for (const id of tasks) sim.update('Task', id, { sg_status_list: 'rev' });
    await sim.whenDeliveriesSettled();
    await receivedCount(3);

    const records = sim.deliveries(hook.id);
    records.should.have.length(1);
    should(records[0].response_code).equal(200);
    received.map((m) => (m.payload as Delivery).entity?.id).should.eql(tasks);
    received.map((m) => m.fptr.batch).should.eql([0, 1, 2].map((index) => ({ size: 3, index })));
    const ids = received.map((m) => (m.payload as Delivery).event_log_entry_id as number);
    ids.should.eql([...ids].sort((a, b) => a - b));
  });

  it('answers the Test_Connection 200 without sending it on', async function () {
    const hook = sim.createWebhook({
      url: hookUrl,
      token: SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: [] } },
    });
    await sim.testConnection(hook.id);
    await settle();
    const records = sim.deliveries(hook.id);
    records.should.have.length(1);
    should(records[0].response_code).equal(200);
    received.should.have.length(0);
  });

  it('refuses deliveries signed with another token: the simulator records a failed 401', async function () {
    const hook = sim.createWebhook({
      url: hookUrl,
      token: 'not-the-secret',
      batch_deliveries: false,
      entity_types: { Task: { update: [] } },
    });
    sim.update('Task', FptrSimulator.DEMO.taskIds['sh010/Animation'], { sg_status_list: 'hld' });
    await sim.whenDeliveriesSettled();
    await settle();
    const records = sim.deliveries(hook.id);
    records.should.have.length(1);
    should(records[0].status).equal('failed');
    should(records[0].response_code).equal(401);
    received.should.have.length(0);
  });
});
