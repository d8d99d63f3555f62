/**
 * fptr-webhook-in throughput, answer latency and memory, against the goals in bench/README.md
 * ("Webhook"), all in one run on this machine:
 *   (a1) fptr-webhook-in in a real Node-RED, nothing wired
 *   (a2) fptr-webhook-in, its 50 messages per request sent to a downstream node
 *   (b)  bare node:http: HMAC + JSON.parse + 200 (bench/webhook-bare-server.ts)
 *   (c)  core `http in` ("Do not parse body") → function (HMAC, split into 50 msgs) → `http response`
 * Each request is a signed 50-delivery batch of ~20 KB with fresh delivery ids (so dedup, on by
 * default, never short-cuts the work). autocannon over loopback, 1 and 10 connections.
 * Then: answer latency at a fixed 50 batches/s with a downstream flow attached (beside the bare
 * server and an empty core `http in` → `http response` at the same pacing), and heap growth
 * of the node across 200,000 (and 400,000) deliveries with dedup on.
 *
 *   npm run bench:webhook -- [--duration 8] [--rounds 4] [--paced 20]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { signBody } from '../lib/fptr/webhook/signature';
import { NodeRedRuntime } from '../test/support/webhook-node-red';
import { sgHeaders } from '../test/support/webhook-fixtures';
import { pacedAnswers } from './paced-sender';
import { SignedBatches } from './signed-batches';

// ---- autocannon (untyped package: the few parts used here) -----------------------------------

interface CannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  overallRate?: number;
  requests: Array<CannonRequest & { setupRequest?: (req: CannonRequest) => CannonRequest }>;
}
interface CannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}
interface CannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: CannonOptions, done: (err: Error | null, result: CannonResult) => void) => CannonInstance;
const autocannon = require('autocannon') as Autocannon;

// ---- request bodies --------------------------------------------------------------------------

const SECRET = 'bench-webhook-secret';
const PER_BODY = 50;
const bodies = new SignedBatches(SECRET, PER_BODY);
const HEADERS = sgHeaders('bench-hook');

function signedRequest(req: CannonRequest): CannonRequest {
  const { body, signature } = bodies.next();
  return { ...req, method: 'POST', body, headers: { ...HEADERS, 'x-sg-signature': signature } };
}

// ---- measuring -------------------------------------------------------------------------------

interface Sample {
  ok: number;
  seconds: number;
  latencies: number[];
  bad: number;
}

interface Point {
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  bad: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Merges the rounds of one point: req/s over the summed time, percentiles over all answers. */
function summarise(samples: Sample[]): Point {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  return {
    reqPerSec: samples.reduce((sum, sample) => sum + sample.ok, 0) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    bad: samples.reduce((sum, sample) => sum + sample.bad, 0),
  };
}

/** One autocannon run; latencies are kept as measured (sub-ms), not autocannon's whole-ms histogram. */
function run(url: string, options: Omit<CannonOptions, 'url' | 'requests'>): Promise<Sample> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, ...options, requests: [{ setupRequest: signedRequest }] }, (err, result) => {
      if (err) return reject(err);
      resolve({
        ok: result['2xx'],
        seconds: result.duration,
        latencies,
        bad: result.non2xx + result.errors + result.timeouts,
      });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status === 200) latencies.push(ms);
    });
  });
}

/** Evenly paced answers (bench/paced-sender.ts) with this bench's bodies. */
function paced(url: string, rate: number, seconds: number): Promise<Sample> {
  return pacedAnswers(url, rate, seconds, () => bodies.next(), HEADERS);
}

async function post(url: string, body: string, signature: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', body, headers: { ...HEADERS, 'x-sg-signature': signature } });
  await res.arrayBuffer();
  return res.status;
}

// ---- the systems under test ------------------------------------------------------------------

const DOWNSTREAM_SINK = {
  type: 'debug',
  active: false,
  tosidebar: false,
  console: false,
  tostatus: false,
  complete: 'true',
  wires: [],
};

/** (c): what a user builds today from core nodes. */
const CORE_FUNCTION = `
const crypto = global.get('crypto');
const body = msg.payload;
const header = msg.req.headers['x-sg-signature'] || '';
const expected = Buffer.from('sha1=' + crypto.createHmac('sha1', ${JSON.stringify(SECRET)}).update(body).digest('hex'));
const given = Buffer.from(header);
if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    msg.statusCode = 401; msg.payload = { error: 'invalid signature' }; return [msg, null];
}
let data;
try { data = JSON.parse(body.toString('utf8')).data; } catch (e) { msg.statusCode = 400; msg.payload = { error: 'bad json' }; return [msg, null]; }
const deliveries = Array.isArray(data.deliveries) ? data.deliveries : [data];
const out = deliveries.map((d, index) => ({ payload: d, topic: d.event_type, fptr: { batch: { size: deliveries.length, index } } }));
msg.statusCode = 200; msg.payload = { ok: true };
return [msg, out];`;

