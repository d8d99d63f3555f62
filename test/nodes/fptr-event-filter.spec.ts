import should = require('should');
import type { EventEmitter } from 'node:events';
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import { helper } from '../support/runtime';
import { nextStatus, shownStatus, withCatalog } from '../support/filter-catalog';
import filterNode = require('../../nodes/fptr-event-filter');
import siteNode = require('../../nodes/fptr-site');
import { FptrClient } from '../../lib/fptr/client/client';
import type { Delivery, EntityRef } from '../../lib/fptr/contract';
import { FptrSimulator } from '../../sim';
import { taskStatusChange } from '../support/webhook-fixtures';

type Msg = NodeMessage & Record<string, unknown>;
type FlowNode = Record<string, unknown>;

const TAB = 't1';
const filter = withCatalog(filterNode, 'fptr-event-filter');

/** A Task status change by `user` (fields and meta over the usual ones). */
function delivery(user: EntityRef, fields: Partial<Delivery> = {}, meta: Record<string, unknown> = {}): Delivery {
  return taskStatusChange({ id: '170.141.0', user, ...fields }, meta);
}

const jane: EntityRef = { type: 'HumanUser', id: 88 };
const someScript: EntityRef = { type: 'ApiUser', id: 6 };

/** A message as fptr-webhook-in emits it (the message contract: lib/fptr/contract.ts, README "The nodes"). */
function eventMsg(payload: unknown, extra: Record<string, unknown> = {}): Msg {
  return {
    _msgid: `m-${Math.random().toString(36).slice(2)}`,
    payload,
    topic: typeof payload === 'object' && payload && 'event_type' in payload ? String(payload.event_type) : undefined,
    fptr: {
      source: 'webhook',
      webhookId: 'hook-1',
      deliveryId: 'd-1',
      siteUrl: 'https://site.example',
      receivedAt: '2024-05-02T10:11:12.000Z',
      batch: { size: 1, index: 0 },
    },
    ...extra,
  } as Msg;
}

/** Nodes on a tab without x/y count as config nodes, which Catch nodes do not watch. */
function placed(n: FlowNode): FlowNode {
  return n.z ? { x: 100, y: 100, ...n } : n;
}

function flow(filterConfig: FlowNode, extra: FlowNode[] = []): FlowNode[] {
  const outputs = Number(filterConfig.outputs ?? 2);
  return [
    { id: TAB, type: 'tab', label: 'filter tests', ...(filterConfig.tabEnv ? { env: filterConfig.tabEnv } : {}) },
    {
      id: 'f',
      z: TAB,
      type: 'fptr-event-filter',
      name: '',
      loopGuard: false,
      outputs,
      wires: outputs === 2 ? [['match'], ['nomatch']] : [['match']],
      ...filterConfig,
      tabEnv: undefined,
    },
    { id: 'match', z: TAB, type: 'helper' },
    { id: 'nomatch', z: TAB, type: 'helper' },
    { id: 'catcher', z: TAB, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: TAB, type: 'helper' },
    ...extra,
  ].map((n) => placed(JSON.parse(JSON.stringify(n)) as FlowNode));
}

type Modules = Parameters<typeof helper.load>[0];

function load(
  modules: Modules,
  nodes: FlowNode[],
  credentials?: Record<string, Record<string, string>>,
): Promise<void> {
  return helper.load(modules, nodes as unknown as Parameters<typeof helper.load>[1], credentials);
}

function node(id: string): Node & EventEmitter {
  return helper.getNode(id) as unknown as Node & EventEmitter;
}

/** Next message that reaches a helper node. */
function next(id: string): Promise<Msg> {
  return new Promise((resolve) => node(id).once('input', (msg: Msg) => resolve(msg)));
}

/** Resolves once `count` messages reached a helper node. */
function nextN(id: string, count: number): Promise<Msg[]> {
  const seen: Msg[] = [];
  return new Promise((resolve) =>
    node(id).on('input', (msg: Msg) => {
      seen.push(msg);
      if (seen.length === count) resolve(seen);
    }),
  );
}

