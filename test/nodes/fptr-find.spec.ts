import should = require('should');
import { helper } from '../support/runtime';
import findNode = require('../../nodes/fptr-find');
import siteNode = require('../../nodes/fptr-site');
import { ActionFlow, QUICK_GIVE_UP, DEMO, type Msg } from '../support/action-flow';

// Core split/join nodes (one module registers both), to show a join rebuilds what find split.
const splitJoinNodes = require('@node-red/nodes/core/sequence/17-split.js') as typeof findNode;
import type { FlatRecord } from '../../lib/fptr/client/api';

const SEARCH = 'POST /api/v1/entity/{type}/_search';

describe('fptr-find node', function () {
  const flow = new ActionFlow();
  const taskEvent = (): Msg => ({
    payload: { event_type: 'Shotgun_Task_Change', entity: { type: 'Task', id: DEMO.taskIds['sh010/Animation'] } },
    fptr: { source: 'webhook', deliveryId: 'd-1', receivedAt: new Date().toISOString(), batch: { size: 1, index: 0 } },
  });

  before(async function () {
    await flow.start();
    flow.sim.bulkCreate(
      'Asset',
      Array.from({ length: 1200 }, (_, i) => ({
        code: `bulk${String(i).padStart(4, '0')}`,
        sg_asset_type: i % 3 === 0 ? 'Prop' : 'Character',
        project: { type: 'Project', id: DEMO.projectId },
      })),
    );
  });
  after(() => flow.stop());
  afterEach(async function () {
    flow.sim.faults.clear();
    flow.sim.resetStats();
    await helper.unload();
  });

  describe('search', function () {
    it('returns every record of a 1,200-row search over several pages in one message', async function () {
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "starts_with", "bulk"]]',
        filtersType: 'json',
        fields: 'code',
        fieldsType: 'str',
        limit: '0',
        limitType: 'num',
      });
      const { out, caught } = await flow.send(taskEvent());
      should(caught).be.undefined();
      out.should.have.length(1);
      const records = out[0]!.payload as FlatRecord[];
      records.should.have.length(1200);
      new Set(records.map((r) => r.id)).size.should.equal(1200);
      records[0]!.should.have.properties({ type: 'Asset', code: 'bulk0000' });
      // Paged at 500: 500 + 500 + 200.
      should(flow.sim.stats.byRoute[SEARCH]).equal(3);
      // The rest of the message is kept: acknowledge can follow.
      out[0]!.should.have.property('fptr').with.property('deliveryId', 'd-1');
    });

    it('applies hash filters with a nested or, fields, sort and limit', async function () {
      const filters = {
        logical_operator: 'and',
        conditions: [
          ['project', 'is', { type: 'Project', id: DEMO.projectId }],
          {
            logical_operator: 'or',
            conditions: [
              ['code', 'is', 'bulk0003'],
              ['code', 'is', 'bulk0007'],
              ['code', 'is', 'bulk0010'],
            ],
          },
        ],
      };
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: JSON.stringify(filters),
        filtersType: 'json',
        fields: '["code", "sg_asset_type"]',
        fieldsType: 'json',
        sort: '-code',
        sortType: 'str',
        limit: '2',
        limitType: 'num',
      });
      const { out } = await flow.send({ payload: null });
      const records = out[0]!.payload as FlatRecord[];
      records.map((r) => r.code).should.eql(['bulk0010', 'bulk0007']);
      records[0]!.should.have.property('sg_asset_type', 'Character');
      records[0]!.should.not.have.property('description');
    });

    it('takes entity type, filters, fields and sort from the message', async function () {
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'topic',
        entityType: 'msg',
        filters: 'filters',
        filtersType: 'msg',
        fields: 'fields',
        fieldsType: 'msg',
        sort: 'sort',
        sortType: 'msg',
        limit: 'limit',
        limitType: 'msg',
      });
      const shot = DEMO.shotIds.sh010;
      const { out } = await flow.send({
        topic: 'Task',
        filters: [['entity', 'is', { type: 'Shot', id: shot }]],
        fields: ['content', 'entity', 'step'],
        sort: 'content',
        limit: 0,
      });
      const records = out[0]!.payload as FlatRecord[];
      records.length.should.be.above(1);
      records
        .map((r) => r.content)
        .should.eql(
          records
            .map((r) => r.content)
            .slice()
            .sort(),
        );
      for (const r of records) should(r.entity).containEql({ type: 'Shot', id: shot, name: 'sh010' });
      flow.sim
        .find('Task', (r) => (r.entity as { id?: number } | null)?.id === shot)
        .length.should.equal(records.length);
    });

    it('builds filters with JSONata from the event', async function () {
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Task',
        entityType: 'str',
        filters: '[["entity", "is", payload.entity]]',
        filtersType: 'jsonata',
        fields: 'content',
        fieldsType: 'str',
      });
      const { out, caught } = await flow.send({ payload: { entity: { type: 'Shot', id: DEMO.shotIds.sh020 } } });
      should(caught).be.undefined();
      (out[0]!.payload as FlatRecord[]).length.should.equal(
        flow.sim.find('Task', (r) => (r.entity as { id?: number } | null)?.id === DEMO.shotIds.sh020).length,
      );
    });

    it('sends one message per record with parts a join node understands', async function () {
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "starts_with", "bulk000"]]',
        filtersType: 'json',
        fields: 'code',
        sort: 'code',
        output: 'split',
        property: 'record',
      });
      const { out } = await flow.send({ payload: 'kept', parts: { id: 'outer', index: 2, count: 5 } });
      out.should.have.length(10);
      out.map((m) => (m.record as FlatRecord).code).should.eql(Array.from({ length: 10 }, (_, i) => `bulk000${i}`));
      const ids = new Set(out.map((m) => (m.parts as { id: string }).id));
      ids.size.should.equal(1);
      out.forEach((m, index) => {
        m.parts!.should.containEql({ index, count: 10, type: 'array', len: 1 });
        should((m.parts as { parts: unknown }).parts).eql({ id: 'outer', index: 2, count: 5 });
        m.payload!.should.equal('kept');
      });
      // Separate message objects, not one object sent ten times.
      (out[0] === out[1]).should.be.false();
    });

    it('lets a core join node in automatic mode rebuild the array', async function () {
      const at = { z: 'tab', x: 100, y: 100 };
      const nodes: Array<{ id: string; type: string; [key: string]: unknown }> = [
        { id: 'tab', type: 'tab', label: 'join' },
        { id: 'site', type: 'fptr-site', url: flow.sim.url, authType: 'script' },
        {
          id: 'find',
          ...at,
          type: 'fptr-find',
          site: 'site',
          entity: 'Asset',
          entityType: 'str',
          filters: '[["code", "starts_with", "bulk01"]]',
          filtersType: 'json',
          fields: 'code',
          sort: 'code',
          output: 'split',
          wires: [['join']],
        },
        { id: 'join', ...at, type: 'join', mode: 'auto', wires: [['joined']] },
        { id: 'joined', ...at, type: 'helper' },
      ];
      await helper.load([siteNode, findNode, splitJoinNodes], nodes, {
        site: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
      });
      const joined = new Promise<Msg>((resolve) => helper.getNode('joined').once('input', resolve));
      helper.getNode('find').receive({ payload: 'go' });
      const msg = await joined;
      (msg.payload as FlatRecord[])
        .map((r) => r.code)
        .should.eql(Array.from({ length: 100 }, (_, i) => `bulk01${String(i).padStart(2, '0')}`));
      should(msg.parts).be.undefined();
    });

    it('sends nothing for no records in split mode, and an empty array otherwise', async function () {
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "nope"]]',
        filtersType: 'json',
        output: 'split',
      });
      (await flow.send({})).out.should.have.length(0);
      await helper.unload();
      const node = await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "nope"]]',
        filtersType: 'json',
      });
      (await flow.send({})).out[0]!.payload!.should.eql([]);
      node.status.calledWithMatch({ fill: 'green', shape: 'dot', text: 'fptr-find.status.found' }).should.be.true();
    });

    it('finds retired records only when asked', async function () {
      const doomed = flow.sim.create('Asset', {
        code: 'retired-one',
        project: { type: 'Project', id: DEMO.projectId },
      });
      flow.sim.retire('Asset', doomed.id);
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "retired-one"]]',
        filtersType: 'json',
      });
      (await flow.send({})).out[0]!.payload!.should.eql([]);
      await helper.unload();
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "retired-one"]]',
        filtersType: 'json',
        returnOnly: 'retired',
      });
      ((await flow.send({})).out[0]!.payload as FlatRecord[]).map((r) => r.id).should.eql([doomed.id]);
    });
  });

  describe('read by id', function () {
    it('reads the entity of an event by default', async function () {
      const node = await flow.load(findNode, {
        type: 'fptr-find',
        mode: 'read',
        entity: 'payload.entity.type',
        entityType: 'msg',
        fields: 'content, sg_status_list, entity, step',
      });
      const { out } = await flow.send(taskEvent());
      const record = out[0]!.payload as FlatRecord;
      record.should.containEql({ type: 'Task', id: DEMO.taskIds['sh010/Animation'], content: 'Animation' });
      should(record.step).containEql({ type: 'Step', id: DEMO.stepIds.Animation });
      node.status.calledWithMatch({ fill: 'green', shape: 'dot', text: 'fptr-find.status.read' }).should.be.true();
    });

    it("sends a missing record to Catch with FPTR's message", async function () {
      const node = await flow.load(findNode, {
        type: 'fptr-find',
        mode: 'read',
        entity: 'Task',
        entityType: 'str',
        entityId: '999999',
        entityIdType: 'num',
      });
      const msg = { payload: 'original', topic: 't' };
      const { out, caught } = await flow.send(msg);
      out.should.have.length(0);
      should(caught).be.ok();
      caught!.error.message.should.match(/FPTR 404 \(code 104\)/);
      caught!.payload!.should.equal('original');
      node.status.calledWithMatch({ fill: 'red', shape: 'dot', text: 'fptr.status.failed-http' }).should.be.true();
    });
  });

  describe('bad input', function () {
    /** An array holding itself, as a function node can build. */
    const circular = (): unknown[] => {
      const list: unknown[] = [];
      list.push(list);
      return list;
    };
    // [label, node settings, message, error, refused before any request]
    const cases: Array<[string, Record<string, unknown>, Msg, RegExp, boolean]> = [
      [
        'an unknown field in a filter (FPTR 400 code 103)',
        { filters: '[["sg_nope", "is", 1]]', filtersType: 'json' },
        {},
        /FPTR 400 \(code 103\).*sg_nope/,
        false,
      ],
      [
        'an invalid relation (FPTR 400)',
        { filters: '[["code", "resembles", 1]]', filtersType: 'json' },
        {},
        /FPTR 400/,
        false,
      ],
      ['an unknown entity type (FPTR 404)', { entity: 'Spaceship' }, {}, /FPTR 404.*Spaceship/, false],
      [
        'uppercase AND',
        { filters: 'f', filtersType: 'msg' },
        { f: { logical_operator: 'AND', conditions: [] } },
        /"and" or "or"/,
        true,
      ],
      ['a malformed condition', { filters: 'f', filtersType: 'msg' }, { f: [['code', 'is']] }, /filters\[0\]/, true],
      ['a negative limit', { limit: '-1', limitType: 'num' }, {}, /whole number/, true],
      [
        'an entity type taken from a missing property',
        { entity: 'payload.nope', entityType: 'msg' },
        { payload: {} },
        /entity type must be/,
        true,
      ],
      [
        'a read id that is not a number',
        { mode: 'read', entityId: 'payload', entityIdType: 'msg' },
        { payload: 'abc' },
        /must be a positive whole number/,
        true,
      ],
      [
        'a malformed message property path',
        { entity: 'payload..type', entityType: 'msg' },
        {},
        /fptr-find\.property\.entity/,
        true,
      ],
      ['broken JSONata', { filters: '[[', filtersType: 'jsonata' }, {}, /fptr-find\.property\.filters/, true],
      [
        'an entity type naming an inherited member',
        { entity: 'payload.constructor.name', entityType: 'msg' },
        { payload: {} },
        /entity type must be a name such as Task or CustomEntity03 \(got undefined\)/,
        true,
      ],
      [
        'a circular filter list',
        { filters: 'f', filtersType: 'msg' },
        { f: [circular()] },
        /filters\[0\] must be \[field, relation, value\] \(got an array that cannot be shown \(Converting circular structure to JSON\)\)/,
        true,
      ],
    ];
    for (const [label, settings, msg, error, local] of cases) {
      it(`fails cleanly on ${label}${local ? ', before any request' : ''}`, async function () {
        const node = await flow.load(findNode, { type: 'fptr-find', entity: 'Asset', entityType: 'str', ...settings });
        const { out, caught } = await flow.send({ ...msg, marker: 'm' });
        out.should.have.length(0);
        should(caught).be.ok();
        caught!.error.message.should.match(error);
        caught!.marker!.should.equal('m');
        caught!.error.source.id.should.equal('n1');
        node.status
          .calledWithMatch({
            fill: 'red',
            shape: 'dot',
            text: local ? 'fptr.status.failed-input' : 'fptr.status.failed-http',
          })
          .should.be.true();
        if (local) should(flow.sim.stats.requests).equal(0);
      });
    }

    it('shows "no site" and fails every message when no site is chosen', async function () {
      const node = await flow.load(
        findNode,
        { type: 'fptr-find', entity: 'Asset', entityType: 'str' },
        { noSite: true },
      );
      node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.no-site' }).should.be.true();
      const { caught } = await flow.send({ payload: 1 });
      caught!.error.message.should.equal('Error: fptr.errors.no-site');
      should(flow.sim.stats.requests).equal(0);
    });

    it('sends the message to Catch when "Result in" is not a usable property path', async function () {
      const node = await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "bulk0001"]]',
        filtersType: 'json',
        property: 'payload..records',
      });
      const { out, caught } = await flow.send({ payload: 'p' });
      out.should.have.length(0);
      caught!.error.message.should.match(/Invalid property expression/);
      caught!.payload!.should.equal('p');
      node.status.calledWithMatch({ fill: 'red', shape: 'dot', text: 'fptr.status.failed-input' }).should.be.true();
    });

    it('never puts the script key into an error', async function () {
      await flow.load(
        findNode,
        { type: 'fptr-find', entity: 'Asset', entityType: 'str' },
        { credentials: { scriptName: DEMO.scriptName, scriptKey: 'wrong-key-s3cr3t' } },
      );
      const { caught } = await flow.send({ payload: 1 });
      caught!.error.message.should.match(/FPTR 400.*Can't authenticate script/);
      JSON.stringify(caught).should.not.containEql('wrong-key-s3cr3t');
    });
  });

  describe('faults', function () {
    it('retries 429 and 503 answers and succeeds', async function () {
      flow.sim.faults.add({ method: 'POST', path: '/api/v1/entity/Asset/_search', status: 503, times: 2 });
      flow.sim.faults.add({
        method: 'POST',
        path: '/api/v1/entity/Asset/_search',
        status: 429,
        retryAfter: 1,
        times: 1,
      });
      await flow.load(findNode, {
        type: 'fptr-find',
        entity: 'Asset',
        entityType: 'str',
        filters: '[["code", "is", "bulk0001"]]',
        filtersType: 'json',
      });
      const started = Date.now();
      const { out, caught } = await flow.send({});
      should(caught).be.undefined();
      ((out[0]!.payload as FlatRecord[])[0]!.code as string).should.equal('bulk0001');
      should(flow.sim.stats.byRoute[SEARCH]).equal(4);
      (Date.now() - started).should.be.aboveOrEqual(1000);
    });

    it('fails cleanly during a 40 s outage, long before it ends', async function () {
      flow.sim.faults.add({ path: '/api/v1/entity', drop: true, untilMs: 40_000 });
      await flow.load(findNode, { type: 'fptr-find', entity: 'Asset', entityType: 'str' }, { site: QUICK_GIVE_UP });
      const started = Date.now();
      const { out, caught } = await flow.send({ payload: 'p' });
      out.should.have.length(0);
      caught!.error.message.should.match(/Could not reach FPTR.*gave up after 2 attempts/);
      (Date.now() - started).should.be.below(10_000);
      caught!.payload!.should.equal('p');
    });
  });
});
