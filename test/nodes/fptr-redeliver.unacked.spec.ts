import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { FptrSimulator } from '../../sim';
import { eventKey } from '../../lib/fptr/webhook/event-key';
import { eventsOf } from '../../lib/fptr/actions/unacked-sweep';
import { NodeRedRuntime, type RuntimeOptions } from '../support/webhook-node-red';
import { waitFor } from '../support/event-log';

/*
 * The unacknowledged sweep of fptr-redeliver in a real Node-RED process: FPTR's deliveries are
 * answered 200 by fptr-webhook-in but held in the flow when Node-RED is killed (SIGKILL), so
 * FPTR counts them delivered and will not send them again by itself. After the restart one sweep
 * sends them again; the flow records each event in a file (synchronous appends survive a kill)
 * and acknowledges it.
 */

const { taskIds, scriptName, scriptKey } = FptrSimulator.DEMO;
const SECRET = 'unacked-sweep-secret';
const TAB = 'tab';
const CHANGES = 500;

describe('fptr-redeliver: unacknowledged deliveries after Node-RED is killed', function () {
  this.timeout(240_000);
  let sim: FptrSimulator;
  let userDir: string;
  let recordFile: string;
  let runtime: NodeRedRuntime | undefined;

  beforeEach(async function () {
    sim = new FptrSimulator({ webhookBatchWindowMs: 20 });
    await sim.listen(0, '127.0.0.1');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-unacked-'));
    recordFile = path.join(userDir, 'processed.log');
  });
  afterEach(async function () {
    await runtime?.stop();
    runtime = undefined;
    await sim.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** On `port` when given: FPTR keeps calling the URL it was given. */
  function start(port?: number): Promise<NodeRedRuntime> {
    const options: RuntimeOptions = {
      userDir,
      settings: port ? { uiPort: port } : {},
      asModule: true,
      nodeTypes: ['fptr-site', 'fptr-webhook-in', 'fptr-acknowledge', 'fptr-redeliver'],
      globals: { fs: "require('node:fs')", recordFile: JSON.stringify(recordFile) },
    };
    return NodeRedRuntime.start(options);
  }

  /** The webhook, and after it either a flow stuck in a long delay or one that processes and acknowledges. */
  function flows(hookId: string, stuck: boolean): unknown[] {
    return [
      { id: TAB, type: 'tab', label: 'unacked' },
      {
        id: 'site',
        type: 'fptr-site',
        url: sim.url,
        authType: 'script',
        timeout: 10,
        credentials: { scriptName, scriptKey },
      },
      {
        id: 'w1',
        type: 'fptr-webhook-in',
        z: TAB,
        url: '/hook',
        split: true,
        dedupWindow: 600,
        credentials: { secret: SECRET },
        wires: [['hold']],
      },
      // Stuck: an hour per message, so everything is answered and nothing processed.
      {
        id: 'hold',
        type: 'delay',
        z: TAB,
        pauseType: 'delay',
        timeout: '1',
        timeoutUnits: stuck ? 'hours' : 'milliseconds',
        wires: [['record']],
      },
      {
        id: 'record',
        type: 'function',
        z: TAB,
        func: `global.get('fs').appendFileSync(global.get('recordFile'), 'event:' + msg.payload.event_log_entry_id + '|' + (msg.payload.attribute_name || '') + '\\n');\nreturn msg;`,
        outputs: 1,
        wires: [['ack']],
      },
      {
        id: 'ack',
        type: 'fptr-acknowledge',
        z: TAB,
        site: 'site',
        deliveryId: 'fptr.deliveryId',
        deliveryIdType: 'msg',
        format: 'status',
        status: 'success',
        statusType: 'ackStatus',
        detail: '',
        detailType: 'str',
        ack: '',
        ackType: 'str',
        wires: [[]],
      },
      { id: 'sweep', type: 'inject', z: TAB, props: [], repeat: '', once: false, wires: [['redeliver']] },
      {
        id: 'redeliver',
        type: 'fptr-redeliver',
        z: TAB,
        site: 'site',
        mode: 'sweep',
        hookId: hookId,
        hookIdType: 'str',
        windowValue: 60,
        windowUnit: 'minutes',
        concurrency: 8,
        unacked: true,
        unackedGrace: 1,
        property: 'payload',
        wires: [['summary']],
      },
      {
        id: 'summary',
        type: 'function',
        z: TAB,
        func: `global.set('lost', msg.payload.unacknowledged.found); global.set('sweeps', (global.get('sweeps') || 0) + 1); return null;`,
        outputs: 1,
        wires: [],
      },
    ];
  }

  async function sweep(runtime: NodeRedRuntime, number: number): Promise<number> {
    const res = await fetch(`${runtime.url}/inject/sweep`, { method: 'POST' });
    res.status.should.equal(200);
    await runtime.countReaching('sweeps', number);
    return (await runtime.global('lost')) as number;
  }

  const processed = (): string[] =>
    fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8').split('\n').filter(Boolean) : [];

  it(`processes each of ${CHANGES} deliveries answered but not processed before a kill -9, once per event key`, async function () {
    runtime = await start();
    const hookId = sim.createWebhook({
      url: `${runtime.url}/hook`,
      token: SECRET,
      batch_deliveries: false,
      entity_types: { Task: { update: ['content'] } },
    }).id;
    await runtime.deploy(flows(hookId, true), '/hook');
    const tasks = Object.values(taskIds);
    for (let n = 0; n < CHANGES; n++) sim.update('Task', tasks[n % tasks.length]!, { content: `take ${n}` });
    await sim.whenDeliveriesSettled();
    const records = sim.deliveries(hookId);
    records.should.have.length(CHANGES);
    records.every((r) => r.response_code === 200 && r.acknowledgement === null).should.be.true();
    const expected = new Set(records.flatMap((r) => eventsOf(r).map((e) => eventKey(e)!)));
    expected.size.should.equal(CHANGES);

    await runtime.kill();
    processed().should.have.length(0);
    runtime = await start(Number(new URL(runtime.url).port));
    // The fixed flow, as a person would deploy it after the crash.
    await runtime.deploy(flows(hookId, false), '/hook');

    (await sweep(runtime, 1)).should.equal(CHANGES);
    await waitFor(() => processed().length >= CHANGES, 'every lost delivery processed', 120_000);
    await waitFor(
      () => sim.deliveries(hookId).every((r) => r.acknowledgement !== null),
      'every delivery acknowledged',
      60_000,
    );
    // A later sweep finds nothing left; nothing was processed twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    (await sweep(runtime, 2)).should.equal(0);
    const lines = processed();
    lines.should.have.length(CHANGES);
    should(new Set(lines)).eql(expected);
  });
});