/** Records every message that reaches a helper node. */
function collect(id: string): Msg[] {
  const seen: Msg[] = [];
  node(id).on('input', (msg: Msg) => seen.push(msg));
  return seen;
}

function send(msg: Msg): void {
  node('f').receive(msg);
}

function snapshot(msg: Msg): Msg {
  return JSON.parse(JSON.stringify(msg)) as Msg;
}

describe('fptr-event-filter node', () => {
  afterEach(() => helper.unload());

  describe('outputs', () => {
    it('sends a matching event on output 1, unmodified (same _msgid, deep-equal)', async () => {
      await load(filter, flow({ eventTypes: 'Shotgun_Task_*', attributeNames: 'sg_status_list' }));
      const noMatch = collect('nomatch');
      const msg = eventMsg(delivery(jane));
      const sent = snapshot(msg);
      const received = next('match');
      send(msg);
      const out = await received;
      should(out._msgid).equal(sent._msgid);
      should(out).deepEqual(sent);
      should(noMatch).be.empty();
    });

    it('sends a non-matching event on output 2 with only filterReason added', async () => {
      await load(filter, flow({ attributeNames: 'sg_status' }));
      const matches = collect('match');
      const msg = eventMsg(delivery(jane));
      const sent = snapshot(msg);
      const received = next('nomatch');
      send(msg);
      const out = await received;
      should(out).deepEqual({ ...sent, filterReason: 'field sg_status_list is not sg_status' });
      should(matches).be.empty();
    });

    it('with one output, drops what does not match and passes the rest in order', async () => {
      await load(filter, flow({ outputs: 1, entityTypes: 'Shot' }));
      const matches = collect('match');
      const shotMsg = eventMsg(delivery(jane, { event_type: 'Shotgun_Shot_Change', entity: { type: 'Shot', id: 1 } }));
      const sent = snapshot(shotMsg);
      const received = next('match');
      send(eventMsg(delivery(jane)));
      send(shotMsg);
      should(await received).deepEqual(sent);
      should(matches).have.length(1);
      should((node('f') as unknown as { wires: string[][] }).wires).have.length(1);
    });

    it('sends a message that is not an FPTR event to the no-match output by default', async () => {
      await load(filter, flow({}));
      const matches = collect('match');
      const payloads: unknown[] = ['text', 42, null, {}, { event_type: 7 }, [delivery(jane)]];
      const missing = nextN('nomatch', payloads.length);
      payloads.forEach((payload) => send({ _msgid: 'x', payload } as Msg));
      const misses = await missing;
      should(matches).be.empty();
      for (const [i, msg] of misses.entries()) {
        should(msg.payload).deepEqual(payloads[i]);
        should(msg.filterReason).equal('not an FPTR event: msg.payload.event_type is missing');
      }
    });

    it('reports a message that is not an FPTR event to a Catch node when asked to', async () => {
      await load(filter, flow({ notEvent: 'error' }));
      const outputs = [...collect('match'), ...collect('nomatch')];
      const msg = { _msgid: 'plain', payload: { hello: 'world' }, topic: 'not fptr' } as Msg;
      const caught = next('caught');
      send(msg);
      const err = await caught;
      should(err._msgid).equal('plain');
      should(err.payload).deepEqual({ hello: 'world' });
      should((err.error as { message: string }).message).equal(
        'Error: Not an FPTR event: msg.payload has no event_type',
      );
      should((err.error as { source: { id: string } }).source.id).equal('f');
      // An event still passes afterwards, and nothing else was sent before it.
      const received = next('match');
      send(eventMsg(delivery(jane)));
      await received;
      should(outputs).be.empty();
    });
  });

  describe('value conditions from typedInputs', () => {
    const changedTo = (v: string, vt: string) => ({ values: [{ op: 'changed-to', v, vt }] });

    it('reads the value from msg for each message', async () => {
      await load(filter, flow(changedTo('wanted', 'msg')));
      const passed = next('match');
      send(eventMsg(delivery(jane), { wanted: 'fin' }));
      should((await passed).wanted).equal('fin');

      const failed = next('nomatch');
      send(eventMsg(delivery(jane), { wanted: 'rev' }));
      should((await failed).filterReason).equal('value condition 1 (changed-to msg.wanted): old "ip", new "fin"');

      const missing = next('nomatch');
      send(eventMsg(delivery(jane)));
      should((await missing).filterReason).equal('value condition 1 (changed-to msg.wanted): no value given');
    });

    it('reads the value from flow and global context at the time of each message', async () => {
      await load(
        filter,
        flow({
          values: [
            { op: 'new-in', v: 'statuses', vt: 'flow' },
            { op: 'old-equals', v: 'from', vt: 'global' },
          ],
        }),
      );
      const context = node('f').context();
      context.flow.set('statuses', ['rev', 'fin']);
      context.global.set('from', 'ip');
      const passed = next('match');
      send(eventMsg(delivery(jane)));
      await passed;

      context.global.set('from', 'wtg');
      const failed = next('nomatch');
      send(eventMsg(delivery(jane)));
      should((await failed).filterReason).match(/^value condition 2 \(old-equals global\.from\)/);
    });

    it('reads env values once, from the flow environment', async () => {
      await load(
        filter,
        flow({ ...changedTo('WANTED_STATUS', 'env'), tabEnv: [{ name: 'WANTED_STATUS', value: 'fin', type: 'str' }] }),
      );
      const passed = next('match');
      send(eventMsg(delivery(jane)));
      await passed;
      const failed = next('nomatch');
      send(eventMsg(delivery(jane, {}, { new_value: 'rev' })));
      should((await failed).filterReason).match(/changed-to env WANTED_STATUS/);
    });

    it('takes numbers and JSON links as typed', async () => {
      await load(
        filter,
        flow({
          values: [
            { op: 'added-contains', v: '{"type":"HumanUser","id":88}', vt: 'json' },
            { op: 'removed-contains', v: '7', vt: 'num' },
          ],
        }),
      );
      const multi = delivery(
        jane,
        { attribute_name: 'task_assignees' },
        {
          attribute_name: 'task_assignees',
          field_data_type: 'multi_entity',
          added: [{ type: 'HumanUser', id: 88, name: 'Jane' }],
          removed: [{ type: 'HumanUser', id: 7, name: 'Sam' }],
        },
      );
      const passed = next('match');
      send(eventMsg(multi));
      await passed;
      const failed = next('nomatch');
      send(eventMsg({ ...multi, meta: { ...multi.meta, added: [] } }));
      should((await failed).filterReason).match(/value condition 1 \(added-contains\): added was \[\]/);
    });

    it('reports an unreadable msg property to a Catch node', async () => {
      await load(filter, flow(changedTo('a..b', 'msg')));
      const caught = next('caught');
      send(eventMsg(delivery(jane)));
      const err = await caught;
      should((err.error as { message: string }).message).match(
        /^Error: Cannot read the value of value condition 1: Invalid property expression/,
      );
    });
  });

  describe('configuration errors', () => {
    const bad: Array<[string, FlowNode, RegExp]> = [
      [
        'a matchEvents map that does not parse',
        { matchEvents: "{'Shotgun_Task_Change': ['sg_status_list']" },
        /matchEvents: expected "," or "}"|unexpected end/,
      ],
      [
        'an unknown operation',
        { operations: 'update,retire' },
        /operation "retire" is not one of create, update, delete, revive/,
      ],
      ['a project id that is not a number', { projectIds: '122, abc' }, /project ids: "abc" is not an id/],
      ['JSON that does not parse', { values: [{ op: 'new-equals', v: '{nope', vt: 'json' }] }, /value condition 1: /],
      [
        'a number that is not one',
        { values: [{ op: 'new-equals', v: 'x1', vt: 'num' }] },
        /value condition 1: "x1" is not a number/,
      ],
      [
        'a link that is neither link nor id',
        { values: [{ op: 'added-contains', v: 'Jane', vt: 'str' }] },
        /neither a link/,
      ],
      [
        'an unsupported value type',
        { values: [{ op: 'new-equals', v: 'x', vt: 'jsonata' }] },
        /values of type "jsonata" are not supported/,
      ],
      ['event types that are not text (hand-edited flow)', { eventTypes: 5 }, /event types must be text \(got 5\)/],
      [
        'a matchEvents setting that is not text',
        { matchEvents: { Shotgun_Task_Change: null } },
        /matchEvents must be text \(got \{"Shotgun_Task_Change":null\}\)/,
      ],
      [
        'value rows that are not a list',
        { values: 'changed-to fin' },
        /value conditions must be a list \(got "changed-to fin"\)/,
      ],
      [
        'a value row that is not a row',
        { values: [null] },
        /value condition 1 must be an \{op, v, vt\} row \(got null\)/,
      ],
      [
        'a matchEvents map whose only key is __proto__',
        { matchEvents: "{'__proto__': ['sg_status_list']}" },
        /matchEvents: "__proto__" is not an event type/,
      ],
      [
        'a matchEvents key named constructor',
        { matchEvents: '{"Shotgun_Task_New": None, "constructor": ["x"]}' },
        /matchEvents: "constructor" is not an event type/,
      ],
      [
        'a matchEvents map nested without end',
        { matchEvents: `{'A': ${'['.repeat(50_000)}` },
        /matchEvents: nested more than 16 levels deep/,
      ],
    ];
    for (const [name, config, reason] of bad) {
      it(`reports ${name} at deploy and for every message`, async () => {
        await load(filter, flow(config));
        const f = node('f') as unknown as {
          error: { calledWithMatch(m: unknown): boolean; firstCall: { args: [string] } };
        };
        should(f.error.firstCall.args[0])
          .match(/^fptr-event-filter: invalid configuration: /)
          .and.match(reason);
        const caught = next('caught');
        const msg = eventMsg(delivery(jane));
        send(msg);
        const err = await caught;
        should(err._msgid).equal(msg._msgid);
        should((err.error as { message: string }).message).match(reason);
      });
    }

    for (const config of [{ operations: 'retire' }, { matchEvents: "{'__proto__': None}" }]) {
      it(`shows a red status for an invalid configuration (${JSON.stringify(config)})`, async () => {
        await load(filter, flow(config));
        const f = node('f') as unknown as { status: { lastCall: { args: [NodeStatus] } } };
        should(shownStatus(f.status.lastCall.args[0], 'fptr-event-filter')).deepEqual({
          fill: 'red',
          shape: 'ring',
          text: 'invalid configuration',
        });
      });
    }
  });

  describe('hostile input', () => {
    // Each of these names cost the regex-based matcher seconds (cubic backtracking over `.*_.*_.*`),
    // so a handful of them outlasts the test timeout; a linear matcher routes them at once.
    const HOSTILE_NAMES = 8;
    const underscores = '_'.repeat(3000);

    it('routes events whose type defeats a pattern with several stars, without freezing the runtime', async () => {
      await load(filter, flow({ eventTypes: '*_*_*Change' }));
      const matches = collect('match');
      const dropped = nextN('nomatch', HOSTILE_NAMES);
      for (let i = 0; i < HOSTILE_NAMES; i++) send(eventMsg(delivery(jane, { event_type: underscores })));
      const passed = next('match');
      send(eventMsg(delivery(jane)));
      should((await passed).payload).have.property('event_type', 'Shotgun_Task_Change');
      for (const msg of await dropped)
        should(msg.filterReason).match(/^event type "_{76}\.\.\. is not \*_\*_\*Change$/);
      should(matches).have.length(1);
    });

    it('routes events whose entity type defeats an entity type pattern with several stars', async () => {
      await load(filter, flow({ entityTypes: '*_*_*Shot' }));
      const dropped = nextN('nomatch', HOSTILE_NAMES);
      for (let i = 0; i < HOSTILE_NAMES; i++) send(eventMsg(delivery(jane, { entity: { type: underscores, id: 1 } })));
      const passed = next('match');
      send(
        eventMsg(delivery(jane, { event_type: 'Shotgun_My_Odd_Shot_Change', entity: { type: 'My_Odd_Shot', id: 2 } })),
      );
      should((await passed).payload).have.property('entity', { type: 'My_Odd_Shot', id: 2 });
      for (const msg of await dropped) should(msg.filterReason).match(/^entity type _{3000} is not \*_\*_\*Shot$/);
    });
  });

  describe('hostile message data', () => {
    /** A status change whose new value refers to itself, as a function node can build. */
    function circularChange(): Delivery {
      const loop: Record<string, unknown> = { name: 'loop' };
      loop.self = loop;
      return delivery(jane, {}, { new_value: loop });
    }
    const circularReason = 'old "ip", new an object that cannot be shown (Converting circular structure to JSON)';

    it('drops a circular value with a readable reason (value fixed in the node)', async () => {
      await load(filter, flow({ values: [{ op: 'new-equals', v: 'fin', vt: 'str' }] }));
      const dropped = next('nomatch');
      send(eventMsg(circularChange()));
      should((await dropped).filterReason).equal(`value condition 1 (new-equals): ${circularReason}`);
    });

    it('drops a circular value with a readable reason (value read from the message)', async () => {
      await load(filter, flow({ values: [{ op: 'new-equals', v: 'expected', vt: 'msg' }] }));
      const dropped = next('nomatch');
      send(eventMsg(circularChange(), { expected: 'fin' }));
      should((await dropped).filterReason).equal(`value condition 1 (new-equals msg.expected): ${circularReason}`);
    });

    it('compares a circular value with itself, and nested values too deep for JSON, without overflowing', async () => {
      await load(
        filter,
        flow({
          values: [
            { op: 'new-equals', v: 'payload.meta.new_value', vt: 'msg' },
            { op: 'old-equals', v: 'ip', vt: 'str' },
          ],
        }),
      );
      const passed = next('match');
      send(eventMsg(circularChange()));
      await passed;
      let deep: unknown = 'fin';
      for (let i = 0; i < 200_000; i++) deep = [deep];
      const dropped = next('nomatch');
      send(eventMsg(delivery(jane, {}, { old_value: deep })));
      should((await dropped).filterReason).match(
        /^value condition 2 \(old-equals\): old an array that cannot be shown \(Maximum call stack size exceeded\), new "fin"$/,
      );
    });

    it('reads msg values through own properties only', async () => {
      await load(filter, flow({ values: [{ op: 'new-equals', v: 'payload.meta.constructor.name', vt: 'msg' }] }));
      const dropped = next('nomatch');
      send(eventMsg(delivery(jane, {}, { new_value: 'Object' })));
      should((await dropped).filterReason).equal(
        'value condition 1 (new-equals msg.payload.meta.constructor.name): no value given',
      );
    });
  });

  describe('status', () => {
    it('counts passed and dropped messages', async () => {
      await load(filter, flow({ outputs: 1, operations: 'update' }));
      const counted = nextStatus(node('f'), (s) => s.text === '3 passed, 2 dropped');
      for (let i = 0; i < 3; i++) send(eventMsg(delivery(jane)));
      send(eventMsg(delivery(jane, { event_type: 'Shotgun_Task_New', operation: 'create' })));
      send({ _msgid: 'x', payload: 'not an event' } as Msg);
      should(await counted).deepEqual({ fill: 'green', shape: 'dot', text: '3 passed, 2 dropped' });
    });
  });

  describe('loop guard without a site', () => {
    it('is on by default and drops changes by every script, saying so in the status', async () => {
      const config = flow({});
      delete config[1]!.loopGuard;
      await load(filter, config);
      const f = node('f') as unknown as { status: { firstCall: { args: [unknown] } } };
      should(f.status.firstCall.args[0]).deepEqual({
        fill: 'yellow',
        shape: 'ring',
        text: '0 passed, 0 dropped · guard: no site, dropping all scripts',
      });
      const dropped = next('nomatch');
      send(eventMsg(delivery(someScript)));
      should((await dropped).filterReason).equal(
        "loop guard: made by a script (ApiUser 6) while the site's own user is unknown",
      );
      const sudo = next('nomatch');
      send(eventMsg(delivery(jane, {}, { sudo_actual_user: { type: 'ApiUser', id: 6, name: 'other' } })));
      should((await sudo).filterReason).match(/^loop guard: /);
      const passed = next('match');
      send(eventMsg(delivery(jane)));
      await passed;
    });

    it('passes scripts when turned off', async () => {
      await load(filter, flow({ loopGuard: false }));
      const passed = next('match');
      send(eventMsg(delivery(someScript)));
      await passed;
    });
  });

  describe('loop guard with a site (FPTR simulator)', () => {
    const DEMO = FptrSimulator.DEMO;
    const script: EntityRef = { type: 'ApiUser', id: DEMO.apiUserId };
    let sim: FptrSimulator;

    beforeEach(async () => {
      sim = new FptrSimulator();
      await sim.listen(0, '127.0.0.1');
    });
    afterEach(() => sim.close());

    const guarded = (): FlowNode[] => [
      ...flow({ loopGuard: true, site: 'site' }),
      { id: 'site', type: 'fptr-site', name: 'sim', url: sim.url, authType: 'script', maxConcurrency: 4, timeout: 10 },
    ];
    const creds = () => ({ site: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey } });
    const resolved = () => nextStatus(node('f'), (s) => s.fill !== 'yellow');

    /** The event log row FPTR writes for a change, as the payload a message would carry. */
    function lastEvent(): Delivery {
      const rows = sim.eventLog();
      return rows[rows.length - 1] as unknown as Delivery;
    }

    it("asks the site for its script and drops that script's own changes, also made via sudo", async () => {
      await load([siteNode, filter], guarded(), creds());
      await resolved();

      const taskId = DEMO.taskIds['sh010/Animation']!;
      sim.update('Task', taskId, { sg_status_list: 'rev' }, script);
      const own = lastEvent();
      should(own.user).containEql(script);

      const sudoClient = new FptrClient({
        url: sim.url,
        auth: { grant: 'client_credentials', scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
        sudoAs: DEMO.login,
      });
      try {
        await sudoClient.update('Task', taskId, { sg_status_list: 'ip' });
      } finally {
        await sudoClient.close();
      }
      const viaSudo = lastEvent();
      should(viaSudo.user).containEql({ type: 'HumanUser', id: DEMO.humanUserId });
      should(viaSudo.meta?.sudo_actual_user).containEql(script);

      sim.update('Task', taskId, { sg_status_list: 'fin' }, { type: 'HumanUser', id: DEMO.artistIds[0]! });
      const human = lastEvent();
      const otherScript = sim.addScript('other_tool', 'other-key');
      sim.update('Task', taskId, { sg_status_list: 'hld' }, otherScript);
      const other = lastEvent();

      const passing = nextN('match', 2);
      const dropped = collect('nomatch');
      for (const payload of [own, viaSudo, human, other]) send(eventMsg(payload));
      const passed = await passing;
      should(passed.map((m) => (m.payload as Delivery).user)).deepEqual([human.user, other.user]);
      should(dropped.map((m) => m.filterReason)).deepEqual([
        `loop guard: made by this site's own user (ApiUser ${DEMO.apiUserId})`,
        `loop guard: made by this site's own user (ApiUser ${DEMO.apiUserId})`,
      ]);
    });

    it('drops every script while the site cannot answer, then retries and narrows to its own script', async () => {
      sim.faults.add({ method: 'POST', path: '/api/v1/auth/access_token', status: 400, times: 1 });
      await load([siteNode, filter], guarded(), creds());
      const f = node('f') as unknown as Node & { warn: { calledWithMatch(m: unknown): boolean } };
      const unresolved = await nextStatus(node('f'), (s) => /unknown/.test(s.text ?? ''));
      should(unresolved).deepEqual({
        fill: 'yellow',
        shape: 'ring',
        text: "0 passed, 0 dropped · guard: site's script unknown, dropping all scripts",
      });
      should(f.warn.calledWithMatch(/^Loop guard cannot ask the site for its user \(/)).be.true();

      const dropped = next('nomatch');
      send(eventMsg(delivery(someScript)));
      should((await dropped).filterReason).match(/own user is unknown/);

      should(await resolved()).deepEqual({ fill: 'green', shape: 'dot', text: '0 passed, 1 dropped' });
      const passed = next('match');
      send(eventMsg(delivery(someScript)));
      await passed;
      const own = next('nomatch');
      send(eventMsg(delivery(script)));
      should((await own).filterReason).match(/own user/);
    });
  });
});
