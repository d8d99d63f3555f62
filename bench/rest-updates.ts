/**
 * 1,000 entity updates against the simulator with 20 ms added to every API request:
 * FptrClient (shared token, pooled keep-alive connections, bounded concurrency) versus one
 * request at a time with a new token and a new connection for each update.
 * The simulator runs in a child process (bench/rest-sim-process.ts), as a real site is remote.
 *
 *   npx tsx bench/rest-updates.ts [--updates 1000] [--latency 20] [--concurrency 8]
 */
import os = require('node:os');
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import { FptrClient } from '../lib/fptr/client/client';
import { FptrSimulator, type SimStats } from '../sim';
import { SimProcess } from './sim-process';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
  },
});
const updates = Number(values.updates);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const { scriptName, scriptKey, projectId } = FptrSimulator.DEMO;

interface Run {
  label: string;
  seconds: number;
  authCalls: number;
  requests: number;
}

async function main(): Promise<void> {
  const sim = await SimProcess.start();
  try {
    const rows = Array.from({ length: updates }, (_, i) => ({
      code: `bench_${i}`,
      project: { type: 'Project', id: projectId },
    }));
    const ids = await sim.send<number[]>({ cmd: 'bulkCreate', type: 'Asset', rows });
    await sim.send({ cmd: 'addFault', rule: { latencyMs } });
    // Warm both paths up first (JIT, transpile on first load) so neither pays a cold start.
    await pooledUpdates(sim.url, ids.slice(0, 50), 'warm');
    for (const id of ids.slice(0, 10)) await naiveUpdate(sim.url, id, 'warm');

    const pooled = await measure(sim, `FptrClient, maxConcurrency ${concurrency}`, () =>
      pooledUpdates(sim.url, ids, 'pooled'),
    );
    await check(sim, ids, 'pooled ');
    const naive = await measure(sim, 'one at a time, new token + connection each', async () => {
      for (const [i, id] of ids.entries()) await naiveUpdate(sim.url, id, `naive ${i}`);
    });
    await check(sim, ids, 'naive ');

    console.log(
      `\n${updates} updates, ${latencyMs} ms simulated latency per request; Node ${process.version}, ${os.cpus().length} cores\n`,
    );
    console.log('| setup | elapsed | updates/s | auth calls | HTTP requests |');
    console.log('|---|---|---|---|---|');
    for (const r of [pooled, naive]) {
      console.log(
        `| ${r.label} | ${r.seconds.toFixed(2)} s | ${Math.round(updates / r.seconds)} | ${r.authCalls} | ${r.requests} |`,
      );
    }
    const ratio = naive.seconds / pooled.seconds;
    console.log(`\nspeed-up: ${ratio.toFixed(1)}× (goal ≥ 10×): ${ratio >= 10 ? 'met' : 'NOT met'}`);
  } finally {
    sim.stop();
  }
}

async function measure(sim: SimProcess, label: string, work: () => Promise<void>): Promise<Run> {
  await sim.send({ cmd: 'resetStats' });
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const stats = await sim.send<SimStats>({ cmd: 'stats' });
  return { label, seconds, authCalls: stats.tokenRequests, requests: stats.requests };
}

/** All updates through one client, which queues them beyond its concurrency bound. */
async function pooledUpdates(url: string, ids: number[], label: string): Promise<void> {
  const client = new FptrClient({
    url,
    auth: { grant: 'client_credentials', scriptName, scriptKey },
    maxConcurrency: concurrency,
  });
  try {
    await Promise.all(ids.map((id, i) => client.update('Asset', id, { description: `${label} ${i}` })));
  } finally {
    await client.close();
  }
}

/** What a script without a shared client does: connect, log in, update, hang up. */
async function naiveUpdate(url: string, id: number, description: string): Promise<void> {
  const client = new Client(url);
  try {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: scriptName,
      client_secret: scriptKey,
    });
    const auth = await client.request({
      method: 'POST',
      path: '/api/v1/auth/access_token',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
    const { access_token: token } = (await auth.body.json()) as { access_token: string };
    const res = await client.request({
      method: 'PUT',
      path: `/api/v1/entity/Asset/${id}`,
      body: JSON.stringify({ description }),
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`update ${id} answered ${res.statusCode}`);
  } finally {
    await client.close();
  }
}

/** Each run must really have written every record. */
async function check(sim: SimProcess, ids: number[], prefix: string): Promise<void> {
  const descriptions = await sim.send<unknown[]>({ cmd: 'field', type: 'Asset', ids, field: 'description' });
  const wrong = descriptions.filter((d) => typeof d !== 'string' || !d.startsWith(prefix)).length;
  if (wrong > 0) throw new Error(`${wrong} of ${ids.length} records were not updated by the "${prefix.trim()}" run`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
