import should = require('should');
import { ReadCoalescer } from '../../../../lib/fptr/bulk/read-coalescer';
import { TASKS_PER_TURN } from '../../../../lib/util/in-turns';
import type { FlatRecord } from '../../../../lib/fptr/client/api';
import { FptrSimulator } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
import { settled } from '../../../support/settled';

const SEARCH = 'POST /api/v1/entity/{type}/_search';
const READ = 'GET /api/v1/entity/{type}/{id}';

describe('ReadCoalescer against the simulator', () => {
  const env = new ClientSim();
  let sim: FptrSimulator;
  let taskIds: number[];

  beforeEach(async () => {
    sim = await env.start();
    taskIds = Object.values(FptrSimulator.DEMO.taskIds);
  });
  afterEach(() => env.stop());

  const routes = (): Record<string, number> => sim.stats.byRoute;

  it('answers concurrent reads with one _search; each caller gets its own record or its own "not found"', async () => {
    const client = env.client();
    const ids = [...taskIds, 999_001, taskIds[0], 999_002];
    const fields = ['content', 'sg_status_list', 'entity', 'step.Step.code'];
    const alone = [];
    for (const id of ids) alone.push(await settled(client.read('Task', id, { fields })));
    sim.resetStats();

    const reads = new ReadCoalescer(client, { windowMs: 5 });
    const together = await Promise.all(ids.map((id) => settled(reads.read('Task', id, { fields }))));
    should(together).eql(alone);
    should(routes()[SEARCH]).eql(1);
    // Only the missing ids are asked again, so their error is FPTR's own.
    should(routes()[READ]).eql(2);
    should(together[ids.length - 3]).match({ error: { status: 404 } });
  });

  it('hands the callers of one search back a slice per event-loop turn, not all before any I/O', async () => {
    const reads = new ReadCoalescer(env.client(), { windowMs: 5 });
    const count = 3 * TASKS_PER_TURN;
    let resolved = 0;
    let seenBetween: number | undefined;
    const all = Array.from({ length: count }, (_, i) =>
      reads.read('Task', taskIds[i % taskIds.length]!).then(() => {
        resolved++;
        // Runs at the next turn: callers settled in one go would all be done by then.
        if (i === 0) setImmediate(() => (seenBetween = resolved));
      }),
    );
    await Promise.all(all);
    should(routes()[SEARCH]).eql(1);
    should(seenBetween).be.within(1, count - 1);
  });

  it('copies the record before handing any out: a flow changing its record does not reach callers served later', async () => {
    const reads = new ReadCoalescer(env.client(), { windowMs: 5 });
    const got = await Promise.all(
      Array.from({ length: 3 * TASKS_PER_TURN }, (_, i) =>
        reads.read('Task', taskIds[0]!, { fields: ['content'] }).then((record) => {
          if (i === 0) record.content = 'changed by the first flow';
          return record.content;
        }),
      ),
    );
    should(got.slice(1).every((content) => content !== 'changed by the first flow')).be.true();
  });

  it('gives callers of the same id separate copies', async () => {
    const reads = new ReadCoalescer(env.client(), { windowMs: 5 });
    const [a, b] = await Promise.all([
      reads.read('Task', taskIds[0]),
      reads.read('Task', taskIds[0]),
      reads.read('Task', taskIds[1]),
    ]);
    should(a).eql(b);
    (a as FlatRecord).content = 'changed by one flow';
    should(b.content).not.eql('changed by one flow');
    should(routes()[SEARCH]).eql(1);
  });

  it('keeps different field sets, entity types and return_only apart', async () => {
    const reads = new ReadCoalescer(env.client(), { windowMs: 5 });
    const shotId = FptrSimulator.DEMO.shotIds.sh010;
    sim.retire('Task', taskIds[3]);
    const [a, b, c, d, e] = await Promise.all([
      reads.read('Task', taskIds[0], { fields: ['content'] }),
      reads.read('Task', taskIds[1], { fields: ['sg_status_list'] }),
      reads.read('Shot', shotId, { fields: ['code'] }),
      reads.read('Task', taskIds[2], { fields: ['content'] }),
      reads.read('Task', taskIds[3], { fields: ['content'], returnOnly: 'retired' }),
    ]);
    should(Object.keys(a).sort()).eql(['content', 'id', 'type']);
    should(Object.keys(b).sort()).eql(['id', 'sg_status_list', 'type']);
    should(c).eql({ type: 'Shot', id: shotId, code: 'sh010' });
    should(d.id).eql(taskIds[2]);
    should(e.id).eql(taskIds[3]);
    // Active Tasks with `content` together; the other three alone.
    should(routes()[SEARCH]).eql(1);
    should(routes()[READ]).eql(3);
  });

  it('with a window of 0 sends every read as it is', async () => {
    const reads = new ReadCoalescer(env.client(), { windowMs: 0 });
    await Promise.all(taskIds.slice(0, 5).map((id) => reads.read('Task', id)));
    should(routes()[READ]).eql(5);
    should(routes()[SEARCH]).be.undefined();
  });

  it('when FPTR refuses the combined search, each caller gets the answer to its own read', async () => {
    const client = env.client();
    const alone = await settled(client.read('NoSuchType', 1));
    sim.resetStats();
    const reads = new ReadCoalescer(client, { windowMs: 5 });
    const together = await Promise.all([1, 2, 3].map((id) => settled(reads.read('NoSuchType', id))));
    should(together[0]).eql(alone);
    should(together.every((t) => 'error' in t && t.error.status === 404)).be.true();
  });

  it('an outage fails every caller once, without asking again for each', async () => {
    const client = env.client({ maxRetries: 0 });
    await client.serverInfo();
    sim.faults.add({ path: '/api/v1/entity/', status: 503 });
    const reads = new ReadCoalescer(client, { windowMs: 5 });
    const together = await Promise.all(taskIds.slice(0, 4).map((id) => settled(reads.read('Task', id))));
    should(together.every((t) => 'error' in t && t.error.status === 503)).be.true();
    should(routes()[SEARCH]).eql(1);
    should(routes()[READ]).be.undefined();
  });
});
