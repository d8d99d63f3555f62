import should = require('should');
import { helper } from '../support/runtime';
import ackNode = require('../../nodes/fptr-acknowledge');
import { ActionFlow, QUICK_GIVE_UP, Consumer, DEMO, type Msg } from '../support/action-flow';
import { TRUNCATION_MARKER } from '../../lib/fptr/actions/ack-text';

const ACK = 'PUT /api/v1/webhook/deliveries/{id}';

describe('fptr-acknowledge node', function () {
  const flow = new ActionFlow();
  const consumer = new Consumer();
  let hookId: string;
  let deliveryId: string;

  const stored = (): string | null | undefined =>
    flow.sim.deliveries(hookId).find((d) => d.id === deliveryId)?.acknowledgement;
  const event = (extra: Record<string, unknown> = {}): Msg => ({
    payload: {
      event_type: 'Shotgun_Task_Change',
      entity: { type: 'Task', id: DEMO.taskIds['sh010/Animation'] },
      attribute_name: 'sg_status_list',
    },
    fptr: {
      source: 'webhook',
      webhookId: hookId,
      deliveryId,
      receivedAt: new Date().toISOString(),
      batch: { size: 1, index: 0 },
    },
    ...extra,
  });

  before(async function () {
    await flow.start();
    await consumer.listen();
    hookId = flow.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: ['sg_status_list'] } } }).id;
  });
  after(async function () {
    await consumer.close();
    await flow.stop();
  });
  beforeEach(async function () {
    // A fresh delivery per test: one real webhook delivery from the simulator to the loopback consumer.
    const taskId = DEMO.taskIds['sh010/Animation']!;
    const before = flow.sim.deliveries(hookId).length;
    flow.sim.update('Task', taskId, {
      sg_status_list: flow.sim.get('Task', taskId)!.sg_status_list === 'ip' ? 'rev' : 'ip',
    });
    await flow.sim.whenDeliveriesSettled();
    const latest = flow.sim.deliveries(hookId).at(-1);
    flow.sim.deliveries(hookId).length.should.equal(before + 1);
    deliveryId = latest!.id;
    should(latest!.acknowledgement ?? null).be.null();
    flow.sim.resetStats();
  });
  afterEach(async function () {
    flow.sim.faults.clear();
    await helper.unload();
  });

  it('acknowledges with the recommended status form by default and passes the message on unchanged', async function () {
    const node = await flow.load(ackNode, { type: 'fptr-acknowledge' });
    const msg = event();
    const { out, caught } = await flow.send(msg);
    should(caught).be.undefined();
    JSON.parse(stored()!).should.eql({ status: 'success', detail: '', by: 'node-red' });
    out[0]!.payload!.should.eql(msg.payload);
    out[0]!.fptr!.should.eql(msg.fptr);
    node.status
      .calledWithMatch({ fill: 'green', shape: 'dot', text: 'fptr-acknowledge.status.acknowledged' })
      .should.be.true();
  });

  it('acknowledges a failure with msg.error.message when it comes from a Catch node', async function () {
    await flow.load(ackNode, { type: 'fptr-acknowledge' });
    await flow.send(
      event({ error: { message: "FPTR 400 (code 103): API update() Task.sg_x doesn't exist.", source: { id: 'x' } } }),
    );
    JSON.parse(stored()!).should.eql({
      status: 'failure',
      detail: "FPTR 400 (code 103): API update() Task.sg_x doesn't exist.",
      by: 'node-red',
    });
  });

  it('fills a templated detail and an explicit status', async function () {
    await flow.load(ackNode, {
      type: 'fptr-acknowledge',
      status: 'failure',
      statusType: 'ackStatus',
      detail: 'render of {{payload.entity.type}} {{payload.entity.id}} failed',
    });
    await flow.send(event());
    JSON.parse(stored()!).should.eql({
      status: 'failure',
      detail: `render of Task ${DEMO.taskIds['sh010/Animation']} failed`,
      by: 'node-red',
    });
  });

  it('sends templated text, and JSON from the message', async function () {
    await flow.load(ackNode, {
      type: 'fptr-acknowledge',
      format: 'value',
      ack: 'processed {{payload.attribute_name}} on {{payload.entity.type}}',
      ackType: 'str',
    });
    await flow.send(event());
    stored()!.should.equal('processed sg_status_list on Task');
    await helper.unload();
    await flow.load(ackNode, { type: 'fptr-acknowledge', format: 'value', ack: 'report', ackType: 'msg' });
    await flow.send(event({ report: { frames: 120, ok: true } }));
    stored()!.should.equal('{"frames":120,"ok":true}');
  });

  const units: Array<[string, string]> = [
    ['é', 'é'],
    ['日', '日'],
    ['emoji', '🎬'],
  ];
  for (const [label, unit] of units) {
    it(`stores at most 4096 bytes of 5,000 × ${label}: valid UTF-8 ending in the marker, with a warning`, async function () {
      const node = await flow.load(ackNode, { type: 'fptr-acknowledge', format: 'value', ack: 'text', ackType: 'msg' });
      const { caught } = await flow.send(event({ text: unit.repeat(5000) }));
      should(caught).be.undefined();
      const text = stored()!;
      const bytes = Buffer.from(text, 'utf8');
      bytes.length.should.be.belowOrEqual(4096);
      bytes.length.should.be.above(4096 - 4);
      bytes.toString('utf8').should.equal(text);
      text.should.not.containEql('\ufffd');
      text.endsWith(TRUNCATION_MARKER).should.be.true();
      text
        .slice(0, -TRUNCATION_MARKER.length)
        .should.equal(unit.repeat((text.length - TRUNCATION_MARKER.length) / unit.length));
      node.warn.calledWithMatch('fptr-acknowledge.warnings.truncated').should.be.true();
      node.status.calledWithMatch({ fill: 'yellow', text: 'fptr-acknowledge.status.truncated' }).should.be.true();
    });
  }

  it('keeps a long failure detail as valid JSON within the limit', async function () {
    await flow.load(ackNode, { type: 'fptr-acknowledge' });
    await flow.send(event({ error: { message: '日本語のエラー'.repeat(1000) } }));
    const text = stored()!;
    Buffer.byteLength(text).should.be.belowOrEqual(4096);
    const ack = JSON.parse(text) as { status: string; detail: string };
    ack.status.should.equal('failure');
    ack.detail.endsWith(TRUNCATION_MARKER).should.be.true();
  });

  it('does not warn for exactly 4096 bytes', async function () {
    const node = await flow.load(ackNode, { type: 'fptr-acknowledge', format: 'value', ack: 'text', ackType: 'msg' });
    await flow.send(event({ text: 'é'.repeat(2048) }));
    stored()!.should.equal('é'.repeat(2048));
    node.warn.callCount.should.equal(0);
  });

  describe('failures', function () {
    it("sends an unknown delivery id to Catch with FPTR's message", async function () {
      const node = await flow.load(ackNode, { type: 'fptr-acknowledge' });
      const msg = event();
      (msg.fptr as { deliveryId: string }).deliveryId = '00000000-0000-4000-8000-000000000000';
      const { out, caught } = await flow.send(msg);
      out.should.have.length(0);
      caught!.error.message.should.match(/FPTR 404 \(code 104\).*not found/);
      should(caught!.payload).eql(msg.payload);
      node.status.calledWithMatch({ fill: 'red', shape: 'dot', text: 'fptr.status.failed-http' }).should.be.true();
    });

    it('renders placeholders naming inherited members as missing', async function () {
      await flow.load(ackNode, {
        type: 'fptr-acknowledge',
        format: 'value',
        ackType: 'str',
        ack: 'c={{payload.constructor}} p={{payload.__proto__}} t={{payload.entity.toString}} h={{msg.hasOwnProperty}} ok={{payload.attribute_name}}',
      });
      const { caught } = await flow.send(event());
      should(caught).be.undefined();
      stored()!.should.equal('c= p= t= h= ok=sg_status_list');
    });

    it('renders a template with an unclosed "{{" and thousands of spaces at once', async function () {
      // The regex this scanner replaced took seconds per message on such a template (cubic
      // backtracking), so a handful of messages outlasts the test timeout.
      const spaces = ' '.repeat(3000);
      await flow.load(ackNode, {
        type: 'fptr-acknowledge',
        format: 'value',
        ackType: 'str',
        ack: `{{${spaces} done: {{payload.attribute_name}}`,
      });
      for (let i = 0; i < 6; i++) {
        const { caught } = await flow.send(event());
        should(caught).be.undefined();
        stored()!.should.equal(`{{${spaces} done: sg_status_list`);
      }
    });

    it('reads the delivery id through own properties only', async function () {
      await flow.load(ackNode, {
        type: 'fptr-acknowledge',
        deliveryId: 'fptr.constructor.name',
        deliveryIdType: 'msg',
      });
      const { caught } = await flow.send(event());
      caught!.error.message.should.match(/fptr-acknowledge\.errors\.no-delivery-id/);
      should(flow.sim.stats.requests).equal(0);
    });

    it('refuses a circular detail from the message by name, before any request', async function () {
      await flow.load(ackNode, { type: 'fptr-acknowledge', detail: 'report', detailType: 'msg' });
      const report: Record<string, unknown> = { frames: 120 };
      report.self = report;
      const { out, caught } = await flow.send(event({ report }));
      out.should.have.length(0);
      caught!.error.message.should.match(
        /the detail cannot be written as JSON \(Converting circular structure to JSON\)/,
      );
      should(flow.sim.stats.requests).equal(0);
    });

    it('fails without a request when the message has no delivery id', async function () {
      await flow.load(ackNode, { type: 'fptr-acknowledge' });
      const { caught } = await flow.send({ payload: { event_type: 'x' }, fptr: { source: 'webhook' } });
      caught!.error.message.should.match(/fptr-acknowledge\.errors\.no-delivery-id/);
      should(flow.sim.stats.requests).equal(0);
    });

    it('fails without a request when an event-log message lost what commits it', async function () {
      await flow.load(ackNode, { type: 'fptr-acknowledge' });
      const { caught } = await flow.send({ payload: { event_type: 'x' }, fptr: { source: 'event-log', eventId: 5 } });
      caught!.error.message.should.match(/fptr-acknowledge\.errors\.event-log-incomplete/);
      should(flow.sim.stats.requests).equal(0);
    });

    it('passes on, without a request, an event-log message whose fptr-events-in node is not deployed', async function () {
      const node = await flow.load(ackNode, { type: 'fptr-acknowledge' });
      const msg = {
        payload: { event_type: 'x' },
        fptr: { source: 'event-log', eventId: 5, eventsNode: 'gone', ticket: 'a.1' },
      };
      const { out, caught } = await flow.send(msg);
      should(caught).be.undefined();
      out[0]!.fptr!.should.eql(msg.fptr);
      should(flow.sim.stats.requests).equal(0);
      node.status.calledWithMatch({ fill: 'grey', text: 'fptr-acknowledge.status.not-in-flight' }).should.be.true();
    });

    it('refuses an unknown status value', async function () {
      await flow.load(ackNode, { type: 'fptr-acknowledge', status: 'outcome', statusType: 'msg' });
      const { caught } = await flow.send(event({ outcome: 'done' }));
      caught!.error.message.should.match(/success, failure or auto/);
      should(stored() ?? null).be.null();
    });

    it('shows "no site" and fails every message', async function () {
      const node = await flow.load(ackNode, { type: 'fptr-acknowledge' }, { noSite: true });
      node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.no-site' }).should.be.true();
      (await flow.send(event())).caught!.error.message.should.match(/no-site/);
    });

    it('retries 503 and 429 and acknowledges once', async function () {
      flow.sim.faults.add({ method: 'PUT', path: '/api/v1/webhook/deliveries', status: 503, times: 1 });
      flow.sim.faults.add({ method: 'PUT', path: '/api/v1/webhook/deliveries', status: 429, retryAfter: 1, times: 1 });
      await flow.load(ackNode, { type: 'fptr-acknowledge' });
      const { caught } = await flow.send(event());
      should(caught).be.undefined();
      JSON.parse(stored()!).status.should.equal('success');
      should(flow.sim.stats.byRoute[ACK]).equal(3);
    });

    it('fails cleanly during a 40 s outage', async function () {
      flow.sim.faults.add({ path: '/api/v1/webhook', drop: true, untilMs: 40_000 });
      await flow.load(ackNode, { type: 'fptr-acknowledge' }, { site: QUICK_GIVE_UP });
      const { caught } = await flow.send(event());
      caught!.error.message.should.match(/Could not reach FPTR.*gave up after 2 attempts/);
      should(stored() ?? null).be.null();
    });
  });
});
