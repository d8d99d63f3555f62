import should = require('should');
import { request } from 'undici';
import { FptrSimulator } from '../../sim';
import { SimHarness, errorOf } from '../support/sim';

const DEMO = FptrSimulator.DEMO;
const shotPath = `/api/v1/entity/shots/${DEMO.shotIds.sh010}`;

describe('fptr-sim: fault rules and stats', () => {
  const h = new SimHarness();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  it('answers a status with Retry-After for the given number of requests', async () => {
    await h.token();
    h.sim.faults.add({ method: 'GET', path: '/api/v1/entity/shots', status: 429, retryAfter: 3, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await h.call('GET', shotPath);
      should(res.status).eql(429);
      should(res.headers['retry-after']).eql('3');
      should(errorOf(res)).containEql({ status: 429, title: 'Too Many Requests' });
    }
    should((await h.call('GET', shotPath)).status).eql(200);
  });

  it('matches method, a RegExp path, and sends a custom body', async () => {
    await h.token();
    h.sim.faults.add({
      method: 'put',
      path: /\/entity\/tasks\/\d+$/,
      status: 503,
      body: { errors: [{ status: 503, title: 'Down for maintenance' }] },
    });
    should((await h.call('GET', shotPath)).status).eql(200);
    const res = await h.call('PUT', `/api/v1/entity/tasks/${DEMO.taskIds['sh010/Comp']}`, {
      body: { sg_status_list: 'rdy' },
    });
    should(res.status).eql(503);
    should(res.json).eql({ errors: [{ status: 503, title: 'Down for maintenance' }] });
    should(res.headers).not.have.property('retry-after');
    should(h.sim.get('Task', DEMO.taskIds['sh010/Comp'])?.sg_status_list).eql('wtg');
    h.sim.faults.clear();
    should(
      (await h.call('PUT', `/api/v1/entity/tasks/${DEMO.taskIds['sh010/Comp']}`, { body: { sg_status_list: 'rdy' } }))
        .status,
    ).eql(200);
  });

  it('drops the connection without answering', async () => {
    await h.token();
    h.sim.faults.add({ path: '/api/v1/entity', drop: true, times: 1 });
    await should(
      request(`${h.url}${shotPath}`, { headers: { authorization: `Bearer ${await h.token()}` } }),
    ).be.rejected();
    should((await h.call('GET', shotPath)).status).eql(200);
  });

  it('adds latency, then handles the request normally', async () => {
    await h.token();
    h.sim.faults.add({ path: '/api/v1/entity', latencyMs: 150, times: 1 });
    const started = Date.now();
    const res = await h.call('GET', shotPath);
    should(res.status).eql(200);
    should(Date.now() - started).be.aboveOrEqual(140);
  });

  it('keeps an outage rule active only for untilMs', async () => {
    await h.token();
    h.sim.faults.add({ status: 502, untilMs: 120 });
    should((await h.call('GET', shotPath)).status).eql(502);
    should((await h.call('GET', '/api/v1', { token: null })).status).eql(502);
    await new Promise((resolve) => setTimeout(resolve, 150));
    should((await h.call('GET', shotPath)).status).eql(200);
  });

  it('counts requests per route, token requests (faulted ones too) and the in-flight maximum', async () => {
    await h.token();
    h.sim.resetStats();
    h.sim.faults.add({ path: '/api/v1/auth', status: 503, times: 1 });
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: DEMO.scriptName,
      client_secret: DEMO.scriptKey,
    }).toString();
    const auth = await h.call('POST', '/api/v1/auth/access_token', {
      token: null,
      body: form,
      contentType: 'application/x-www-form-urlencoded',
    });
    should(auth.status).eql(503);
    h.sim.faults.add({ path: '/api/v1/entity', latencyMs: 100 });
    await Promise.all(Array.from({ length: 4 }, () => h.call('GET', shotPath)));
    await h.search('Shot', { filters: [] });
    const stats = h.sim.stats;
    should(stats).containEql({ requests: 6, tokenRequests: 1, inFlight: 0 });
    should(stats.maxInFlight).eql(4);
    should(stats.byRoute).eql({
      'POST /api/v1/auth/access_token': 1,
      'GET /api/v1/entity/{type}/{id}': 4,
      'POST /api/v1/entity/{type}/_search': 1,
    });
    h.sim.resetStats();
    should(h.sim.stats).eql({
      requests: 0,
      tokenRequests: 0,
      rateLimited: 0,
      inFlight: 0,
      maxInFlight: 0,
      byRoute: {},
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After and the errors envelope beyond the budget, and counts them', async () => {
      await h.token();
      h.sim.resetStats();
      h.sim.faults.rateLimit({ perSecond: 0.1, burst: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await h.call('GET', shotPath);
        statuses.push(res.status);
        if (res.status === 429) {
          should(Number(res.headers['retry-after'])).be.within(1, 10);
          should(String(res.headers['retry-after'])).match(/^\d+$/);
          should(errorOf(res)).containEql({ status: 429, title: 'Too Many Requests' });
        }
      }
      should(statuses).eql([200, 200, 200, 429, 429]);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEMO.scriptName,
        client_secret: DEMO.scriptKey,
      }).toString();
      should(
        (
          await h.call('POST', '/api/v1/auth/access_token', {
            token: null,
            body: form,
            contentType: 'application/x-www-form-urlencoded',
          })
        ).status,
      ).eql(429);
      should(h.sim.stats).containEql({ requests: 6, rateLimited: 3 });
      h.sim.faults.rateLimit(null);
      should((await h.call('GET', shotPath)).status).eql(200);
    });

    it('refills over time, limits concurrent requests too, and faults.clear() lifts it', async () => {
      await h.token();
      h.sim.faults.rateLimit({ perSecond: 5, burst: 2 });
      const parallel = await Promise.all(Array.from({ length: 6 }, () => h.call('GET', shotPath)));
      should(parallel.filter((r) => r.status === 429).length).be.above(0);
      await new Promise((resolve) => setTimeout(resolve, 250));
      should((await h.call('GET', shotPath)).status).eql(200);
      h.sim.faults.rateLimit({ perSecond: 0.01, burst: 1 });
      should((await h.call('GET', shotPath)).status).eql(200);
      should((await h.call('GET', shotPath)).status).eql(429);
      h.sim.faults.clear();
      should((await h.call('GET', shotPath)).status).eql(200);
      should(() => h.sim.faults.rateLimit({ perSecond: 0 })).throw(/perSecond/);
    });
  });

  it('does not apply faults to its own outgoing deliveries', async () => {
    const http = await import('node:http');
    const got: string[] = [];
    const server = http.createServer((req, res) => {
      got.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const hook = h.sim.createWebhook({
        url: `http://127.0.0.1:${port}/hook`,
        entity_types: { Shot: { update: [] } },
      });
      h.sim.faults.add({ status: 500 });
      h.sim.update('Shot', DEMO.shotIds.sh010, { description: 'x' });
      await h.sim.whenDeliveriesSettled();
      should(got).eql(['/hook']);
      should(h.sim.deliveries(hook.id)[0].status).eql('delivered');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
