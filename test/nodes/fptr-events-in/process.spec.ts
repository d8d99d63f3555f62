import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { FptrSimulator } from '../../../sim';
import type { StoredCursor } from '../../../lib/fptr/events/event-log-cursor';
import { CLAIM_AHEAD } from '../../../lib/fptr/events/event-log-poller';
import { NodeRedRuntime, type RuntimeOptions } from '../../support/webhook-node-red';
import { idRange, waitFor } from '../../support/event-log';

/*
 * fptr-events-in in a real Node-RED process (Node-RED's own red.js in a child process, the
 * package's catalogs, a localfilesystem context store), reading the simulator over loopback.
 * The flow writes every event it sends and every acknowledgement to a file with synchronous
 * appends, so what the file says survives a SIGKILL of the process.
 */

const DEMO = FptrSimulator.DEMO;
const TAB = 'events-tab';
const NODE = 'events-node';

/** A function node that appends `<what> <event id> <attempt>` to the events file. */
function recorder(id: string, what: string, wires: string[][]): Record<string, unknown> {
  return {
    id,
    type: 'function',
    z: TAB,
    x: 300,
    y: 100,
    name: `record ${what}`,
    func: `global.get('fs').appendFileSync(global.get('eventsFile'), '${what} ' + msg.fptr.eventId + ' ' + msg.fptr.attempt + '\\n');\nreturn msg;`,
    outputs: 1,
    wires,
  };
}

interface Lines {
  sent: number[];
  acked: number[];
}

