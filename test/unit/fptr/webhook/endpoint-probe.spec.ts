import should = require('should');
import { probeEndpoint } from '../../../../lib/fptr/webhook/endpoint-probe';
import { isTestConnection, parseDeliveryBody } from '../../../../lib/fptr/webhook/delivery-body';
import { SignatureVerifier } from '../../../../lib/fptr/webhook/signature';
import { LoopbackServer } from '../../../support/loopback';
import { Consumer } from '../../../support/sim';

describe('endpoint self-check', function () {
  const consumer = new Consumer();
  before(() => consumer.listen());
  after(() => consumer.close());

  it("sends a signed Test_Connection delivery shaped like FPTR's and reports the answer", async function () {
    consumer.received = [];
    consumer.answer = () => ({ status: 200 });
    const result = await probeEndpoint(consumer.url, { hookId: 'hook-1', secret: 's3cret', timeoutMs: 5000 });
    result.status!.should.equal(200);
    consumer.received.should.have.length(1);
    const [got] = consumer.received;
    should(new SignatureVerifier('s3cret').verify(got.headers['x-sg-signature'], got.raw)).be.undefined();
    got.headers['x-sg-delivery-id']!.should.equal(result.deliveryId);
    const parsed = parseDeliveryBody(got.raw);
    parsed.ok.should.be.true();
    if (!parsed.ok) return;
    parsed.body.batched.should.be.true();
    const [delivery] = parsed.body.deliveries;
    isTestConnection(delivery).should.be.true();
    delivery.delivery_id!.should.equal(result.deliveryId);
    delivery.meta!.hook_id!.should.equal('hook-1');
  });

  it('reports a refusal and a closed port', async function () {
    consumer.answer = () => ({ status: 502 });
    (await probeEndpoint(consumer.url, { hookId: 'h', timeoutMs: 5000 })).status!.should.equal(502);
    const server = new LoopbackServer();
    const origin = await server.listen((_req, res) => res.end());
    await server.close();
    const closed = await probeEndpoint(`${origin}/hook`, { hookId: 'h', timeoutMs: 5000 });
    should(closed.status).be.undefined();
    closed.error!.should.be.a.String();
  });
});
