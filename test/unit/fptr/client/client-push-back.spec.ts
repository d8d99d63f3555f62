import should = require('should');
import type { PushBack } from '../../../../lib/fptr/client/adaptive-limit';
import { FptrSimulator } from '../../../../sim';
import { ClientSim, fptrError } from '../../../support/client-sim';

/*
 * The client against a site that pushes back: the simulator's rate limit (429 + Retry-After
 * beyond N requests per second) and 503s, with a latency like a site across the internet.
 */
describe('FptrClient when the site pushes back (AIMD)', function () {
  this.timeout(60_000);
  const env = new ClientSim();
  let sim: FptrSimulator;
  const taskIds = Object.values(FptrSimulator.DEMO.taskIds);

  beforeEach(async () => {
    sim = await env.start();
  });
  afterEach(() => env.stop());

  it('under a 10 req/s limit, 60 concurrent reads all succeed with few 429s, and it tells who listens', async () => {
    // Realistic retry pauses: the test environment's short ones would hide a client that hammers.
    const client = env.client({ retryBaseMs: 250, retryMaxMs: 10_000 });
    const states: PushBack[] = [];
    client.onPushBack((state) => states.push(state));
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/', latencyMs: 100 });
    sim.faults.rateLimit({ perSecond: 10 });
    sim.resetStats();

    const reads = await Promise.all(
      Array.from({ length: 60 }, (_, i) => client.read('Task', taskIds[i % taskIds.length])),
    );
    should(reads.map((r) => r.id)).eql(Array.from({ length: 60 }, (_, i) => taskIds[i % taskIds.length]));
    // A client that ignored the push back would meet a 429 on most of its first tries.
    should(sim.stats.rateLimited).be.belowOrEqual(12);
    should(states.some((s) => s.limit < s.max)).be.true();
    should(states.some((s) => s.pausedUntil !== undefined)).be.true();
  });

  it('a healthy site keeps the full concurrency and hears nothing', async () => {
    const client = env.client({ maxConcurrency: 4 });
    const states: PushBack[] = [];
    client.onPushBack((state) => states.push(state));
    sim.faults.add({ path: '/api/v1/entity', latencyMs: 30 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => client.read('Task', taskIds[i % taskIds.length])));
    should(states).eql([]);
    should(client.pushBack).eql({ limit: 4, max: 4 });
    should(sim.stats.maxInFlight).eql(4);
  });

  it('after 503s it sends fewer requests at a time', async () => {
    const client = env.client({ maxConcurrency: 8 });
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity', status: 503, times: 8 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.read('Task', taskIds[i])));
    const { limit } = client.pushBack;
    should(limit).be.below(8);
    sim.faults.add({ path: '/api/v1/entity', latencyMs: 30 });
    sim.resetStats();
    await Promise.all(Array.from({ length: 16 }, (_, i) => client.read('Task', taskIds[i])));
    should(sim.stats.maxInFlight).be.belowOrEqual(limit);
  });

  it('closing ends calls waiting out a pause at once', async () => {
    // A pause far longer than the test may take: waiting it out would fail the test by its timeout.
    const client = env.client({ retryBaseMs: 250, maxRetryAfterMs: 3_600_000, deadlineMs: 7_200_000 });
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity', status: 429, retryAfter: 3000, times: 1 });
    const first = fptrError(client.read('Task', taskIds[0]));
    while (sim.stats.rateLimited + (sim.stats.byRoute['GET /api/v1/entity/{type}/{id}'] ?? 0) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const waiting = fptrError(client.read('Task', taskIds[1]));
    await client.close();
    should((await waiting).kind).eql('closed');
    should((await first).kind).eql('closed');
  });
});
