/**
 * fptr-events-in catching up a backlog of 100,000 events with 20 ms added to every request to the
 * site, into a flow that acknowledges each event, against the event daemon's method in the same run
 * (issue 14 "Performance"):
 *   (a)  fptr-events-in → fptr-acknowledge in a real Node-RED (child process), commit `ack`, one
 *        event in flight (strict id order, like the daemon), the cursor in a localfilesystem context
 *        store that writes every change to disk at once (`cache: false`: as crash-safe as the daemon);
 *   (a') the same with Node-RED's default localfilesystem store (cached, on disk every 30 s);
 *   (b)  the daemon's method, in this process: sequential pages of 500 (`id > last`, sorted by id,
 *        the daemon's fields), the callback for each event, then the state written to a file.
 * Then steady state for (a): events made at a steady rate; lag from being made to being acknowledged.
 * The simulator runs in its own process (bench/rest-sim-process.ts), as a real site is remote.
 *
 *   npm run bench:events -- [--events 100000] [--latency 20] [--rate 50] [--steady 30] [--interval 5]
 */
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { parseArgs } from 'node:util';
import { FptrClient } from '../lib/fptr/client/client';
import { EVENT_FIELDS } from '../lib/fptr/events/event-log-delivery';
import { EVENT_LOG } from '../lib/fptr/events/event-log-reader';
import { FptrSimulator, type SimStats } from '../sim';
import { NodeRedRuntime } from '../test/support/webhook-node-red';
import { SimProcess } from './sim-process';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    latency: { type: 'string', default: '20' },
    rate: { type: 'string', default: '50' },
    steady: { type: 'string', default: '30' },
    interval: { type: 'string', default: '5' },
  },
});
const EVENTS = Number(values.events);
const LATENCY_MS = Number(values.latency);
const RATE = Number(values.rate);
const STEADY_SECONDS = Number(values.steady);
const INTERVAL_SECONDS = Number(values.interval);
const { scriptName, scriptKey, projectId } = FptrSimulator.DEMO;
const PAGE = 500;

