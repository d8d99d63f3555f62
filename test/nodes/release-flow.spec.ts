import fs = require('node:fs');
import path = require('node:path');
import should = require('should');
import type { NodeAPI } from 'node-red';
import { FptrSimulator } from '../../sim';
import acknowledgeNode = require('../../nodes/fptr-acknowledge');
import entitySwitchNode = require('../../nodes/fptr-entity-switch');
import eventFilterNode = require('../../nodes/fptr-event-filter');
import findNode = require('../../nodes/fptr-find');
import redeliverNode = require('../../nodes/fptr-redeliver');
import siteNode = require('../../nodes/fptr-site');
import updateNode = require('../../nodes/fptr-update');
import webhookNode = require('../../nodes/fptr-webhook-in');
import { helper } from '../support/runtime';

/*
 * A flow as release 0.1.0 saved it — every node type with every property its editor writes,
 * once with the editor's defaults and once set otherwise (test/fixtures/release-0.1.0-flows.json)
 * — must still deploy as it is: no error, no warning, no red badge. Only the site URLs are
 * pointed at the simulator.
 */

type FlowNode = { id: string; type: string; url?: string; [key: string]: unknown };
type LogEntry = { level: number; msg?: unknown; id?: string; type?: string };

// Node types added later are not in a 0.1.0 flow; this list is what that release shipped.
const RELEASE_0_1_0_TYPES = [
  'fptr-acknowledge',
  'fptr-entity-switch',
  'fptr-event-filter',
  'fptr-find',
  'fptr-redeliver',
  'fptr-site',
  'fptr-update',
  'fptr-webhook-in',
];
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'release-0.1.0-flows.json');
const NODE_MODULES: Array<(RED: NodeAPI) => void> = [
  siteNode,
  webhookNode,
  eventFilterNode,
  entitySwitchNode,
  findNode,
  updateNode,
  acknowledgeNode,
  redeliverNode,
];

describe('a flow saved by release 0.1.0', function () {
  const sim = new FptrSimulator();
  let flow: FlowNode[];

  before(async () => {
    const url = await sim.listen(0, '127.0.0.1');
    flow = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as FlowNode[]).map((node) =>
      node.type === 'fptr-site' ? { ...node, url } : node,
    );
  });
  after(() => sim.close());
  afterEach(() => helper.unload());

  it('holds every node type release 0.1.0 shipped, each still registered by the package', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      'node-red': { nodes: Record<string, string> };
    };
    const saved = [...new Set(flow.map((node) => node.type))].filter((type) => type !== 'tab').sort();
    saved.should.eql(RELEASE_0_1_0_TYPES);
    Object.keys(pkg['node-red'].nodes).should.containDeep(RELEASE_0_1_0_TYPES);
  });

  it('deploys with no error, no warning and no red badge', async function () {
    const { DEMO } = FptrSimulator;
    await helper.load(NODE_MODULES, flow, {
      'rel-site': { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
      'rel-site-tuned': { login: DEMO.login, password: DEMO.password },
      'rel-webhook': { secret: 'release-secret' },
    });
    // The loop guard asks the site who it is; its answer (or a warning) comes shortly after deploy.
    const filter = helper.getNode('rel-filter') as unknown as { status: { lastCall?: { args: [{ fill?: string }] } } };
    for (let i = 0; i < 100 && filter.status.lastCall?.args[0].fill === 'yellow'; i++)
      await new Promise((r) => setTimeout(r, 20));

    // Warnings without a node id come from the test helper registering node types (it has no
    // settings registry), not from the flow.
    const log = helper.log() as unknown as { args: Array<[LogEntry]> };
    const complaints = log.args
      .map(([entry]) => entry)
      .filter((entry) => entry.level <= 20 || (entry.level <= 30 && entry.id !== undefined));
    should(complaints).eql([], 'errors or warnings were logged');
    for (const node of flow.filter((n) => n.type !== 'tab')) {
      const deployed = helper.getNode(node.id) as unknown as {
        status: { args: Array<[{ fill?: string; text?: string }]> };
      } | null;
      should(deployed).not.be.null();
      const red = deployed!.status.args.map(([status]) => status).filter((status) => status.fill === 'red');
      should(red).eql([], `${node.id} showed a red badge`);
    }
  });
});
