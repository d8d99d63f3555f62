import should = require('should');
import { helper } from '../support/runtime';
import updateNode = require('../../nodes/fptr-update');
import { ActionFlow, QUICK_GIVE_UP, DEMO, type Msg } from '../support/action-flow';
import type { FlatRecord } from '../../lib/fptr/client/api';

const BATCH = 'POST /api/v1/entity/_batch';
const PUT = 'PUT /api/v1/entity/{type}/{id}';
const project = { type: 'Project', id: DEMO.projectId };

type Links = Array<{ type: string; id: number }>;
const ids = (links: unknown): number[] => ((links ?? []) as Links).map((l) => l.id).sort((a, b) => a - b);

describe('fptr-update node', function () {
  const flow = new ActionFlow();
  /** A fresh Task per test, so tests do not depend on each other. */
  let task: FlatRecord;
  const event = (extra: Record<string, unknown> = {}): Msg => ({
    payload: {
      event_type: 'Shotgun_Task_Change',
      operation: 'update',
      entity: { type: 'Task', id: task.id },
      project,
      user: { type: 'HumanUser', id: DEMO.humanUserId },
      ...extra,
    },
    fptr: {
      source: 'webhook',
      deliveryId: 'delivery-1',
      receivedAt: new Date().toISOString(),
      batch: { size: 1, index: 0 },
    },
  });

  before(() => flow.start());
  after(() => flow.stop());
  beforeEach(function () {
    task = flow.sim.create('Task', {
      content: 'Comp',
      project,
      sg_status_list: 'ip',
      task_assignees: [{ type: 'HumanUser', id: DEMO.artistIds[0]! }],
    });
    flow.sim.resetStats();
  });
  afterEach(async function () {
    flow.sim.faults.clear();
    await helper.unload();
  });

  describe('one record', function () {
    it('updates the event entity with templated fields, keeping value types, and emits the record', async function () {
      const node = await flow.load(updateNode, {
        type: 'fptr-update',
        fields: JSON.stringify({
          sg_status_list: 'fin',
          sg_description: 'approved by {{payload.user.id}}',
          est_in_mins: '{{payload.minutes}}',
        }),
      });
      const { out, caught } = await flow.send(event({ minutes: 90 }));
      should(caught).be.undefined();
      flow.sim.get('Task', task.id)!.should.containEql({
        sg_status_list: 'fin',
        sg_description: `approved by ${DEMO.humanUserId}`,
        est_in_mins: 90,
      });
      const record = out[0]!.payload as FlatRecord;
      record.should.containEql({ type: 'Task', id: task.id, sg_status_list: 'fin', est_in_mins: 90 });
      out[0]!.should.have.property('fptr').with.property('deliveryId', 'delivery-1');
      node.status.calledWithMatch({ fill: 'green', shape: 'dot', text: 'fptr-update.status.updated' }).should.be.true();
      should(flow.sim.stats.byRoute[PUT]).equal(1);
    });

    it('creates a record, linking it through a whole-value placeholder', async function () {
      await flow.load(updateNode, {
        type: 'fptr-update',
        operation: 'create',
        entity: 'Note',
        entityType: 'str',
        fields: JSON.stringify({
          subject: 'Task {{payload.entity.id}} changed',
          project: '{{payload.project}}',
          tasks: ['{{payload.entity}}'],
        }),
        property: 'note',
      });
      const { out } = await flow.send(event());
      const note = out[0]!.note as FlatRecord;
      note.should.containEql({ type: 'Note', subject: `Task ${task.id} changed` });
      const stored = flow.sim.get('Note', note.id)!;
      should(stored.project).containEql(project);
      ids(stored.tasks).should.eql([task.id]);
      // The result went to msg.note; the event stays in msg.payload.
      (out[0]!.payload as { entity: unknown }).entity!.should.eql({ type: 'Task', id: task.id });
    });

    it('deletes (retires) and revives', async function () {
      await flow.load(updateNode, { type: 'fptr-update', operation: 'delete' });
      (await flow.send(event())).out[0]!.payload!.should.eql({ type: 'Task', id: task.id, deleted: true });
      should(flow.sim.get('Task', task.id)).be.undefined();
      should(flow.sim.get('Task', task.id, { includeRetired: true })).be.ok();
      await helper.unload();
      await flow.load(updateNode, { type: 'fptr-update', operation: 'revive' });
      (await flow.send(event())).out[0]!.payload!.should.eql({ type: 'Task', id: task.id, revived: true });
      should(flow.sim.get('Task', task.id)).be.ok();
    });

    it('takes the operation and the fields from the message without templating them', async function () {
      await flow.load(updateNode, {
        type: 'fptr-update',
        operation: 'operation',
        operationType: 'msg',
        fields: 'fields',
        fieldsType: 'msg',
      });
      const { out } = await flow.send({
        ...event(),
        operation: 'update',
        fields: { sg_description: '{{payload.user.id}} stays literal' },
      });
      (out[0]!.payload as FlatRecord).sg_description!.should.equal('{{payload.user.id}} stays literal');
      flow.sim.get('Task', task.id)!.sg_description!.should.equal('{{payload.user.id}} stays literal');
    });

    const artist = (i: number) => ({ type: 'HumanUser', id: DEMO.artistIds[i]! });
    const modes: Array<['set' | 'add' | 'remove', Links, number[]]> = [
      ['set', [artist(1)], [DEMO.artistIds[1]!]],
      ['add', [artist(1)], [DEMO.artistIds[0]!, DEMO.artistIds[1]!].sort((a, b) => a - b)],
      ['remove', [artist(0)], []],
    ];
    for (const [mode, value, expected] of modes) {
      it(`link lists: ${mode}`, async function () {
        await flow.load(updateNode, {
          type: 'fptr-update',
          fields: 'fields',
          fieldsType: 'msg',
          multiEntityMode: mode,
        });
        const { caught } = await flow.send({ ...event(), fields: { task_assignees: value } });
        should(caught).be.undefined();
        ids(flow.sim.get('Task', task.id)!.task_assignees).should.eql(expected);
      });
    }

    it('lets a field choose its own mode', async function () {
      await flow.load(updateNode, { type: 'fptr-update', fields: 'fields', fieldsType: 'msg', multiEntityMode: 'add' });
      await flow.send({
        ...event(),
        fields: {
          task_assignees: {
            multi_entity_update_mode: 'remove',
            value: [{ type: 'HumanUser', id: DEMO.artistIds[0]! }],
          },
        },
      });
      ids(flow.sim.get('Task', task.id)!.task_assignees).should.eql([]);
    });
  });

  describe('arrays through _batch', function () {
    it('writes 300 updates in 2 _batch requests and changes all 300 records', async function () {
      const assets = flow.sim.bulkCreate(
        'Asset',
        Array.from({ length: 300 }, (_, i) => ({ code: `batch${i}`, project, sg_status_list: 'wtg' })),
      );
      const node = await flow.load(updateNode, { type: 'fptr-update' });
      const payload = assets.map((a, i) => ({
        entity: { type: 'Asset', id: a.id },
        data: { sg_status_list: 'ip', description: `run ${i}` },
      }));
      const { out, caught } = await flow.send({ payload });
      should(caught).be.undefined();
      should(flow.sim.stats.byRoute[BATCH]).equal(2);
      should(flow.sim.stats.byRoute[PUT]).be.undefined();
      for (const [i, a] of assets.entries())
        flow.sim.get('Asset', a.id)!.should.containEql({ sg_status_list: 'ip', description: `run ${i}` });
      const results = out[0]!.payload as FlatRecord[];
      results.map((r) => r.id).should.eql(assets.map((a) => a.id));
      node.status.calledWithMatch({ fill: 'green', text: 'fptr-update.status.batched' }).should.be.true();
    });

    it('mixes create, update and delete in both vocabularies, results in order', async function () {
      const victim = flow.sim.create('Version', { code: 'v001', project });
      await flow.load(updateNode, { type: 'fptr-update' });
      const { out, caught } = await flow.send({
        payload: [
          { request_type: 'create', entity: 'Note', data: { subject: 'batched note', project } },
          { operation: 'update', type: 'Task', id: task.id, fields: { sg_status_list: 'rev' } },
          { request_type: 'delete', entity: 'Version', record_id: victim.id },
        ],
      });
      should(caught).be.undefined();
      const [created, updated, deleted] = out[0]!.payload as Array<Record<string, unknown>>;
      created!.should.containEql({ type: 'Note', subject: 'batched note' });
      updated!.should.containEql({ type: 'Task', id: task.id, sg_status_list: 'rev' });
      deleted!.should.eql({ type: 'Version', id: victim.id, deleted: true });
      flow.sim.find('Note', (r) => r.subject === 'batched note').should.have.length(1);
      should(flow.sim.get('Version', victim.id)).be.undefined();
      should(flow.sim.stats.byRoute[BATCH]).equal(1);
    });

    it('applies nothing when FPTR refuses one entry', async function () {
      await flow.load(updateNode, { type: 'fptr-update' });
      const { out, caught } = await flow.send({
        payload: [
          { type: 'Task', id: task.id, data: { sg_status_list: 'fin' } },
          { type: 'Task', id: task.id, data: { sg_not_a_field: 1 } },
        ],
      });
      out.should.have.length(0);
      caught!.error.message.should.match(/FPTR 400 \(code 103\).*sg_not_a_field/);
      flow.sim.get('Task', task.id)!.sg_status_list!.should.equal('ip');
    });

    const refused: Array<[string, unknown[], RegExp]> = [
      ['a revive', [{ operation: 'revive', type: 'Task', id: 1 }], /revive cannot be batched/],
      ['an element without id', [{ type: 'Task', data: { sg_status_list: 'fin' } }], /payload\[0\]\.entity\.id/],
      ['an empty array', [], /empty array/],
    ];
    for (const [label, payload, error] of refused) {
      it(`refuses ${label} before any request`, async function () {
        await flow.load(updateNode, { type: 'fptr-update' });
        const { caught } = await flow.send({ payload });
        caught!.error.message.should.match(error);
        should(flow.sim.stats.requests).equal(0);
      });
    }
  });

  describe('bad input and FPTR errors', function () {
    /** A payload that refers to itself, as a function node can build. */
    const circular = (m: Msg): Msg => {
      const payload = { ...(m.payload as Record<string, unknown>) };
      payload.loop = { back: payload };
      return { ...m, payload };
    };
    const cases: Array<[string, Record<string, unknown>, (m: Msg) => Msg, RegExp, boolean]> = [
      [
        'a missing record (404, FPTR title)',
        { fields: '{"sg_status_list": "fin"}' },
        (m) => ({ ...m, payload: { entity: { type: 'Task', id: 987654 } } }),
        /FPTR 404 \(code 104\).*987654/,
        false,
      ],
      [
        'an unknown field (permanent 400)',
        { fields: '{"sg_bogus": 1}' },
        (m) => m,
        /FPTR 400 \(code 103\).*sg_bogus/,
        false,
      ],
      ['a bad status value (400)', { fields: '{"sg_status_list": "nope"}' }, (m) => m, /FPTR 400/, false],
      [
        'an event without an entity',
        { fields: '{"sg_status_list": "fin"}' },
        () => ({ payload: { event_type: 'Test_Connection', entity: { type: null, id: 0 } } }),
        /entity/,
        true,
      ],
      ['empty fields on update', { fields: '{}' }, (m) => m, /nothing to update/, true],
      [
        'a placeholder without a value',
        { fields: '{"sg_description": "{{payload.nope}}"}' },
        (m) => m,
        /payload\.nope/,
        true,
      ],
      [
        'an unknown operation from the message',
        { operation: 'operation', operationType: 'msg' },
        (m) => ({ ...m, operation: 'retire' }),
        /create, update, delete, revive/,
        true,
      ],
      ['invalid JSON fields', { fields: '{"a":', fieldsType: 'json' }, (m) => m, /fptr-update\.property\.fields/, true],
      [
        'a placeholder naming an inherited member',
        { fields: '{"sg_description": "by {{payload.constructor}}"}' },
        (m) => m,
        /"\{\{payload\.constructor\}\}" has no value in the message/,
        true,
      ],
      [
        'a whole-value placeholder naming the prototype',
        { fields: '{"sg_description": "{{payload.entity.__proto__}}"}' },
        (m) => m,
        /"\{\{payload\.entity\.__proto__\}\}" has no value/,
        true,
      ],
      [
        'a "__proto__" key among the fields',
        { fields: '{"__proto__": {"sg_status_list": "fin"}}' },
        (m) => m,
        /fields: "__proto__" is not a field name/,
        true,
      ],
      [
        'fields from the message naming the prototype',
        { fields: 'payload.__proto__', fieldsType: 'msg' },
        (m) => m,
        /fields must be an object of field values \(got nothing\)/,
        true,
      ],
      [
        'a placeholder for a circular value',
        { fields: '{"sg_description": "see {{payload.loop}}"}' },
        circular,
        /"\{\{payload\.loop\}\}" cannot be written as text/,
        true,
      ],
    ];
    for (const [label, settings, shape, error, local] of cases) {
      it(`sends the message to Catch on ${label}${local ? ', before any request' : ''}`, async function () {
        const node = await flow.load(updateNode, { type: 'fptr-update', ...settings });
        const msg = shape(event());
        const { out, caught } = await flow.send(msg);
        out.should.have.length(0);
        caught!.error.message.should.match(error);
        should(caught!.payload).eql(msg.payload);
        node.status
          .calledWithMatch({
            fill: 'red',
            shape: 'dot',
            text: local ? 'fptr.status.failed-input' : 'fptr.status.failed-http',
          })
          .should.be.true();
        // Refused locally: nothing sent. Refused by FPTR: sent once, never retried.
        if (local) should(flow.sim.stats.requests).equal(0);
        else should(flow.sim.stats.byRoute[PUT]).equal(1);
        flow.sim.get('Task', task.id)!.sg_status_list!.should.equal('ip');
      });
    }

    it('shows "no site" and fails every message', async function () {
      const node = await flow.load(updateNode, { type: 'fptr-update' }, { noSite: true });
      node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.no-site' }).should.be.true();
      (await flow.send(event())).caught!.error.message.should.match(/fptr\.errors\.no-site/);
    });
  });

  describe('faults', function () {
    it('retries 503 and 429 answers and updates once', async function () {
      flow.sim.faults.add({ method: 'PUT', path: '/api/v1/entity/Task', status: 503, times: 2 });
      flow.sim.faults.add({ method: 'PUT', path: '/api/v1/entity/Task', status: 429, retryAfter: 1, times: 1 });
      await flow.load(updateNode, { type: 'fptr-update', fields: '{"sg_status_list": "fin"}' });
      const { caught } = await flow.send(event());
      should(caught).be.undefined();
      flow.sim.get('Task', task.id)!.sg_status_list!.should.equal('fin');
      should(flow.sim.stats.byRoute[PUT]).equal(4);
      flow.sim
        .eventLog()
        .filter(
          (e) =>
            e.event_type === 'Shotgun_Task_Change' &&
            (e.entity as { id?: number } | null)?.id === task.id &&
            e.attribute_name === 'sg_status_list' &&
            (e.meta as { new_value?: unknown }).new_value === 'fin',
        )
        .should.have.length(1);
    });

    it('retries a batch under 503 and succeeds', async function () {
      flow.sim.faults.add({ method: 'POST', path: '/api/v1/entity/_batch', status: 503, times: 1 });
      await flow.load(updateNode, { type: 'fptr-update' });
      const { caught } = await flow.send({ payload: [{ type: 'Task', id: task.id, data: { sg_status_list: 'hld' } }] });
      should(caught).be.undefined();
      flow.sim.get('Task', task.id)!.sg_status_list!.should.equal('hld');
    });

    it('fails cleanly during a 40 s outage', async function () {
      flow.sim.faults.add({ path: '/api/v1/entity', drop: true, untilMs: 40_000 });
      await flow.load(
        updateNode,
        { type: 'fptr-update', fields: '{"sg_status_list": "fin"}' },
        { site: QUICK_GIVE_UP },
      );
      const { out, caught } = await flow.send(event());
      out.should.have.length(0);
      caught!.error.message.should.match(/Could not reach FPTR.*gave up after 2 attempts/);
      flow.sim.get('Task', task.id)!.sg_status_list!.should.equal('ip');
    });
  });
});
