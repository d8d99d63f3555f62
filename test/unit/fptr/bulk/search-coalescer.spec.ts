import fc = require('fast-check');
import should = require('should');
import { SearchCoalescer } from '../../../../lib/fptr/bulk/search-coalescer';
import type { Filters, SearchOptions } from '../../../../lib/fptr/client/api';
import { FptrSimulator } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
import { settled, type Settled } from '../../../support/settled';
import { taskFields, taskFilters, varyDemoTasks } from '../../../support/task-filters';

const SEARCH = 'POST /api/v1/entity/{type}/_search';
const DEMO = FptrSimulator.DEMO;

/** The search each event of the shipped task-status cascade makes (examples/task-status-cascade.json). */
function waitingTasks(entity: { type: string; id: number }, steps: string[]): SearchOptions {
  return {
    filters: [
      ['entity', 'is', entity],
      ['sg_status_list', 'is', 'wtg'],
      ['step.Step.code', 'in', steps],
    ],
    fields: ['content', 'step', 'sg_status_list'],
    returnOnly: 'active',
  };
}

describe('SearchCoalescer against the simulator', () => {
  const env = new ClientSim();
  let sim: FptrSimulator;

  beforeEach(async () => {
    sim = await env.start();
    varyDemoTasks(sim);
  });
  afterEach(() => env.stop());

  const searches = (): number => sim.stats.byRoute[SEARCH] ?? 0;

  /** Each search alone, one after the other, then all together through a coalescer; both answers and the request count. */
  async function compare(
    calls: Array<[string, SearchOptions]>,
    windowMs = 5,
  ): Promise<{ together: Settled[]; alone: Settled[]; requests: number }> {
    const client = env.client();
    const alone = [];
    for (const [type, options] of calls) alone.push(await settled(client.search(type, options)));
    const before = searches();
    const coalescer = new SearchCoalescer(client, { windowMs });
    const together = await Promise.all(calls.map(([type, options]) => settled(coalescer.search(type, options))));
    return { together, alone, requests: searches() - before };
  }

  it('combines the cascade searches of many events into one; each gets its own records', async () => {
    const parents = [
      ...Object.values(DEMO.shotIds).map((id) => ({ type: 'Shot', id })),
      ...Object.values(DEMO.assetIds).map((id) => ({ type: 'Asset', id })),
    ];
    const steps = [['Animation'], ['Lighting'], ['Comp'], ['Rig', 'Surfacing'], ['Layout']];
    const calls = parents.flatMap((p) => steps.map((s): [string, SearchOptions] => ['Task', waitingTasks(p, s)]));
    const { together, alone, requests } = await compare(calls);
    should(together).eql(alone);
    should(requests).eql(1);
    should(together.some((t) => 'ok' in t && Array.isArray(t.ok) && t.ok.length > 0)).be.true();
  });

  it('sends identical searches once and gives each caller its own copy', async () => {
    const client = env.client();
    const coalescer = new SearchCoalescer(client, { windowMs: 5 });
    const options = waitingTasks({ type: 'Shot', id: DEMO.shotIds.sh020 }, ['Animation', 'Lighting']);
    const [a, b] = await Promise.all([coalescer.search('Task', options), coalescer.search('Task', options)]);
    should(a).eql(b).and.have.length(2);
    a[0].content = 'changed by one flow';
    should(b[0].content).not.eql('changed by one flow');
    should(searches()).eql(1);
  });

  it('asks FPTR again for a caller whose filters a record leaves undecided (text in another case)', async () => {
    const calls: Array<[string, SearchOptions]> = [
      ['Task', { filters: [['content', 'is', 'Animation']], fields: ['content'] }],
      ['Task', { filters: [['sg_status_list', 'is', 'fin']], fields: ['content'] }],
    ];
    const { together, alone, requests } = await compare(calls);
    should(together).eql(alone);
    // One Task's content is "animation": FPTR may or may not count it, so the first search went alone.
    should(requests).eql(2);
  });

  it('sends searches it cannot judge as they are, without waiting', async () => {
    const calls: Array<[string, SearchOptions]> = [
      ['Task', { filters: [['entity', 'type_is', 'Shot']], fields: ['content'] }],
      ['Task', { filters: [['sg_status_list', 'is', 'wtg']], fields: ['content'], limit: 2 }],
      ['Task', { filters: [], fields: ['content'] }],
      ['Task', { filters: [['step.Step.code', 'is', 'Comp']], fields: ['*'] }],
      ['Task', { filters: [['sg_status_list', 'is', 'ip']], fields: ['*', 'step.Step.code'] }],
    ];
    const { together, alone, requests } = await compare(calls, 60_000);
    should(together).eql(alone);
    should(requests).eql(calls.length);
  });

  it("combines searches for every field (*) on the record's own fields", async () => {
    const calls: Array<[string, SearchOptions]> = [
      ['Task', { filters: [['sg_status_list', 'is', 'fin']] }],
      ['Task', { filters: [['entity', 'is', { type: 'Shot', id: DEMO.shotIds.sh010 }]], fields: ['*'] }],
    ];
    const { together, alone, requests } = await compare(calls);
    should(together).eql(alone);
    should(requests).eql(1);
  });

  it('keeps the order of a sort', async () => {
    const calls: Array<[string, SearchOptions]> = ['ip', 'wtg', 'fin'].map((s) => [
      'Task',
      { filters: [['sg_status_list', 'is', s]], fields: ['content'], sort: '-content,id' },
    ]);
    const { together, alone, requests } = await compare(calls);
    should(together).eql(alone);
    should(requests).eql(1);
  });

  it('when FPTR refuses the combined search, the caller at fault gets its own error and the others their records', async () => {
    const good = (s: string): [string, SearchOptions] => [
      'Task',
      { filters: [['sg_status_list', 'is', s]], fields: ['content'] },
    ];
    const calls: Array<[string, SearchOptions]> = [
      good('ip'),
      good('wtg'),
      ['Task', { filters: [['no_such_field', 'is', 'x']], fields: ['content'] }],
      good('fin'),
      good('rdy'),
    ];
    const { together, alone } = await compare(calls);
    should(together).eql(alone);
    should(together[2]).match({ error: { status: 400 } });
  });

  it('for arbitrary concurrent searches, each caller gets what its own search gets', async () => {
    const client = env.client();
    const coalescer = new SearchCoalescer(client, { windowMs: 3 });
    const search = fc.record({
      filters: taskFilters,
      fields: taskFields,
      sort: fc.constantFrom(undefined, '-id', 'content'),
    });
    // Random filters often leave a record undecided, so many callers are asked again alone:
    // the sum of requests may come near the number of callers; that some were combined shows
    // the property covered combining at all.
    let combinedRuns = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(search, { minLength: 1, maxLength: 12 }), async (list) => {
        const options = list.map(({ filters, fields, sort }): SearchOptions =>
          sort ? { filters: filters as Filters, fields, sort } : { filters: filters as Filters, fields },
        );
        const alone = [];
        for (const o of options) alone.push(await settled(client.search('Task', o)));
        const before = searches();
        const together = await Promise.all(options.map((o) => settled(coalescer.search('Task', o))));
        if (searches() - before < options.length) combinedRuns++;
        should(together).eql(alone);
      }),
      { numRuns: 120 },
    );
    should(combinedRuns).be.above(0);
  });
});
