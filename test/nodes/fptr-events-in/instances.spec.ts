import crypto = require('node:crypto');
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { FptrSimulator } from '../../../sim';
import type { StoredCursor } from '../../../lib/fptr/events/event-log-cursor';
import { RedisState } from '../../../lib/state/redis-state';
import type { Health, SharedState } from '../../../lib/state/shared-state';
import { idRange, waitFor } from '../../support/event-log';
import { redisForSuite } from '../../support/redis-server';
import { NodeRedRuntime } from '../../support/webhook-node-red';

/*
 * fptr-events-in on two Node-RED processes whose site shares a real redis-server: one polls,
 * the other stands by; kill -9 of the leader hands the node to the other within the lease
 * time, from the cursor the leader left in Redis (issue 16's must-show).
 */

const DEMO = FptrSimulator.DEMO;
const TAB = 'events-tab';
const NODE = 'events-node';
const LEASE_MS = 3000;

/** A function node that appends `<what> <event id>` to this instance's events file. */
function recorder(id: string, what: string, wires: string[][]): Record<string, unknown> {
  return {
    id,
    type: 'function',
    z: TAB,
    func: `global.get('fs').appendFileSync(global.get('eventsFile'), '${what} ' + msg.fptr.eventId + '\\n');\nreturn msg;`,
    outputs: 1,
    wires,
  };
}

/** Appends each badge of the events node (fill, shape, text) to this instance's badges file. */
const BADGE = `global.get('fs').appendFileSync(global.get('badgesFile'), msg.status.fill + ' ' + msg.status.shape + ' ' + msg.status.text + '\\n'); return null;`;

interface Instance {
  name: string;
  runtime: NodeRedRuntime;
  eventsFile: string;
  badgesFile: string;
}

function healthBecomes(state: SharedState, health: Health): Promise<void> {
  if (state.health === health) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (next: Health): void => {
      if (next !== health) return;
      state.off('health', listener);
      resolve();
    };
    state.on('health', listener);
  });
}