/** A small real downstream step for the fixed-rate run. */
const DOWNSTREAM_FUNCTION = `msg.taskId = msg.payload.entity && msg.payload.entity.id; return msg;`;
const COUNT_FUNCTION = `global.set('verified', (global.get('verified') || 0) + 1); return null;`;
const HEAP_FUNCTION = `const gc = global.get('gc'); gc(); gc(); msg.payload = { heapUsed: global.get('heapUsed')() }; return msg;`;

function fn(id: string, func: string, outputs: number, wires: string[][]): Record<string, unknown> {
  return { id, type: 'function', z: 'tab', func, outputs, noerr: 0, initialize: '', finalize: '', libs: [], wires };
}

function webhook(id: string, url: string, wires: string[][]): Record<string, unknown> {
  return {
    id,
    type: 'fptr-webhook-in',
    z: 'tab',
    url,
    split: true,
    dedupWindow: 600,
    dedupStore: '',
    maxBodySize: '',
    emitTests: false,
    allowList: [],
    trustProxy: false,
    credentials: { secret: SECRET },
    wires,
  };
}

const FLOWS = [
  { id: 'tab', type: 'tab', label: 'bench' },
  webhook('a1', '/bench/a1', [[]]),
  webhook('a2', '/bench/a2', [['a2sink']]),
  { id: 'a2sink', z: 'tab', ...DOWNSTREAM_SINK },
  {
    id: 'cin',
    type: 'http in',
    z: 'tab',
    url: '/bench/c',
    method: 'post',
    upload: false,
    skipBodyParsing: true,
    swaggerDoc: '',
    wires: [['cfn']],
  },
  fn('cfn', CORE_FUNCTION, 2, [['cres'], ['csink']]),
  { id: 'cres', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
  { id: 'csink', z: 'tab', ...DOWNSTREAM_SINK },
  webhook('p', '/bench/p', [['pfn']]),
  fn('pfn', DOWNSTREAM_FUNCTION, 1, [['psink']]),
  { id: 'psink', z: 'tab', ...DOWNSTREAM_SINK },
  {
    id: 'fin',
    type: 'http in',
    z: 'tab',
    url: '/bench/floor',
    method: 'post',
    upload: false,
    skipBodyParsing: true,
    swaggerDoc: '',
    wires: [['fres']],
  },
  { id: 'fres', type: 'http response', z: 'tab', statusCode: '200', headers: {}, wires: [] },
  webhook('v', '/bench/v', [['vfn']]),
  fn('vfn', COUNT_FUNCTION, 1, [[]]),
  webhook('m', '/bench/m', [['msink']]),
  { id: 'msink', z: 'tab', ...DOWNSTREAM_SINK },
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
  fn('heapfn', HEAP_FUNCTION, 1, [['heapres']]),
  { id: 'heapres', type: 'http response', z: 'tab', statusCode: '', headers: {}, wires: [] },
];

async function startBareServer(): Promise<{ child: ChildProcess; url: string }> {
  const script = path.join(__dirname, 'webhook-bare-server.ts');
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script, SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
    child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
  });
  return { child, url };
}

const SETUPS = ['b', 'a1', 'a2', 'c'];