interface Result {
  label: string;
  seconds: number;
  requests: number;
  heapBefore?: number;
  heapAfter?: number;
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

// ---- (b) the daemon's method ----------------------------------------------------------------

async function daemonMethod(sim: SimProcess, startId: number, lastId: number): Promise<Result> {
  const client = new FptrClient({ url: sim.url, auth: { grant: 'client_credentials', scriptName, scriptKey } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-daemon-'));
  const stateFile = path.join(dir, 'shotgunEventDaemon.id');
  let last = startId;
  let handled = 0;
  try {
    await client.currentUser(); // the daemon logs in before it starts its loop
    await sim.send({ cmd: 'resetStats' });
    const started = process.hrtime.bigint();
    while (last < lastId) {
      const events = await client.search(EVENT_LOG, {
        filters: [['id', 'greater_than', last]],
        fields: [...EVENT_FIELDS],
        sort: 'id',
        limit: PAGE,
        pageSize: PAGE,
      });
      for (const event of events) {
        // The plugin callback, then the id file, after every event (shotgunEventDaemon.py _saveEventIdData).
        if (typeof event.event_type === 'string') handled++;
        last = event.id;
        fs.writeFileSync(stateFile, JSON.stringify({ lastEventId: last, backlog: {} }));
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = await sim.send<SimStats>({ cmd: 'stats' });
    if (handled < lastId - startId) throw new Error(`the daemon method handled ${handled} events`);
    return {
      label: '(b) daemon method: pages of 500 one after another, state file after every event',
      seconds,
      requests: stats.requests,
    };
  } finally {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- (a) fptr-events-in in Node-RED ----------------------------------------------------------

const HEAP_FUNCTION = `const gc = global.get('gc'); gc(); gc(); msg.payload = { heapUsed: global.get('heapUsed')() }; return msg;`;
const HEAP_NODES = [
  {
    id: 'heapin',
    type: 'http in',
    z: 'tab',
    url: '/bench/heap',
    method: 'get',
    upload: false,
    swaggerDoc: '',
    wires: [['heapfn']],
  },
  {
    id: 'heapfn',
    type: 'function',
    z: 'tab',
    func: HEAP_FUNCTION,
    outputs: 1,
    noerr: 0,
    initialize: '',
    finalize: '',
    libs: [],
    wires: [['heapres']],
  },
  { id: 'heapres', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
];
/** Appends `<event id> <ms>` for each acknowledged event above the backlog (steady state only). */
const LAG_FUNCTION = (file: string, above: number): string =>
  `if (msg.fptr.eventId > ${above}) global.get('fs').appendFileSync(${JSON.stringify(file)}, msg.fptr.eventId + ' ' + Date.now() + '\\n');\nreturn null;`;

function eventsFlow(siteUrl: string, startId: number, store: string, lagRecorder?: string): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'site', type: 'fptr-site', url: siteUrl, authType: 'script', credentials: { scriptName, scriptKey } },
    {
      id: 'ev',
      type: 'fptr-events-in',
      z: 'tab',
      site: 'site',
      start: 'id',
      startId,
      interval: INTERVAL_SECONDS,
      pageSize: PAGE,
      commit: 'ack',
      maxInFlight: 1,
      store,
      wires: [['ack'], []],
    },
    { id: 'ack', type: 'fptr-acknowledge', z: 'tab', site: 'site', wires: lagRecorder ? [['lag']] : [[]] },
    ...(lagRecorder
      ? [
          {
            id: 'lag',
            type: 'function',
            z: 'tab',
            func: lagRecorder,
            outputs: 1,
            noerr: 0,
            initialize: '',
            finalize: '',
            libs: [],
            wires: [[]],
          },
        ]
      : []),
    ...HEAP_NODES,
  ];
}

async function startNodeRed(cached: boolean): Promise<NodeRedRuntime> {
  return NodeRedRuntime.start({
    fromBuild: true,
    nodeTypes: ['fptr-site', 'fptr-events-in', 'fptr-acknowledge'],
    nodeArgs: ['--expose-gc'],
    globals: { fs: "require('node:fs')", gc: 'global.gc', heapUsed: '() => process.memoryUsage().heapUsed' },
    settings: {
      logging: { console: { level: 'error', metrics: false, audit: false } },
      contextStorage: {
        default: { module: 'memory' },
        cursor: { module: 'localfilesystem', config: cached ? {} : { cache: false } },
      },
    },
  });
}

async function heap(runtime: NodeRedRuntime): Promise<number> {
  const res = await fetch(`${runtime.url}/bench/heap`);
  return ((await res.json()) as { heapUsed: number }).heapUsed;
}

/** The cursor the node stored, read through the admin API (undefined until there is one). */
async function storedHigh(runtime: NodeRedRuntime): Promise<{ high: number; inFlight: number[] } | undefined> {
  const res = await fetch(`${runtime.url}/context/node/ev/fptrEventLogCursor?store=cursor`);
  if (!res.ok) return undefined;
  // One store named: `{msg, format}`; Node-RED versions differ, some key it by store.
  const entry = (await res.json()) as { msg?: unknown; cursor?: { msg?: unknown } };
  const text = entry.msg ?? entry.cursor?.msg;
  return typeof text === 'string' ? (JSON.parse(text) as { high: number; inFlight: number[] }) : undefined;
}

async function waitForCursor(runtime: NodeRedRuntime, lastId: number): Promise<void> {
  for (;;) {
    const cursor = await storedHigh(runtime).catch(() => undefined);
    if (cursor && cursor.high >= lastId && cursor.inFlight.length === 0) return;
    await sleep(100);
  }
}

async function eventsIn(
  sim: SimProcess,
  runtime: NodeRedRuntime,
  label: string,
  startId: number,
  lastId: number,
): Promise<Result> {
  await runtime.deploy([{ id: 'tab', type: 'tab', label: 'bench' }, ...HEAP_NODES], '/bench/heap');
  const heapBefore = await heap(runtime);
  await sim.send({ cmd: 'resetStats' });
  const started = process.hrtime.bigint();
  await runtime.deploy(eventsFlow(sim.url, startId, 'cursor'));
  await waitForCursor(runtime, lastId);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = await sim.send<SimStats>({ cmd: 'stats' });
  const heapAfter = await heap(runtime);
  return { label, seconds, requests: stats.requests, heapBefore, heapAfter };
}

/** Events made at `RATE` per second for `STEADY_SECONDS`; each one's lag from being made to being acknowledged. */
async function steadyState(
  sim: SimProcess,
  runtime: NodeRedRuntime,
  startId: number,
  backlogLastId: number,
): Promise<number[]> {
  const file = path.join(runtime.userDir, 'lag.log');
  await runtime.deploy(eventsFlow(sim.url, startId, 'cursor', LAG_FUNCTION(file, backlogLastId)), '/bench/heap');
  const made = new Map<number, number>();
  const perTick = Math.max(1, Math.round(RATE / 10));
  const until = Date.now() + STEADY_SECONDS * 1000;
  let last = backlogLastId;
  while (Date.now() < until) {
    const tick = Date.now();
    const { firstId, lastId } = await sim.send<{ firstId: number; lastId: number }>({
      cmd: 'generateEvents',
      n: perTick,
      projects: [projectId],
    });
    const at = Date.now();
    for (let id = firstId; id <= lastId; id++) made.set(id, at);
    last = lastId;
    await sleep(Math.max(0, tick + 100 - Date.now()));
  }
  await waitForCursor(runtime, last);
  await sleep(300);
  const lags: number[] = [];
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) {
    const [id, ackedAt] = line.split(' ').map(Number);
    const at = made.get(id!);
    if (at !== undefined) lags.push(ackedAt! - at);
  }
  if (lags.length < made.size) throw new Error(`steady state: ${made.size} events made, ${lags.length} acknowledged`);
  return lags.sort((a, b) => a - b);
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const version = (JSON.parse(fs.readFileSync(require.resolve('node-red/package.json'), 'utf8')) as { version: string })
    .version;
  console.log(`# fptr-events-in catch-up bench — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}, Node-RED ${version}, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `backlog ${EVENTS} events, ${LATENCY_MS} ms added to every request; pages of ${PAGE}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const sim = await SimProcess.start();
  const runtimes: NodeRedRuntime[] = [];
  try {
    const startId = await sim.send<number>({ cmd: 'newestEventId' });
    const { lastId } = await sim.send<{ lastId: number }>({ cmd: 'generateEvents', n: EVENTS, projects: [projectId] });
    await sim.send({ cmd: 'addFault', rule: { path: '/api/v1', latencyMs: LATENCY_MS } });

    const crashSafe = await startNodeRed(false);
    runtimes.push(crashSafe);
    const cached = await startNodeRed(true);
    runtimes.push(cached);
    // Warm-up (JIT, first-load transpile) on a short stretch, not measured.
    await daemonMethod(sim, lastId - 2000, lastId);
    await eventsIn(sim, cached, 'warm-up', lastId - 2000, lastId);

    const results: Result[] = [];
    results.push(await daemonMethod(sim, startId, lastId));
    results.push(
      await eventsIn(
        sim,
        crashSafe,
        '(a) fptr-events-in → fptr-acknowledge, cursor store with cache: false (written at once)',
        startId,
        lastId,
      ),
    );
    results.push(
      await eventsIn(sim, cached, "(a') the same, Node-RED's default cached localfilesystem store", startId, lastId),
    );

    console.log('| setup | elapsed | events/s | requests | heap before → after (growth) |');
    console.log('|---|---|---|---|---|');
    for (const r of results) {
      const heapText =
        r.heapBefore === undefined
          ? '—'
          : `${mb(r.heapBefore)} → ${mb(r.heapAfter!)} MB (${r.heapAfter! - r.heapBefore >= 0 ? '+' : ''}${mb(r.heapAfter! - r.heapBefore)})`;
      console.log(
        `| ${r.label} | ${r.seconds.toFixed(2)} s | ${Math.round(EVENTS / r.seconds).toLocaleString('en-US')} | ${r.requests} | ${heapText} |`,
      );
    }
    const daemon = results[0]!;
    for (const r of results.slice(1))
      console.log(
        `${r.label.slice(0, 4)} speed-up over the daemon method: ${(daemon.seconds / r.seconds).toFixed(1)}× (goal ≥ 5×)`,
      );

    const lags = await steadyState(sim, crashSafe, startId, lastId);
    console.log(
      `\nsteady state (a), ${RATE} events/s for ${STEADY_SECONDS} s, interval ${INTERVAL_SECONDS} s: lag made → acknowledged p50 ${(percentile(lags, 50) / 1000).toFixed(2)} s, p99 ${(percentile(lags, 99) / 1000).toFixed(2)} s, max ${(lags[lags.length - 1]! / 1000).toFixed(2)} s over ${lags.length} events (goal p99 ≤ ${INTERVAL_SECONDS + 1} s)`,
    );
  } finally {
    for (const runtime of runtimes) await runtime.stop();
    sim.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