describe('fptr-events-in on two Node-RED instances sharing Redis', function () {
  this.timeout(180_000);
  let sim: FptrSimulator;
  const redis = redisForSuite();
  let dir: string;
  let instances: Instance[] = [];
  let reader: RedisState | undefined;
  beforeEach(async () => {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-events-instances-'));
  });
  afterEach(async () => {
    for (const { runtime } of instances) {
      await runtime.stop();
      fs.rmSync(runtime.userDir, { recursive: true, force: true });
    }
    instances = [];
    await reader?.close();
    reader = undefined;
    await sim?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function flow(prefix: string, startId: number): unknown[] {
    return [
      { id: TAB, type: 'tab', label: 'event log' },
      {
        id: 'site',
        type: 'fptr-site',
        url: sim.url,
        authType: 'script',
        timeout: 5,
        maxRetries: 1,
        redisUrl: redis().url,
        redisPrefix: prefix,
        credentials: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey },
      },
      {
        id: NODE,
        type: 'fptr-events-in',
        z: TAB,
        site: 'site',
        interval: 0.1,
        start: 'id',
        startId,
        commit: 'ack',
        maxInFlight: 4,
        wires: [['rec-sent'], []],
      },
      recorder('rec-sent', 'sent', [['ack']]),
      { id: 'ack', type: 'fptr-acknowledge', z: TAB, site: 'site', wires: [['rec-acked']] },
      recorder('rec-acked', 'acked', [[]]),
      { id: 'badges', type: 'status', z: TAB, scope: [NODE], wires: [['rec-badge']] },
      { id: 'rec-badge', type: 'function', z: TAB, func: BADGE, outputs: 1, wires: [] },
    ];
  }

  async function startInstance(name: string): Promise<Instance> {
    const eventsFile = path.join(dir, `${name}.events`);
    const badgesFile = path.join(dir, `${name}.badges`);
    const runtime = await NodeRedRuntime.start({
      asModule: true,
      nodeTypes: ['fptr-site', 'fptr-events-in', 'fptr-acknowledge'],
      globals: {
        fs: "require('node:fs')",
        eventsFile: JSON.stringify(eventsFile),
        badgesFile: JSON.stringify(badgesFile),
      },
      settings: { fptrEventsInLeaseMs: LEASE_MS },
    });
    return { name, runtime, eventsFile, badgesFile };
  }

  const read = (file: string): string[] =>
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const ids = (instance: Instance, what: 'sent' | 'acked'): number[] =>
    read(instance.eventsFile)
      .filter((line) => line.startsWith(`${what} `))
      .map((line) => Number(line.split(' ')[1]));

  it('one instance polls, the other shows standby; kill -9 of the leader: the other takes over, no event lost, sent again only from the in-flight set', async function () {
    const prefix = `ev${crypto.randomBytes(4).toString('hex')}:`;
    const startId = sim.eventLog().at(-1)?.id ?? 0;
    const { firstId, lastId } = sim.generateEvents(1500, { projects: [DEMO.projectId] });
    const all = idRange(firstId, lastId);
    instances = await Promise.all(['a', 'b'].map(startInstance));
    for (const instance of instances) await instance.runtime.deploy(flow(prefix, startId));

    await waitFor(() => instances.some((i) => ids(i, 'acked').length >= 300), 'some events acknowledged', 60_000);
    const leader = instances.find((i) => ids(i, 'sent').length > 0)!;
    const follower = instances.find((i) => i !== leader)!;
    // Only one instance polls: the other has sent nothing and says it stands by.
    ids(follower, 'sent').should.eql([]);
    await waitFor(() => read(follower.badgesFile).some((b) => b.includes('standby')), 'the follower shows standby');

    await leader.runtime.kill();
    const atKill = { sent: ids(leader, 'sent'), acked: new Set(ids(leader, 'acked')) };
    // What the leader left in Redis: the cursor its successor starts from.
    reader = new RedisState({ url: redis().url, prefix, instanceId: 'test' });
    await healthBecomes(reader, 'up');
    const cursor = (await reader.get(`events-in:${NODE}:cursor`))!.value as StoredCursor;
    should(atKill.acked.size).be.below(all.length);

    // The follower takes over within the lease time (plus a poll), then sends the rest.
    await waitFor(() => ids(follower, 'sent').length > 0, 'the follower takes over', LEASE_MS + 10_000);
    // Committed before the kill: acknowledged as the leader's file says, or finished as its stored
    // cursor says (the commit is stored before the message goes on to the recorder, so a kill can
    // fall between the two).
    const unfinished = new Set([...cursor.inFlight, ...cursor.gaps.map(([id]) => id)]);
    const committed = all.filter((id) => atKill.acked.has(id) || (id <= cursor.high && !unfinished.has(id)));
    const missing = (): number[] => {
      const acked = new Set([...committed, ...ids(follower, 'acked')]);
      return all.filter((id) => !acked.has(id));
    };
    await waitFor(() => missing().length === 0, 'every event acknowledged across the two instances', 60_000).catch(
      (err: Error) => {
        const left = missing();
        throw new Error(
          `${err.message}: ${left.length} not acknowledged (first ${left.slice(0, 5).join(', ')}); cursor at kill ${JSON.stringify(cursor)}; follower sent ${ids(follower, 'sent').length}\n${follower.runtime.log().slice(-3000)}`,
        );
      },
    );
    const afterTakeover = ids(follower, 'sent');
    // Sent again: only what the leader had in flight, and that first.
    const again = afterTakeover.filter((id) => atKill.acked.has(id));
    should(again.every((id) => cursor.inFlight.includes(id))).be.true();
    should(afterTakeover.slice(0, cursor.inFlight.length)).eql(cursor.inFlight);
    should(afterTakeover.filter((id) => id <= cursor.high && !cursor.inFlight.includes(id))).eql([]);
    // Nothing the leader had not reached was skipped, and nothing is sent twice by the new leader.
    should(new Set(afterTakeover).size).equal(afterTakeover.length);
    await waitFor(() => read(follower.badgesFile).at(-1)?.startsWith('green dot') === true, 'the new leader caught up');
  });

  it('a leader paused past its lease (SIGSTOP) cannot move the cursor back when it wakes, and stands by', async function () {
    const prefix = `ev${crypto.randomBytes(4).toString('hex')}:`;
    const startId = sim.eventLog().at(-1)?.id ?? 0;
    const { firstId, lastId } = sim.generateEvents(800, { projects: [DEMO.projectId] });
    const all = idRange(firstId, lastId);
    instances = await Promise.all(['a', 'b'].map(startInstance));
    for (const instance of instances) await instance.runtime.deploy(flow(prefix, startId));
    await waitFor(() => instances.some((i) => ids(i, 'acked').length >= 100), 'some events acknowledged', 60_000);
    const leader = instances.find((i) => ids(i, 'sent').length > 0)!;
    const follower = instances.find((i) => i !== leader)!;
    reader = new RedisState({ url: redis().url, prefix, instanceId: 'test' });
    await healthBecomes(reader, 'up');
    // Every cursor the shared state ever holds, in order: it must only move forward.
    const highs: number[] = [];
    const watch = setInterval(() => {
      void reader
        ?.get(`events-in:${NODE}:cursor`)
        .then((stored) => stored && highs.push((stored.value as StoredCursor).high))
        .catch(() => undefined);
    }, 20);
    try {
      process.kill(leader.runtime.pid!, 'SIGSTOP');
      try {
        await waitFor(() => ids(follower, 'acked').length >= 100, 'the follower took over and went on', 60_000);
      } finally {
        process.kill(leader.runtime.pid!, 'SIGCONT');
      }
      await waitFor(
        () => read(leader.badgesFile).at(-1)?.includes('standby') === true,
        'the old leader stands by once it wakes',
      );
      await waitFor(
        () => {
          const acked = new Set([...ids(leader, 'acked'), ...ids(follower, 'acked')]);
          return all.every((id) => acked.has(id));
        },
        'every event acknowledged',
        60_000,
      );
    } finally {
      clearInterval(watch);
    }
    highs.length.should.be.above(10);
    highs.every((high, i) => i === 0 || high >= highs[i - 1]!).should.be.true();
    read(leader.badgesFile).at(-1)!.should.containEql('standby');
  });

  it('a leader stopped cleanly hands over at once (it gives the lease up)', async function () {
    const prefix = `ev${crypto.randomBytes(4).toString('hex')}:`;
    const startId = sim.eventLog().at(-1)?.id ?? 0;
    const first = sim.generateEvents(100, { projects: [DEMO.projectId] });
    instances = await Promise.all(['a', 'b'].map(startInstance));
    for (const instance of instances) await instance.runtime.deploy(flow(prefix, startId));
    const acked = (): Set<number> => new Set(instances.flatMap((i) => ids(i, 'acked')));
    await waitFor(() => idRange(first.firstId, first.lastId).every((id) => acked().has(id)), 'the first events acked');
    const leader = instances.find((i) => ids(i, 'sent').length > 0)!;
    const follower = instances.find((i) => i !== leader)!;
    await leader.runtime.stop();
    const second = sim.generateEvents(50, { projects: [DEMO.projectId] });
    await waitFor(
      () => idRange(second.firstId, second.lastId).every((id) => ids(follower, 'acked').includes(id)),
      'the follower polls the new events',
    );
    // Stopped cleanly, the leader stored its cursor: the follower sends none of the first events again.
    ids(follower, 'sent')
      .filter((id) => id <= first.lastId)
      .should.eql([]);
  });
});
