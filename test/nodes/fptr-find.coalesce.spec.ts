import should = require('should');
import findNode = require('../../nodes/fptr-find');
import { helper } from '../support/runtime';
import { ActionFlow, DEMO, type Msg } from '../support/action-flow';
import { withoutClock } from '../support/settled';

/*
 * fptr-find with `coalesce` in a real runtime: a burst of messages gives every message exactly
 * what it gives with coalescing off — its record or records, or its own error at the Catch
 * node — with far fewer requests.
 */

const taskIds = Object.values(DEMO.taskIds);
const SEARCH = 'POST /api/v1/entity/{type}/_search';
const READ = 'GET /api/v1/entity/{type}/{id}';

type Ending = { result: unknown } | { error: string; source: string };

describe('fptr-find coalescing (real runtime)', function () {
  const flow = new ActionFlow();

  before(() => flow.start());
  after(() => flow.stop());
  afterEach(() => helper.unload());

  /** Loads the node with `coalesce`, sends the burst, and says how each message ended and how many requests it took. */
  async function run(
    config: Record<string, unknown>,
    msgs: Array<Msg & { marker: number }>,
  ): Promise<{ endings: Ending[]; routes: Record<string, number> }> {
    await flow.load(findNode, { type: 'fptr-find', ...config });
    await flow.send({ marker: -1, payload: { entity: { type: 'Task', id: taskIds[0] } }, filters: [['id', 'is', 0]] });
    flow.sim.resetStats();
    const outcomes = await flow.burst(structuredClone(msgs));
    const endings = msgs.map(({ marker }): Ending => {
      const outcome = outcomes.get(marker)!;
      if (outcome.caught) return { error: outcome.caught.error.message, source: outcome.caught.error.source.id };
      should(outcome.out).have.length(1);
      return { result: withoutClock(outcome.out[0]!.payload) };
    });
    const routes = flow.sim.stats.byRoute;
    await helper.unload();
    return { endings, routes };
  }

  it('read by id: records, "not found" and bad ids reach the right messages, on as off, in 2 requests instead of 40', async function () {
    const ids: unknown[] = [...taskIds, ...taskIds.slice(0, 15), 999_001, 999_002, 999_003, 'abc', -1, undefined];
    const msgs = ids.map((id, marker) => ({ marker, payload: { entity: { type: 'Task', id } } }));
    const config = { mode: 'read', entity: 'Task', entityType: 'str', fields: 'content, entity, step, sg_status_list' };
    const off = await run({ ...config, coalesce: 0 }, msgs);
    const on = await run({ ...config, coalesce: 5 }, msgs);
    should(on.endings).eql(off.endings);
    should(on.endings.filter((e) => 'error' in e)).have.length(6);
    should(on.endings[33]).match({ error: /404/ });
    should(off.routes[READ]).eql(36);
    // One search for the 33 found ids (18 distinct), then each missing id read on its own.
    should(on.routes[SEARCH]).eql(1);
    should(on.routes[READ]).eql(3);
  });

  it('search: each message gets its own records, and a bad filter its own error, on as off', async function () {
    const parents = [
      ...Object.values(DEMO.shotIds).map((id) => ({ type: 'Shot', id })),
      ...Object.values(DEMO.assetIds).map((id) => ({ type: 'Asset', id })),
    ];
    const steps = [['Animation'], ['Lighting', 'Comp'], ['Rig', 'Surfacing'], ['Layout']];
    const filterSets: unknown[] = parents.flatMap((entity) =>
      steps.map((s) => [
        ['entity', 'is', entity],
        ['sg_status_list', 'is', 'wtg'],
        ['step.Step.code', 'in', s],
      ]),
    );
    filterSets.splice(7, 0, [['no_such_field', 'is', 'x']], [['entity', 'type_is', 'Shot']], 'not json');
    const msgs = filterSets.map((filters, marker) => ({ marker, filters }));
    const config = {
      mode: 'search',
      entity: 'Task',
      entityType: 'str',
      filters: 'filters',
      filtersType: 'msg',
      fields: 'content, step, sg_status_list',
    };
    const off = await run({ ...config, coalesce: 0 }, msgs);
    const on = await run({ ...config, coalesce: 5 }, msgs);
    should(on.endings).eql(off.endings);
    should(on.endings[7]).match({ error: /400/, source: 'n1' });
    should(on.endings[9]).match({ error: /not valid JSON/ });
    should(on.endings.filter((e) => 'result' in e && Array.isArray(e.result) && e.result.length > 0).length).be.above(
      5,
    );
    should(off.routes[SEARCH]).eql(msgs.length - 1);
    // One combined search, halves of it down to the bad filter (about 2·log2 of 22), the type_is search alone.
    should(on.routes[SEARCH]).be.belowOrEqual(14);
  });

  it('refuses a Coalesce setting that is no whole number of ms up to 1000', async function () {
    for (const coalesce of ['abc', -1, 2.5, 1001]) {
      const node = await flow.load(findNode, { type: 'fptr-find', entity: 'Task', entityType: 'str', coalesce });
      node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.bad-coalesce' }).should.be.true();
      const { caught } = await flow.send({ marker: 1 });
      caught!.error.message.should.equal('Error: fptr.errors.bad-coalesce');
      await helper.unload();
    }
  });

  it('shows a yellow ring while the site pushes back', async function () {
    const node = await flow.load(findNode, {
      type: 'fptr-find',
      mode: 'read',
      entity: 'Task',
      entityType: 'str',
      coalesce: 0,
    });
    await flow.send({ marker: 0, payload: { entity: { type: 'Task', id: taskIds[0] } } });
    flow.sim.faults.add({ path: '/api/v1/entity', status: 429, retryAfter: 1, times: 1 });
    try {
      const { out } = await flow.send({ marker: 1, payload: { entity: { type: 'Task', id: taskIds[1] } } });
      should(out[0]!.payload).match({ id: taskIds[1] });
      node.status.calledWithMatch({ fill: 'yellow', shape: 'ring' }).should.be.true();
    } finally {
      flow.sim.faults.clear();
    }
  });
});
