import should = require('should');
import type { EventEmitter } from 'node:events';
import type { Node, NodeMessage } from 'node-red';
import { helper } from '../support/runtime';
import { nextStatus, withCatalog } from '../support/filter-catalog';
import switchNode = require('../../nodes/fptr-entity-switch');
import { entityChange, retiredShot, testConnectionDelivery } from '../support/webhook-fixtures';

type Msg = NodeMessage & Record<string, unknown>;
type FlowNode = Record<string, unknown>;

const TAB = 't1';
const entitySwitch = withCatalog(switchNode, 'fptr-entity-switch');

function placed(n: FlowNode): FlowNode {
  return n.z ? { x: 100, y: 100, ...n } : n;
}

/** A switch with the given rows wired to helper nodes out0…outN (the last one is "otherwise" when on). */
function flow(types: unknown, otherwise: boolean): FlowNode[] {
  const count = (Array.isArray(types) ? types.length : 0) + (otherwise ? 1 : 0);
  const outs = Array.from({ length: count }, (_, i) => `out${i}`);
  return [
    { id: TAB, type: 'tab', label: 'switch tests' },
    {
      id: 's',
      z: TAB,
      type: 'fptr-entity-switch',
      name: '',
      types,
      otherwise,
      outputs: count,
      wires: outs.map((o) => [o]),
    },
    ...outs.map((id) => ({ id, z: TAB, type: 'helper' })),
  ].map(placed);
}

function node(id: string): Node & EventEmitter {
  return helper.getNode(id) as unknown as Node & EventEmitter;
}

async function load(nodes: FlowNode[]): Promise<void> {
  await helper.load(entitySwitch, nodes as unknown as Parameters<typeof helper.load>[1]);
}

/** Every message per output, resolved once `total` messages arrived across them. */
function collect(outputs: number, total: number): Promise<Msg[][]> {
  const seen: Msg[][] = Array.from({ length: outputs }, () => []);
  let count = 0;
  return new Promise((resolve) => {
    seen.forEach((list, i) =>
      node(`out${i}`).on('input', (msg: Msg) => {
        list.push(msg);
        if (++count === total) resolve(seen);
      }),
    );
  });
}

function msgOf(payload: unknown, id: string): Msg {
  return {
    _msgid: id,
    payload,
    topic: 'fptr',
    fptr: { source: 'webhook', receivedAt: '2024-05-02T10:11:12Z', batch: { size: 1, index: 0 } },
  } as Msg;
}

