import should = require('should');
import { DEMO, ExampleRun, parseAck, waitFor } from '../support/examples';

/*
 * The shipped task-status cascade under a bulk edit on a site that rate-limits: 500 Layout Tasks
 * set final at once, FPTR delivering the 500 events in batches of 50, the site taking 100 ms per
 * request and allowing 10 requests per second (429 with Retry-After beyond). Every event must
 * go through — its waiting Task set ready and its delivery acknowledged as a success — with few
 * 429 answers: the nodes combine their reads, searches and updates, and the site connection
 * sends fewer requests at a time while the site pushes back and waits as long as it asks.
 */

const CASCADE = 'task-status-cascade.json';
const EVENTS = 500;
const ACK = 'PUT /api/v1/webhook/deliveries/{id}';
/** What the run below reached on a 2-core machine: 4–9 answers 429, 15 at load average 10; the bound leaves room for a slower one. */
const MAX_429 = 25;

describe('example: task status cascade, 500 events on a site limited to 10 requests/s', function () {
  // 500 acknowledgements alone take 50 s at 10 requests/s: they cannot be combined (one PUT per delivery).
  this.timeout(240_000);
  const run = new ExampleRun();

  before(() => run.start());
  after(() => run.stop());

  it('sets every waiting Task ready and acknowledges every event, with few 429s', async function () {
    const sim = run.sim;
    const project = { type: 'Project', id: DEMO.projectId };
    const person = { type: 'HumanUser', id: DEMO.humanUserId };
    const layout: number[] = [];
    const animation: number[] = [];
    const shots = sim.bulkCreate('Shot', Array.from({ length: EVENTS }, (_, i) => ({ code: `bulk_${i}`, project })));
    for (const shot of shots) {
      const entity = { type: 'Shot', id: shot.id };
      const [l, a] = sim.bulkCreate(
        'Task',
        ['Layout', 'Animation', 'Lighting'].map((step, i) => ({
          content: step, project, entity, step: { type: 'Step', id: DEMO.stepIds[step] }, sg_status_list: i === 0 ? 'ip' : 'wtg',
        })),
      );
      layout.push(l!.id);
      animation.push(a!.id);
    }
    await run.load(CASCADE);
    const failed = run.tap('fptr-ex-cascade-ack-failed');
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    sim.faults.add({ path: '/api/v1/', latencyMs: 100 });
    sim.faults.rateLimit({ perSecond: 10 });
    sim.resetStats();

    for (const id of layout) sim.update('Task', id, { sg_status_list: 'fin' }, person);
    await waitFor(
      // Acknowledgement requests, 429s among them, then the data.
      () => (sim.stats.byRoute[ACK] ?? 0) >= EVENTS && animation.every((id) => sim.get('Task', id)?.sg_status_list === 'rdy'),
      'every Animation Task ready and every event acknowledged',
      200_000,
    );

    should(failed).eql([]);
    const bodies = sim.deliveries(hook.id).filter((d) => JSON.stringify(d.request_body).includes('"fin"'));
    should(bodies.reduce((n, d) => n + ((d.request_body as { data: { deliveries: unknown[] } }).data.deliveries.length), 0)).eql(EVENTS);
    for (const delivery of bodies) should(parseAck(delivery).status).eql('success');
    // The number this test exists for (the README states it).
    console.log(`      ${sim.stats.rateLimited} answers 429 in ${sim.stats.requests} requests`);
    should(sim.stats.rateLimited).be.belowOrEqual(MAX_429);
  });
});
