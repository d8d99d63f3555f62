/**
 * fptr-webhook-in with Redis dedup on vs off, one Node-RED instance, same run (bench/README.md,
 * "Webhook dedup on Redis"): throughput at 10 connections and answer latency at an evenly paced
 * 50 batches/s, the two nodes measured in interleaved slices so background load falls on both.
 * Needs Debian's redis-server (started on a free loopback port, ended by its PID).
 *
 * Then Redis is stopped for `--outage` seconds under the paced load, and restarted.
 *
 *   npm run bench:redis -- [--duration 8] [--rounds 4] [--paced 20] [--outage 30]
 */
import crypto = require('node:crypto');
import fs = require('node:fs');
import os = require('node:os');
import { eventKey } from '../lib/fptr/webhook/event-key';
import { RedisState } from '../lib/state/redis-state';
import type { Health, SharedState } from '../lib/state/shared-state';
import { RedisServer, redisInstalled, REDIS_SERVER_PATH } from '../test/support/redis-server';
import { NodeRedRuntime } from '../test/support/webhook-node-red';
import { sgHeaders } from '../test/support/webhook-fixtures';
import { pacedAnswers } from './paced-sender';
import { SignedBatches } from './signed-batches';

interface CannonResult {
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  '2xx': number;
}
interface CannonRequest {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    requests: Array<{ setupRequest: (req: CannonRequest) => CannonRequest }>;
  },
  done: (err: Error | null, result: CannonResult) => void,
) => { on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void };
const autocannon = require('autocannon') as Autocannon;

const SECRET = 'bench-redis-secret';
const PER_BODY = 50;
const bodies = new SignedBatches(SECRET, PER_BODY);
const HEADERS = sgHeaders('bench-redis-hook');

interface Sample {
  ok: number;
  seconds: number;
  latencies: number[];
  bad: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarise(samples: Sample[]): { reqPerSec: number; p50: number; p99: number; max: number; bad: number } {
  const latencies = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, s) => sum + s.seconds, 0);
  return {
    reqPerSec: samples.reduce((sum, s) => sum + s.ok, 0) / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    bad: samples.reduce((sum, s) => sum + s.bad, 0),
  };
}

