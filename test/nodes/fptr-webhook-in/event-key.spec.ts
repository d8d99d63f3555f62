import type { NodeMessage } from 'node-red';
import { helper } from '../../support/runtime';
import { HttpNodeServer } from '../../support/http-node';
import { signBody } from '../../../lib/fptr/webhook/signature';
import { batchBody, sgHeaders, taskChange } from '../../support/webhook-fixtures';
import webhookNode = require('../../../nodes/fptr-webhook-in');

const SECRET = 'event-key-secret';

/**
 * FPTR may send one event twice under two delivery ids (a redelivery of a batch, two hooks on one
 * URL); the event-log backstop sends it with none. The event key (entry id + attribute) makes
 * them one.
 */
describe('fptr-webhook-in: one event, several deliveries', function () {
  const server = new HttpNodeServer();
  let received: NodeMessage[] = [];

  beforeEach(async function () {
    const flow = [
      { id: 'tab', type: 'tab' },
      { id: 'w1', type: 'fptr-webhook-in', z: 'tab', url: '/hook', dedupWindow: 600, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await helper.load([server.wrap(webhookNode)], flow, { w1: { secret: SECRET } });
    await server.listen();
    received = [];
    helper.getNode('out').on('input', ((msg: NodeMessage) => received.push(msg)) as never);
  });
  afterEach(async function () {
    await helper.unload();
    await server.close();
  });

  async function post(body: string): Promise<number> {
    const res = await fetch(server.url + '/hook', {
      method: 'POST',
      body,
      headers: { ...sgHeaders(), 'x-sg-signature': signBody(SECRET, body) },
    });
    await res.arrayBuffer();
    return res.status;
  }

  it('emits an event once although it came under two delivery ids', async function () {
    const first = taskChange(1);
    const again = { ...taskChange(1), delivery_id: '5b0a3c1e-4e33-4d8b-9f2a-1d3c9b8f0a12' };
    (await post(batchBody([first]))).should.equal(200);
    (await post(batchBody([again, taskChange(2)]))).should.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    received
      .map((msg) => (msg.payload as { event_log_entry_id: number }).event_log_entry_id)
      .should.eql([812_001, 812_002]);
  });
});
