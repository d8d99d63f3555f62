import util = require('node:util');
import should = require('should');
import { FptrClient } from '../../../../lib/fptr/client/client';
import { FptrSimulator } from '../../../../sim';
import { ClientSim, fptrError } from '../../../support/client-sim';

describe('FptrClient retries, limits and secrets', () => {
  const env = new ClientSim();
  let sim: FptrSimulator;
  let shotId: number;

  beforeEach(async () => {
    sim = await env.start();
    shotId = sim.find('Shot')[0]!.id;
  });
  afterEach(() => env.stop());

  const reads = (): number => sim.stats.byRoute['GET /api/v1/entity/{type}/{id}'] ?? 0;

  it('waits for Retry-After on 429, then succeeds', async () => {
    const client = env.client();
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity/', status: 429, retryAfter: 1, times: 1 });
    const started = performance.now();
    const shot = await client.read('Shot', shotId);
    should(performance.now() - started).be.aboveOrEqual(1000);
    should(shot.id).eql(shotId);
    should(client.stats.retries).eql(1);
    should(reads()).eql(2);
  });

  it('retries 503 twice, then succeeds', async () => {
    const client = env.client();
    sim.faults.add({ path: '/api/v1/entity/', status: 503, times: 2 });
    should((await client.read('Shot', shotId)).id).eql(shotId);
    should(client.stats.retries).eql(2);
    should(reads()).eql(3);
  });

  for (const status of [502, 504]) {
    it(`retries ${status}`, async () => {
      const client = env.client();
      sim.faults.add({ path: '/api/v1/entity/', status, times: 1 });
      should((await client.read('Shot', shotId)).id).eql(shotId);
      should(client.stats.retries).eql(1);
    });
  }

  for (const status of [400, 403, 404, 415, 500]) {
    it(`does not retry ${status}`, async () => {
      const client = env.client();
      sim.faults.add({ path: '/api/v1/entity/', status, times: 1 });
      const err = await fptrError(client.read('Shot', shotId));
      should(err.status).eql(status);
      should(err.retryable).be.false();
      should(reads()).eql(1);
    });
  }

  it('retries a dropped connection', async () => {
    const client = env.client();
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity/', drop: true, times: 1 });
    should((await client.read('Shot', shotId)).id).eql(shotId);
    should(client.stats.retries).eql(1);
  });

  it('retries a failed token request', async () => {
    const client = env.client();
    sim.faults.add({ path: '/api/v1/auth/access_token', status: 503, times: 1 });
    await client.serverInfo();
    should(client.stats.tokenRequests).eql(2);
    should(sim.stats.tokenRequests).eql(2);
  });

  it('does not repeat a create whose answer was lost (it may have been applied)', async () => {
    const client = env.client();
    await client.serverInfo();
    sim.faults.add({ method: 'POST', path: '/api/v1/entity/Note', drop: true, times: 1 });
    const err = await fptrError(
      client.create('Note', { subject: 'once', project: { type: 'Project', id: FptrSimulator.DEMO.projectId } }),
    );
    should(err.kind).eql('network');
    should(err.message).match(/not repeated automatically/);
    should(sim.stats.byRoute['POST /api/v1/entity/{type}']).eql(1);
  });

  it('repeats a create refused with 503 (FPTR did not act on it)', async () => {
    const client = env.client();
    sim.faults.add({ method: 'POST', path: '/api/v1/entity/Note', status: 503, times: 1 });
    const note = await client.create('Note', {
      subject: 'twice asked',
      project: { type: 'Project', id: FptrSimulator.DEMO.projectId },
    });
    should(sim.find('Note', (n) => n.subject === 'twice asked')).have.length(1);
    should(note.type).eql('Note');
  });

  it('fails cleanly when an outage outlasts the retries', async () => {
    const client = env.client({ maxRetries: 3 });
    sim.faults.add({ path: '/api/v1/entity/', status: 503, untilMs: 60_000 });
    const err = await fptrError(client.read('Shot', shotId));
    should(err.status).eql(503);
    should(err.message).match(/^FPTR 503.*\(gave up after 4 attempts in [\d.]+ s\)$/);
    should(reads()).eql(4);
  });

  it('fails cleanly when the site is unreachable', async () => {
    const client = env.client({ maxRetries: 2 });
    const url = sim.url;
    await sim.close();
    const err = await fptrError(client.serverInfo());
    should(err.kind).eql('network');
    should(err.networkCode).eql('ECONNREFUSED');
    should(err.message).match(
      new RegExp(`^Could not reach FPTR at ${url}: connection refused \\(gave up after 3 attempts`),
    );
    should(client.stats.requests).eql(3);
  });

  it('stops retrying when the time budget would run out', async () => {
    const client = env.client({ deadlineMs: 300 });
    sim.faults.add({ path: '/api/v1/entity/', status: 429, retryAfter: 1 });
    const started = performance.now();
    const err = await fptrError(client.read('Shot', shotId));
    should(performance.now() - started).be.below(900);
    should(err.message).match(/time budget would run out/);
  });

  it('refuses to wait longer than maxRetryAfterMs', async () => {
    const client = env.client({ maxRetryAfterMs: 2_000 });
    sim.faults.add({ path: '/api/v1/entity/', status: 429, retryAfter: 30 });
    const err = await fptrError(client.read('Shot', shotId));
    should(err.status).eql(429);
    should(err.retryAfterMs).eql(30_000);
    should(err.message).match(/asked to wait 30 s, more than the 2 s allowed/);
    should(reads()).eql(1);
  });

  it('times out a slow answer and says so', async () => {
    const client = env.client({ timeoutMs: 100, maxRetries: 1 });
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity/', latencyMs: 400 });
    const err = await fptrError(client.read('Shot', shotId));
    should(err.kind).eql('timeout');
    should(err.message).match(/did not answer within 0\.1 s \(gave up after 2 attempts/);
  });

  it('never has more requests in flight than maxConcurrency', async () => {
    const client = env.client({ maxConcurrency: 4 });
    await client.serverInfo();
    sim.resetStats();
    sim.faults.add({ path: '/api/v1/entity/', latencyMs: 30 });
    await Promise.all(Array.from({ length: 30 }, () => client.read('Shot', shotId)));
    should(sim.stats.maxInFlight).eql(4);
    should(client.stats.maxInFlight).eql(4);
  });

  it('raises no listener-leak warning with many calls in flight and waiting', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    try {
      const client = env.client({ maxConcurrency: 20 });
      sim.faults.add({ path: '/api/v1/entity/', status: 503, times: 40 });
      await Promise.all(Array.from({ length: 40 }, () => client.read('Shot', shotId)));
      await new Promise((r) => setImmediate(r));
      should(warnings).eql([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() aborts waiting and in-flight calls', async () => {
    const client = env.client({ maxConcurrency: 1 });
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity/', latencyMs: 2_000 });
    const calls = [client.read('Shot', shotId), client.read('Shot', shotId)].map((call) => fptrError(call));
    await new Promise((r) => setTimeout(r, 50));
    await client.close();
    for (const err of await Promise.all(calls)) should(err.kind).eql('closed');
  });

  describe('secrets', () => {
    const key = FptrSimulator.DEMO.scriptKey;
    const leaks = (value: unknown, secrets: string[]): string[] => {
      const texts = [util.inspect(value, { depth: Infinity, showHidden: true }), JSON.stringify(value), String(value)];
      if (value instanceof Error) texts.push(value.stack ?? '');
      return secrets.filter((s) => texts.some((t) => t.includes(s)));
    };

    it('keeps the script key and token out of the client, its stats and its errors', async () => {
      const client = env.client();
      await client.serverInfo();
      sim.faults.add({ path: '/api/v1/entity/', status: 503, times: 10 });
      const errors = [
        await fptrError(env.client({ maxRetries: 1 }).read('Shot', shotId)),
        await fptrError(client.search('Asset', { filters: [['nope', 'is', 1]] })),
      ];
      sim.faults.clear();
      errors.push(await fptrError(client.read('Shot', 999_999)));
      for (const value of [client, client.stats, ...errors]) {
        should(leaks(value, [key, 'Bearer', 'authorization'])).eql([]);
      }
    });

    it('keeps a wrong script key out of the error', async () => {
      const wrong = 'Wrong-Key-7f3a9c';
      const client = env.client({
        auth: { grant: 'client_credentials', scriptName: 'node_red_bridge', scriptKey: wrong },
      });
      const err = await fptrError(client.serverInfo());
      should(leaks(err, [wrong])).eql([]);
      should(leaks(client, [wrong])).eql([]);
    });

    it('keeps a password out of errors and the client', async () => {
      const wrong = 'not-janes-password';
      const client = env.client({ auth: { grant: 'password', login: FptrSimulator.DEMO.login, password: wrong } });
      const err = await fptrError(client.currentUser());
      should(err.status).eql(400);
      should(leaks(err, [wrong, FptrSimulator.DEMO.password])).eql([]);
      should(leaks(client, [wrong])).eql([]);
    });

    it('scrubs a secret that a server echoes in an error body', async () => {
      const client = env.client();
      await client.serverInfo();
      sim.faults.add({
        path: '/api/v1/entity/',
        status: 400,
        times: 1,
        body: { errors: [{ status: 400, code: 103, title: `bad key ${key}`, detail: key }] },
      });
      const err = await fptrError(client.read('Shot', shotId));
      should(err.message).eql('FPTR 400 (code 103): bad key [redacted]');
      should(leaks(err, [key])).eql([]);
    });

    it('keeps secrets out of network errors', async () => {
      const client = env.client({ maxRetries: 0 });
      await sim.close();
      const err = await fptrError(client.serverInfo());
      should(leaks(err, [key, 'Bearer'])).eql([]);
    });
  });

  it('exposes stats that add up', async () => {
    const client = env.client();
    sim.faults.add({ path: '/api/v1/entity/', status: 503, times: 1 });
    await client.read('Shot', shotId);
    should(client.stats).eql({ tokenRequests: 1, requests: 3, retries: 1, maxInFlight: 1 });
    should(client).be.instanceOf(FptrClient);
  });
});