function cannon(url: string, connections: number, duration: number): Promise<Sample> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const setupRequest = (req: CannonRequest): CannonRequest => {
      const { body, signature } = bodies.next();
      return { ...req, method: 'POST', body, headers: { ...HEADERS, 'x-sg-signature': signature } };
    };
    const instance = autocannon({ url, connections, duration, requests: [{ setupRequest }] }, (err, result) => {
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

function flows(redisUrl: string, redisPrefix: string): unknown[] {
  const webhook = (id: string, site: string | undefined): Record<string, unknown> => ({
    id,
    type: 'fptr-webhook-in',
    z: 'tab',
    url: `/bench/${id}`,
    site,
    split: true,
    dedupWindow: 600,
    dedupStore: '',
    emitTests: false,
    allowList: [],
    trustProxy: false,
    credentials: { secret: SECRET },
    wires: [[`${id}fn`]],
  });
  // The same small downstream step behind both nodes.
  const downstream = (id: string): unknown[] => [
    {
      id: `${id}fn`,
      type: 'function',
      z: 'tab',
      func: `global.set('${id}', (global.get('${id}') || 0) + 1); msg.taskId = msg.payload.entity && msg.payload.entity.id; return msg;`,
      outputs: 1,
      wires: [[`${id}sink`]],
    },
    { id: `${id}sink`, type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, wires: [] },
  ];
  return [
    { id: 'tab', type: 'tab', label: 'bench' },
    {
      id: 'site',
      type: 'fptr-site',
      url: 'http://127.0.0.1:9',
      authType: 'script',
      redisUrl,
      redisPrefix,
      credentials: { scriptName: 'bench', scriptKey: 'unused' },
    },
    webhook('on', 'site'),
    ...downstream('on'),
    webhook('off', undefined),
    ...downstream('off'),
  ];
}

/** Resolves once neither node sent a message on for 200 ms (their backlogs are drained). */
async function settled(runtime: NodeRedRuntime): Promise<void> {
  let last = '';
  for (let quiet = 0; quiet < 2;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const counts = JSON.stringify([await runtime.global('on'), await runtime.global('off')]);
    quiet = counts === last ? quiet + 1 : 0;
    last = counts;
  }
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

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? NaN : Number(process.argv[i + 1]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main(): Promise<void> {
  if (!redisInstalled()) throw new Error(`${REDIS_SERVER_PATH} is missing (apt-get install redis-server)`);
  const duration = flag('duration', 8);
  const rounds = Math.round(flag('rounds', 4));
  const pacedSeconds = flag('paced', 20);
  console.log(`# fptr-webhook-in, Redis dedup on vs off — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}; ${PER_BODY} deliveries per batch; ${duration} s throughput and ${pacedSeconds} s at 50 batches/s per setup, in ${rounds} interleaved rounds`,
  );
  const redis = await RedisServer.start();
  const prefix = `bench${crypto.randomBytes(3).toString('hex')}:`;
  const runtime = await NodeRedRuntime.start({
    fromBuild: true,
    nodeTypes: ['fptr-site', 'fptr-webhook-in'],
    settings: { logging: { console: { level: 'error', metrics: false, audit: false } } },
  });
  const peer = new RedisState({ url: redis.url, prefix, instanceId: 'bench-check' });
  try {
    await runtime.deploy(flows(redis.url, prefix), '/bench/on');
    const urls = { on: `${runtime.url}/bench/on`, off: `${runtime.url}/bench/off` };
    await healthBecomes(peer, 'up');
    // The "on" node must really claim in Redis, or the comparison is void: after one batch its
    // keys are taken, as another instance would find them.
    const check = bodies.next();
    const res = await fetch(urls.on, {
      method: 'POST',
      body: check.body,
      headers: { ...HEADERS, 'x-sg-signature': check.signature },
    });
    if (res.status !== 200) throw new Error(`the Redis node answered ${res.status}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const claimable = await peer.claim(
      Array.from(
        { length: PER_BODY },
        (_, i) =>
          `webhook:on:${eventKey({ event_log_entry_id: check.firstEventId + i, attribute_name: 'sg_status_list' })!}`,
      ),
      60_000,
    );
    if (claimable.some(Boolean)) throw new Error('the Redis node did not claim its deliveries in Redis');
    // Every batch is new events, so each node sends every delivery on (none is a duplicate).
    for (const url of [urls.on, urls.on, urls.off, urls.off]) {
      const { body, signature } = bodies.next();
      const answer = await fetch(url, { method: 'POST', body, headers: { ...HEADERS, 'x-sg-signature': signature } });
      if (answer.status !== 200) throw new Error(`${url} answered ${answer.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = [await runtime.global('on'), await runtime.global('off')];
    if (sent[0] !== 3 * PER_BODY || sent[1] !== 2 * PER_BODY)
      throw new Error(`the nodes sent ${sent.join(' and ')} messages, expected ${3 * PER_BODY} and ${2 * PER_BODY}`);
    console.log(
      `check: one batch to the Redis node claimed its ${PER_BODY} keys in Redis; every delivery of fresh batches went on\n`,
    );

    const warmup = Math.max(1, Math.min(3, Math.round(duration / 3)));
    for (const url of Object.values(urls)) await cannon(url, 10, warmup);
    const throughput: Record<'on' | 'off', Sample[]> = { on: [], off: [] };
    const steady: Record<'on' | 'off', Sample[]> = { on: [], off: [] };
    for (let round = 0; round < rounds; round++) {
      for (const name of ['on', 'off'] as const) throughput[name].push(await cannon(urls[name], 10, duration / rounds));
      // The flood leaves thousands of messages waiting: a steady sender meets an idle node.
      await settled(runtime);
      for (const name of ['on', 'off'] as const) steady[name].push(await paced(urls[name], 50, pacedSeconds / rounds));
    }
    const t = { on: summarise(throughput.on), off: summarise(throughput.off) };
    const p = { on: summarise(steady.on), off: summarise(steady.off) };
    console.log('| setup | 10 conn req/s (batches) | 10 conn p50 / p99 ms | 50 batches/s p50 / p99 / max ms |');
    console.log('|---|---|---|---|');
    for (const name of ['on', 'off'] as const) {
      const label = name === 'on' ? 'Redis dedup on (site with redisUrl)' : 'Redis dedup off (no site)';
      console.log(
        `| ${label} | ${fmt(t[name].reqPerSec, 0)} | ${fmt(t[name].p50, 2)} / ${fmt(t[name].p99, 2)} | ${fmt(p[name].p50, 2)} / ${fmt(p[name].p99, 2)} / ${fmt(p[name].max, 1)} |${t[name].bad + p[name].bad ? ` NON-2XX/ERRORS ${t[name].bad + p[name].bad}` : ''}`,
      );
    }
    console.log(
      `\nthroughput on/off = ${fmt(t.on.reqPerSec / t.off.reqPerSec, 2)} (goal ≥ 0.8); p99 at 50 batches/s with Redis on ${fmt(p.on.p99, 2)} ms (goal ≤ 5)`,
    );

    // Redis stopped under load: the answers must not notice (the issue's 30 s outage).
    const outage = flag('outage', 30);
    const stopAt = setTimeout(() => void redis.stop(), 5_000);
    const restartAt = setTimeout(() => void redis.resume(), 5_000 + outage * 1000);
    const during = summarise([await paced(urls.on, 50, outage + 10)]);
    clearTimeout(stopAt);
    clearTimeout(restartAt);
    await redis.resume();
    console.log(
      `\nRedis stopped for ${outage} s within ${outage + 10} s at 50 batches/s into the Redis node: p50 ${fmt(during.p50, 2)} ms, p99 ${fmt(during.p99, 2)} ms, max ${fmt(during.max, 1)} ms, ${during.bad} answers other than 200 (goal: none, p99 ≤ 5 ms)`,
    );
    console.log(`load average (1 min) at the end: ${fmt(os.loadavg()[0])}`);
  } finally {
    await peer.close();
    await runtime.stop();
    fs.rmSync(runtime.userDir, { recursive: true, force: true });
    await redis.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