// ---- main ------------------------------------------------------------------------------------

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main(): Promise<void> {
  const duration = flag('duration', 8);
  const rounds = Math.round(flag('rounds', 4));
  const pacedSeconds = flag('paced', 20);
  const warmup = Math.max(1, Math.min(3, Math.round(duration / 3)));
  const sample = bodies.next();
  console.log(`# fptr-webhook-in bench — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  console.log(
    `body: ${PER_BODY} deliveries, ${(Buffer.byteLength(sample.body) / 1024).toFixed(1)} KB; ${duration} s per point in ${rounds} interleaved rounds (+${warmup} s warm-up per setup)\n`,
  );

  const bare = await startBareServer();
  const runtime = await NodeRedRuntime.start({
    fromBuild: true,
    nodeArgs: ['--expose-gc'],
    globals: {
      crypto: "require('node:crypto')",
      gc: 'global.gc',
      // The dedup window's typed arrays live outside the JS heap, in array buffers: both count.
      heapUsed: '() => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; }',
    },
    settings: { logging: { console: { level: 'error', metrics: false, audit: false } } },
  });
  try {
    const nodeRedVersion = (
      JSON.parse(fs.readFileSync(require.resolve('node-red/package.json'), 'utf8')) as { version: string }
    ).version;
    console.log(
      `Node-RED ${nodeRedVersion} (child process, pid ${runtime.pid}); bare server pid ${bare.child.pid}; load average at start ${os
        .loadavg()
        .map((n) => n.toFixed(1))
        .join(' ')}\n`,
    );
    await runtime.deploy(FLOWS, '/bench/a1');
    const urls: Record<string, string> = {
      a1: `${runtime.url}/bench/a1`,
      a2: `${runtime.url}/bench/a2`,
      b: bare.url,
      c: `${runtime.url}/bench/c`,
    };

    // Every setup must refuse a wrong signature and accept a right one, or the comparison is void.
    for (const [name, url] of Object.entries(urls)) {
      const { body, signature } = bodies.next();
      const refused = await post(url, body, signBody('wrong', body));
      const accepted = await post(url, body, signature);
      if (refused !== 401 || accepted !== 200) throw new Error(`${name}: expected 401/200, got ${refused}/${accepted}`);
    }
    // Two batches, so a bench whose batches repeat events (dropped as duplicates) cannot pass.
    for (const check of [bodies.next(), bodies.next()])
      await post(`${runtime.url}/bench/v`, check.body, check.signature);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const verified = await runtime.global('verified');
    if (verified !== 2 * PER_BODY)
      throw new Error(`the node sent ${String(verified)} messages for two batches, expected ${2 * PER_BODY}`);
    console.log(
      `checks: every setup answers 401 to a bad signature and 200 to a good one; two batches → ${2 * PER_BODY} messages\n`,
    );

    // The machine may be shared: each point is measured in `rounds` slices, interleaved across
    // the setups, so background load falls on all of them alike.
    const slice = duration / rounds;
    const samples: Record<string, Record<number, Sample[]>> = {};
    for (const name of SETUPS) {
      samples[name] = { 1: [], 10: [] };
      await run(urls[name], { connections: 10, duration: warmup });
    }
    const loads: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const connections of [1, 10]) {
        for (const name of SETUPS)
          samples[name][connections].push(await run(urls[name], { connections, duration: slice }));
      }
      loads.push(os.loadavg()[0]);
    }
    const results: Record<string, Record<number, Point>> = {};
    for (const name of SETUPS) {
      results[name] = { 1: summarise(samples[name][1]), 10: summarise(samples[name][10]) };
      for (const connections of [1, 10]) {
        const point = results[name][connections];
        console.log(
          `${name.padEnd(3)} ${String(connections).padStart(2)} conn: ${fmt(point.reqPerSec, 0).padStart(6)} req/s  p50 ${fmt(point.p50, 2)} ms  p99 ${fmt(point.p99, 2)} ms  max ${fmt(point.max, 1)} ms${point.bad ? `  NON-2XX/ERRORS ${point.bad}` : ''}`,
        );
      }
    }
    console.log(`load average (1 min) after each round: ${loads.map((n) => n.toFixed(1)).join(', ')}`);

    // At 50/s a slice of `duration / rounds` seconds holds few answers, and p99 is the few
    // worst of them: the paced points get `pacedSeconds` in all, for a p99 worth quoting.
    const pacedSlice = pacedSeconds / rounds;
    const pUrl = `${runtime.url}/bench/p`;
    const nodeRedFloorUrl = `${runtime.url}/bench/floor`;
    await paced(pUrl, 50, warmup);
    await paced(nodeRedFloorUrl, 50, warmup);
    await run(pUrl, { connections: 1, duration: warmup, overallRate: 50 });
    const steadySamples: Sample[] = [];
    const floorSamples: Sample[] = [];
    const nodeRedFloorSamples: Sample[] = [];
    const burstSamples: Sample[] = [];
    for (let round = 0; round < rounds; round++) {
      steadySamples.push(await paced(pUrl, 50, pacedSlice));
      floorSamples.push(await paced(bare.url, 50, pacedSlice));
      nodeRedFloorSamples.push(await paced(nodeRedFloorUrl, 50, pacedSlice));
      burstSamples.push(await run(pUrl, { connections: 1, duration: pacedSlice, overallRate: 50 }));
    }
    const steady = summarise(steadySamples);
    const floor = summarise(floorSamples);
    const nodeRedFloor = summarise(nodeRedFloorSamples);
    const bursts = summarise(burstSamples);
    console.log(
      `\n50 batches/s (2,500 events/s) into fptr-webhook-in → function → debug, answer latency (${steadySamples.reduce((n, x) => n + x.latencies.length, 0)} answers per setup):`,
    );
    console.log(
      `  evenly paced:                    p50 ${fmt(steady.p50, 2)} ms, p99 ${fmt(steady.p99, 2)} ms, max ${fmt(steady.max, 1)} ms${steady.bad ? `, NON-2XX/ERRORS ${steady.bad}` : ''}`,
    );
    console.log(
      `  same pacing, bare server (b):    p50 ${fmt(floor.p50, 2)} ms, p99 ${fmt(floor.p99, 2)} ms, max ${fmt(floor.max, 1)} ms`,
    );
    console.log(
      `  same pacing, core http in → http response, nothing else (Node-RED's own floor): p50 ${fmt(nodeRedFloor.p50, 2)} ms, p99 ${fmt(nodeRedFloor.p99, 2)} ms, max ${fmt(nodeRedFloor.max, 1)} ms`,
    );
    console.log(
      `  autocannon overallRate (bursts): p50 ${fmt(bursts.p50, 2)} ms, p99 ${fmt(bursts.p99, 2)} ms, max ${fmt(bursts.max, 1)} ms${bursts.bad ? `, NON-2XX/ERRORS ${bursts.bad}` : ''}`,
    );

    const heap = async (): Promise<number> => {
      const res = await fetch(`${runtime.url}/bench/heap`);
      return ((await res.json()) as { heapUsed: number }).heapUsed;
    };
    const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
    const delta = (bytes: number): string => (bytes >= 0 ? '+' : '') + mb(bytes);
    const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3_000));
    const heap0 = await heap();
    await run(`${runtime.url}/bench/m`, { connections: 4, amount: 4_000 });
    await settle();
    const heap1 = await heap();
    await run(`${runtime.url}/bench/m`, { connections: 4, amount: 4_000 });
    await settle();
    const heap2 = await heap();
    console.log(`\nheap + array buffers (after GC) of the Node-RED process, dedup on (window 600 s, ≤ 50,000 ids):`);
    console.log(
      `  before ${mb(heap0)} MB → after 200,000 deliveries ${mb(heap1)} MB (${delta(heap1 - heap0)}) → after 400,000 ${mb(heap2)} MB (${delta(heap2 - heap1)} for the second 200,000)`,
    );

    console.log('\n| setup | 1 conn req/s | 1 conn p50 / p99 ms | 10 conn req/s | 10 conn p50 / p99 ms |');
    console.log('|---|---|---|---|---|');
    const label: Record<string, string> = {
      a1: '(a1) fptr-webhook-in, nothing wired',
      a2: '(a2) fptr-webhook-in → 50 msgs → debug (inactive)',
      b: '(b) bare node:http: HMAC + JSON.parse + 200',
      c: '(c) core http in (raw) → function (HMAC, 50 msgs) → http response',
    };
    for (const name of ['a1', 'a2', 'b', 'c']) {
      const one = results[name][1];
      const ten = results[name][10];
      console.log(
        `| ${label[name]} | ${fmt(one.reqPerSec, 0)} | ${fmt(one.p50, 2)} / ${fmt(one.p99, 2)} | ${fmt(ten.reqPerSec, 0)} | ${fmt(ten.p50, 2)} / ${fmt(ten.p99, 2)} |`,
      );
    }
    console.log('');
    for (const connections of [1, 10]) {
      const a1b = results.a1[connections].reqPerSec / results.b[connections].reqPerSec;
      const a2c = results.a2[connections].reqPerSec / results.c[connections].reqPerSec;
      console.log(
        `${String(connections).padStart(2)} conn: a1/b = ${fmt(a1b, 2)} (goal ≥ 0.6)   a2/c = ${fmt(a2c, 2)} (goal ≥ 1.3)`,
      );
    }
    console.log(
      `50 batches/s p99 ${fmt(steady.p99, 2)} ms evenly paced (Node-RED's own floor ${fmt(nodeRedFloor.p99, 2)} ms), ${fmt(bursts.p99, 2)} ms in bursts (goal ≤ 5); heap growth over 200,000 deliveries ${delta(heap1 - heap0)} MB (goal < 20)`,
    );
  } finally {
    await runtime.stop();
    fs.rmSync(runtime.userDir, { recursive: true, force: true });
    bare.child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