describe('fptr-events-in in a Node-RED process', function () {
  this.timeout(120_000);
  let sim: FptrSimulator;
  let userDir: string;
  let eventsFile: string;
  let runtime: NodeRedRuntime | undefined;

  beforeEach(async function () {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-events-'));
    eventsFile = path.join(userDir, 'events.log');
  });
  afterEach(async function () {
    await runtime?.stop();
    runtime = undefined;
    await sim.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  function start(logLevel = 'warn'): Promise<NodeRedRuntime> {
    const options: RuntimeOptions = {
      userDir,
      asModule: true,
      nodeTypes: ['fptr-site', 'fptr-events-in', 'fptr-acknowledge'],
      globals: { fs: "require('node:fs')", eventsFile: JSON.stringify(eventsFile) },
      settings: {
        contextStorage: {
          default: { module: 'memory' },
          cursor: { module: 'localfilesystem', config: { cache: false } },
        },
        logging: { console: { level: logLevel, metrics: false, audit: false } },
      },
    };
    return NodeRedRuntime.start(options);
  }

  function flow(events: Record<string, unknown>, ack: boolean): unknown[] {
    return [
      { id: TAB, type: 'tab', label: 'event log' },
      {
        id: 'site',
        type: 'fptr-site',
        url: sim.url,
        authType: 'script',
        timeout: 5,
        maxRetries: 1,
        credentials: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
      },
      {
        id: NODE,
        type: 'fptr-events-in',
        z: TAB,
        x: 100,
        y: 100,
        site: 'site',
        interval: 0.1,
        ...events,
        wires: [['rec-sent'], []],
      },
      recorder('rec-sent', 'sent', ack ? [['ack']] : [[]]),
      ...(ack
        ? [
            { id: 'ack', type: 'fptr-acknowledge', z: TAB, x: 500, y: 100, site: 'site', wires: [['rec-acked']] },
            recorder('rec-acked', 'acked', [[]]),
          ]
        : []),
    ];
  }

  function lines(): Lines {
    const out: Lines = { sent: [], acked: [] };
    if (!fs.existsSync(eventsFile)) return out;
    for (const line of fs.readFileSync(eventsFile, 'utf8').split('\n')) {
      const [what, id] = line.split(' ');
      if (what === 'sent' || what === 'acked') out[what].push(Number(id));
    }
    return out;
  }

  function storedCursor(): StoredCursor {
    const file = path.join(userDir, 'context', TAB, `${NODE}.json`);
    const text = fs.readFileSync(file, 'utf8');
    try {
      return (JSON.parse(text) as { fptrEventLogCursor: StoredCursor }).fptrEventLogCursor;
    } catch (e) {
      throw new Error(`${String(e)}: ${text}`);
    }
  }

  /** Ids named in the runtime's log lines that contain `marker` ("12, 15-17"). */
  function loggedIds(log: string, marker: string): number[] {
    const ids: number[] = [];
    for (const line of log.split('\n').filter((l) => l.includes(marker))) {
      const list = line.slice(line.indexOf(marker) + marker.length);
      for (const m of list.matchAll(/(\d+)(?:-(\d+))?/g))
        ids.push(...idRange(Number(m[1]), m[2] ? Number(m[2]) : Number(m[1])));
    }
    return ids.sort((a, b) => a - b);
  }

  it('10,000 events, 3 % committed late (some after the gap window): each existing one sent once, late ones in the window sent, given-up ids in the log', async function () {
    runtime = await start('debug');
    await runtime.deploy(
      flow({ start: 'id', startId: sim.eventLog().at(-1)?.id ?? 0, commit: 'emit', gapWindow: 10 }, false),
    );
    // Held long enough that a node lagging behind a busy machine still reads past them, and a gap
    // window long enough that it sees the missing ids before their neighbours are older than it.
    const hold = sim.eventLog.holdBack({ fraction: 0.025, forMs: 1500, foreverFraction: 0.005, seed: 33 });
    const made: number[] = [];
    const late = new Set<number>();
    const never: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const { firstId, lastId } = sim.generateEvents(500, { projects: [DEMO.projectId], seed: batch + 100 });
      made.push(...idRange(firstId, lastId));
      for (const h of sim.eventLog.held()) {
        if (h.id < firstId) continue;
        if (h.until === null) never.push(h.id);
        else late.add(h.id);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    hold.stop();
    const expected = made.filter((id) => !never.includes(id));
    const givenUp = (): number[] => loggedIds(runtime!.log(), 'after the gap window: ');
    const neverHappened = (): number[] => loggedIds(runtime!.log(), 'Event ids ').filter((id) => never.includes(id));
    await waitFor(
      () => lines().sent.length >= expected.length && givenUp().length + neverHappened().length >= never.length,
      'every event sent and every missing id given up',
      60_000,
    );

    const sent = lines().sent;
    should(new Set(sent).size).eql(sent.length);
    should([...sent].sort((a, b) => a - b)).eql(expected);
    should(sent.filter((id) => !late.has(id)).every((id, i, all) => i === 0 || id > all[i - 1]!)).be.true();
    should(sent.some((id, i) => late.has(id) && i > 0 && sent[i - 1]! > id)).be.true();
    should([...givenUp(), ...neverHappened()].sort((a, b) => a - b)).eql(never);
    should(givenUp().length).be.above(0);
    should(runtime.log()).match(
      /\[warn\] \[fptr-events-in:[^\]]*\] Gave up waiting for \d+ missing event id\(s\) after the gap window: /,
    );
  });

  it('kill -9 mid-stream in ack mode, restart with the same user directory: no event lost, sent again only from the stored in-flight set; a corrupt cursor is reported, not fatal', async function () {
    const startId = sim.eventLog().at(-1)?.id ?? 0;
    const { firstId, lastId } = sim.generateEvents(1200, { projects: [DEMO.projectId] });
    const all = idRange(firstId, lastId);
    runtime = await start();
    await runtime.deploy(flow({ start: 'id', startId, commit: 'ack', maxInFlight: 4, store: 'cursor' }, true));
    await waitFor(() => lines().acked.length >= 300, 'some events acknowledged', 60_000);
    await runtime.kill();
    const atKill = lines();
    const cursor = storedCursor();
    // Out at once (4) plus the events claimed ahead in the same write.
    should(cursor.inFlight.length).be.belowOrEqual(4 + CLAIM_AHEAD);
    should(atKill.acked.length).be.below(all.length);

    // Same user directory: the deployed flow and the stored cursor are still there.
    runtime = await start();
    const ackedBefore = new Set(atKill.acked);
    await waitFor(
      () => {
        const acked = new Set(lines().acked);
        return all.every((id) => acked.has(id));
      },
      'every event acknowledged across the two runs',
      60_000,
    );
    const afterRestart = lines().sent.slice(atKill.sent.length);
    const again = afterRestart.filter((id) => ackedBefore.has(id));
    should(again.every((id) => cursor.inFlight.includes(id))).be.true();
    should(afterRestart.slice(0, cursor.inFlight.length)).eql(cursor.inFlight);
    should(afterRestart.filter((id) => id <= cursor.high && !cursor.inFlight.includes(id))).eql([]);

    // A stored cursor that makes no sense: a warning with the reason, the node starts per Start and stores a new one.
    await runtime.stop();
    const corrupt = { fptrEventLogCursor: { v: 1, high: 'twelve', gaps: [], inFlight: [], site: sim.url } };
    fs.writeFileSync(path.join(userDir, 'context', TAB, `${NODE}.json`), JSON.stringify(corrupt));
    const sentBefore = lines().sent.length;
    runtime = await start();
    await waitFor(() => lines().sent.length > sentBefore, 'events sent again from startId');
    should(lines().sent[sentBefore]).eql(firstId);
    should(runtime.log()).match(
      /\[warn\] \[fptr-events-in:[^\]]*\] The stored cursor cannot be used \(.+\): starting per Start/,
    );
    should(await runtime.alive()).be.true();
    await waitFor(() => storedCursor().high >= firstId, 'a new cursor stored');
  });
});