describe('fptr-entity-switch node', () => {
  afterEach(() => helper.unload());

  it('sends each type to its output and the rest to otherwise, unmodified', async () => {
    await load(flow(['Shot', 'Task', 'Asset'], true));
    const sent = [
      msgOf(entityChange('Task'), 'task'),
      msgOf(entityChange('Shot'), 'shot'),
      msgOf(retiredShot, 'retired'),
      msgOf(entityChange('Asset'), 'asset'),
      msgOf(entityChange('Version'), 'version'),
      msgOf(testConnectionDelivery, 'test'),
      msgOf([entityChange('Shot')], 'batch'),
      { _msgid: 'plain', payload: 'hello' } as Msg,
    ];
    const expected = sent.map((m) => JSON.parse(JSON.stringify(m)) as Msg);
    const arrived = collect(4, sent.length);
    sent.forEach((m) => node('s').receive(m));
    const outputs = await arrived;
    should(outputs.map((list) => list.map((m) => m._msgid))).deepEqual([
      ['shot', 'retired'],
      ['task'],
      ['asset'],
      ['version', 'test', 'batch', 'plain'],
    ]);
    const byId = new Map(expected.map((m) => [m._msgid, m]));
    for (const m of outputs.flat()) should(m).deepEqual(byId.get(m._msgid));
  });

  it('drops what no row matches when "otherwise" is off, and counts it', async () => {
    await load(flow(['Note', 'Version'], false));
    should((node('s') as unknown as { wires: string[][] }).wires).have.length(2);
    const status = nextStatus(node('s'), (s) => s.text === 'Note 1 · Version 1 · dropped 2');
    const arrived = collect(2, 2);
    for (const [i, payload] of [
      entityChange('Shot'),
      entityChange('Note'),
      testConnectionDelivery,
      entityChange('Version'),
    ].entries())
      node('s').receive(msgOf(payload, `m${i}`));
    const outputs = await arrived;
    should(outputs.map((list) => list.map((m) => m._msgid))).deepEqual([['m1'], ['m3']]);
    should(await status).deepEqual({ fill: 'green', shape: 'dot', text: 'Note 1 · Version 1 · dropped 2' });
  });

  it('shows the count per output', async () => {
    await load(flow(['Shot', 'Task'], true));
    const status = nextStatus(node('s'), (s) => s.text === 'Shot 2 · Task 1 · otherwise 1');
    const arrived = collect(3, 4);
    for (const [i, payload] of [
      entityChange('Shot'),
      entityChange('Shot', 2),
      entityChange('Task'),
      entityChange('Asset'),
    ].entries())
      node('s').receive(msgOf(payload, `m${i}`));
    await arrived;
    should(await status).deepEqual({ fill: 'green', shape: 'dot', text: 'Shot 2 · Task 1 · otherwise 1' });
  });

  it('routes entity types that defeat a pattern with several stars, without freezing the runtime', async () => {
    // Each of these names cost the regex-based matcher seconds (cubic backtracking), so a handful
    // of them outlasts the test timeout; a linear matcher routes them at once.
    const hostile = 8;
    await load(flow(['*_*_*_Shot', 'Task'], true));
    const arrived = collect(3, hostile + 1);
    for (let i = 0; i < hostile; i++) node('s').receive(msgOf(entityChange('_'.repeat(3000)), `hostile${i}`));
    node('s').receive(msgOf(entityChange('My_Odd_Big_Shot'), 'shot'));
    const outputs = await arrived;
    should(outputs.map((list) => list.map((m) => m._msgid))).deepEqual([
      ['shot'],
      [],
      Array.from({ length: hostile }, (_, i) => `hostile${i}`),
    ]);
  });

  it('sends odd message data to otherwise: circular, deeply nested, entity types that are not names', async () => {
    await load(flow(['Shot', '*Task*'], true));
    const circular: Record<string, unknown> = { event_type: 'Shotgun_Shot_Change' };
    circular.entity = { type: circular, id: 1, self: circular };
    let deep: unknown = { type: 'Shot', id: 1 };
    for (let i = 0; i < 100_000; i++) deep = { entity: deep };
    const odd: unknown[] = [
      circular,
      deep,
      { entity: { type: ['Shot'], id: 1 } },
      { entity: { type: { toString: 'Shot' }, id: 1 } },
      { entity: null, meta: { entity_type: 42 } },
      { entity: { type: 'x'.repeat(1_000_000), id: 1 } },
      Buffer.from('Shot'),
    ];
    const arrived = collect(3, odd.length + 1);
    odd.forEach((payload, i) => node('s').receive(msgOf(payload, `odd${i}`)));
    node('s').receive(msgOf(entityChange('MyTask'), 'task'));
    const outputs = await arrived;
    should(outputs.map((list) => list.map((m) => m._msgid))).deepEqual([[], ['task'], odd.map((_, i) => `odd${i}`)]);
  });

  it('with no rows sends everything to otherwise, and ignores blank or non-text rows', async () => {
    await load(
      [
        { id: TAB, type: 'tab', label: 'switch tests' },
        {
          id: 's',
          z: TAB,
          type: 'fptr-entity-switch',
          types: ['', 7, '  '],
          otherwise: true,
          outputs: 1,
          wires: [['out0']],
        },
        { id: 'out0', z: TAB, type: 'helper' },
      ].map(placed),
    );
    const arrived = collect(1, 2);
    node('s').receive(msgOf(entityChange('Shot'), 'a'));
    node('s').receive(msgOf(retiredShot, 'b'));
    should((await arrived)[0]!.map((m) => m._msgid)).deepEqual(['a', 'b']);
  });
});
