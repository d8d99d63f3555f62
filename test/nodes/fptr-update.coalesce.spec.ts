import should = require('should');
import updateNode = require('../../nodes/fptr-update');
import { helper } from '../support/runtime';
import { ActionFlow, DEMO, type Msg } from '../support/action-flow';
import { withoutClock } from '../support/settled';

/*
 * fptr-update with `coalesce` in a real runtime: a burst of writes ends for every message as it
 * ends with coalescing off — its result, or its own error at the Catch node — and leaves the
 * same data, through a handful of _batch requests.
 */

const BATCH = 'POST /api/v1/entity/_batch';
const PUT = 'PUT /api/v1/entity/{type}/{id}';
const project = { type: 'Project', id: DEMO.projectId };

type Ending = { result: unknown } | { error: string; source: string };

interface Run {
  endings: Ending[];
  routes: Record<string, number>;
  tasks: unknown;
}

describe('fptr-update coalescing (real runtime)', function () {
  const flow = new ActionFlow();
  let taskIds: number[];

  afterEach(async () => {
    await helper.unload();
    await flow.stop();
  });

  /** A fresh simulator with 60 Tasks of its own (the same ids every time), the node with `config`, the burst. */
  async function run(
    config: Record<string, unknown>,
    burst: (ids: number[]) => Array<Msg & { marker: number }>,
  ): Promise<Run> {
    const sim = await flow.start();
    const shot = { type: 'Shot', id: DEMO.shotIds.sh010 };
    taskIds = sim
      .bulkCreate(
        'Task',
        Array.from({ length: 60 }, (_, i) => ({ content: `task ${i}`, project, entity: shot })),
      )
      .map((t) => t.id);
    await flow.load(updateNode, { type: 'fptr-update', ...config });
    await flow.send({
      marker: -1,
      payload: { entity: { type: 'Task', id: taskIds[59] } },
      change: { content: 'warm' },
    });
    sim.resetStats();
    const msgs = burst(taskIds);
    const outcomes = await flow.burst(structuredClone(msgs));
    const endings = msgs.map(({ marker }): Ending => {
      const outcome = outcomes.get(marker)!;
      if (outcome.caught) return { error: outcome.caught.error.message, source: outcome.caught.error.source.id };
      should(outcome.out).have.length(1);
      return { result: withoutClock(outcome.out[0]!.payload) };
    });
    const tasks = withoutClock(taskIds.map((id) => sim.get('Task', id)));
    const routes = sim.stats.byRoute;
    await helper.unload();
    await flow.stop();
    return { endings, routes, tasks };
  }

  const single = {
    operation: 'update',
    operationType: 'op',
    entity: 'payload.entity',
    entityType: 'msg',
    fields: 'change',
    fieldsType: 'msg',
  };

  it('50 updates, 1 of them invalid: the same 49 results and 1 error as with coalescing off, in a few _batch requests', async function () {
    const burst = (ids: number[]): Array<Msg & { marker: number }> => [
      ...ids.slice(0, 50).map((id, marker) => ({
        marker,
        payload: { entity: { type: 'Task', id } },
        change:
          marker === 23 ? { sg_status_list: 'no-such-status' } : { sg_status_list: 'rdy', content: `set by ${marker}` },
      })),
      // Refused before anything is sent: no id.
      { marker: 50, payload: { entity: { type: 'Task' } }, change: { content: 'x' } },
    ];
    const off = await run({ ...single, coalesce: 0 }, burst);
    const on = await run({ ...single, coalesce: 5 }, burst);
    should(on.endings).eql(off.endings);
    should(on.tasks).eql(off.tasks);
    should(on.endings.map((e, i) => ('error' in e ? i : -1)).filter((i) => i >= 0)).eql([23, 50]);
    should(on.endings[23]).match({ error: /^FptrError: FPTR 400 /, source: 'n1' });
    should(off.routes[PUT]).eql(50);
    // One batch, then halves down to the invalid update (about 2·log2 50); the last halves of
    // one message each go as that message would alone, a PUT: the invalid one and its neighbours.
    should(on.routes[BATCH]).be.within(2, 14);
    should(on.routes[PUT]).be.within(1, 3);
  });

  it('operation arrays: a message whose 50-entry batch has 1 invalid entry fails as a whole; the others are applied, as with coalescing off', async function () {
    const burst = (ids: number[]): Array<Msg & { marker: number }> => {
      const entries = (from: number, count: number): unknown[] =>
        ids
          .slice(from, from + count)
          .map((id) => ({ operation: 'update', entity: { type: 'Task', id }, data: { sg_status_list: 'ip' } }));
      const big = entries(0, 50);
      big[17] = { operation: 'update', entity: { type: 'Task', id: 999_999 }, data: { sg_status_list: 'ip' } };
      return [
        { marker: 0, payload: entries(50, 5) },
        { marker: 1, payload: big },
        { marker: 2, payload: entries(55, 4) },
        { marker: 3, payload: [{ operation: 'create', entity: 'Note', data: { subject: 'from a burst', project } }] },
      ];
    };
    const config = { operation: 'update', operationType: 'op', coalesce: 5 };
    const off = await run({ ...config, coalesce: 0 }, burst);
    const on = await run(config, burst);
    should(on.endings).eql(off.endings);
    should(on.tasks).eql(off.tasks);
    should(on.endings.map((e) => 'error' in e)).eql([false, true, false, false]);
    should(on.endings[1]).match({ error: /^FptrError: FPTR 404 / });
    should(off.routes[BATCH]).eql(4);
    // All four together, then the halves: [0, 1] (then 0 alone, 1 alone) and [2, 3].
    should(on.routes[BATCH]).be.belowOrEqual(5);
  });

  it('applies writes to the same record in the order the messages arrived', async function () {
    const values = Array.from({ length: 40 }, (_, i) => `take ${i}`);
    const burst = (ids: number[]): Array<Msg & { marker: number }> =>
      values.map((content, marker) => ({
        marker,
        payload: { entity: { type: 'Task', id: ids[0] } },
        change: { content },
      }));
    const on = await run({ ...single, coalesce: 5 }, burst);
    should((on.tasks as Array<{ content: string }>)[0]!.content).eql('take 39');
    should(on.endings.map((e) => (e as { result: { content: string } }).result.content)).eql(values);
  });
});
