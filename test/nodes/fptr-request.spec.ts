import should = require('should');
import requestNode = require('../../nodes/fptr-request');
import { ActionFlow, DEMO, QUICK_GIVE_UP } from '../support/action-flow';
import { helper } from '../support/runtime';

/* fptr-request in a real Node-RED runtime against the simulator over loopback. */
describe('fptr-request node', function () {
  const flow = new ActionFlow();
  before(() => flow.start());
  after(() => flow.stop());
  afterEach(async function () {
    flow.sim.faults.clear();
    flow.sim.resetStats();
    await helper.unload();
  });

  const node = (extra: Record<string, unknown>) => ({
    type: 'fptr-request',
    method: 'GET',
    methodType: 'method',
    pathType: 'str',
    query: '',
    queryType: 'json',
    body: '',
    bodyType: 'json',
    ...extra,
  });

  it("reads any endpoint with the site's auth: schema, a list with a query, a search with the vendor content type", async function () {
    await flow.load(requestNode, node({ path: '/schema/Version/fields/sg_status_list' }));
    const schema = await flow.send({ payload: 'ignored', topic: 'keep' });
    should(schema.caught).be.undefined();
    should(schema.out[0].topic).eql('keep');
    should((schema.out[0].payload as { data: { data_type: { value: string } } }).data.data_type.value).eql(
      'status_list',
    );
    await helper.unload();

    await flow.load(
      requestNode,
      node({ path: 'api/v1/entity/shots', query: JSON.stringify({ fields: ['code'], filter: { code: 'sh010' } }) }),
    );
    const list = await flow.send({});
    should(
      (list.out[0].payload as { data: Array<{ attributes: { code: string } }> }).data.map((r) => r.attributes.code),
    ).eql(['sh010']);
    await helper.unload();

    await flow.load(
      requestNode,
      node({
        method: 'POST',
        path: '/entity/tasks/_search',
        body: JSON.stringify({
          filters: [['entity', 'is', { type: 'Shot', id: DEMO.shotIds.sh010 }]],
          fields: ['content'],
        }),
      }),
    );
    const found = await flow.send({});
    should(found.caught).be.undefined();
    should((found.out[0].payload as { data: unknown[] }).data).have.length(4);
    should(flow.sim.stats.tokenRequests).eql(3);
  });

  it('takes method, path, query and body from the message, and creates once', async function () {
    await flow.load(
      requestNode,
      node({
        method: 'req.method',
        methodType: 'msg',
        path: 'req.path',
        pathType: 'msg',
        query: 'req.query',
        queryType: 'msg',
        body: 'req.body',
        bodyType: 'msg',
      }),
    );
    const { out, caught } = await flow.send({
      req: {
        method: 'post',
        path: '/entity/notes',
        query: { 'options[fields]': 'subject' },
        body: { subject: 'from fptr-request', project: { type: 'Project', id: DEMO.projectId } },
      },
    });
    should(caught).be.undefined();
    const note = (out[0].payload as { data: { id: number } }).data;
    should(flow.sim.get('Note', note.id)).containEql({ subject: 'from fptr-request' });
  });

  it('retries what FPTR asks to retry, like the other nodes', async function () {
    await flow.load(requestNode, node({ path: '/schema/Shot' }));
    flow.sim.faults.add({ path: '/api/v1/schema/Shot', status: 503, times: 2 });
    const { out, caught } = await flow.send({});
    should(caught).be.undefined();
    should(out).have.length(1);
    should(flow.sim.stats.byRoute['GET /api/v1/schema/{type}']).eql(3);
  });

  it("maps FPTR errors like the other nodes: Catch gets the original message and FPTR's words, the badge the status", async function () {
    const n = await flow.load(requestNode, node({ path: '/entity/shots/999999' }));
    const { out, caught } = await flow.send({ payload: 'original', _trace: 't1' });
    should(out).eql([]);
    should(caught?._trace).eql('t1');
    should(caught?.error.message).match(/^FptrError: FPTR 404 \(code 104\): Record not found/);
    should(n.status.calledWithMatch({ fill: 'red', shape: 'dot' })).be.true();
  });

  it('refuses a path outside /api/v1 of the site before sending anything', async function () {
    await flow.load(requestNode, node({ path: 'https://evil.test/api/v1/entity/shots' }));
    const { caught } = await flow.send({});
    should(caught?.error.message).eql(
      'ApiRequestError: path must be a path below /api/v1 of the site, not a URL (got "https://evil.test/api/v1/entity/shots")',
    );
    should(flow.sim.stats.requests).eql(0);
  });

  it("gives up on an outage within the site's budget and says so", async function () {
    await flow.load(requestNode, node({ path: '/schema/Shot' }), { site: QUICK_GIVE_UP });
    flow.sim.faults.add({ path: '/api/v1/schema', status: 503 });
    const { caught } = await flow.send({});
    should(caught?.error.message).match(/^FptrError: FPTR 503: Service Unavailable \(gave up after 2 attempts/);
  });
});
