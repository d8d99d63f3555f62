/**
 * A bulk edit into the shipped task-status cascade (examples/task-status-cascade.json): a person
 * sets 2,000 Layout Tasks final, FPTR sends the 2,000 events as 40 signed batches of 50, back to
 * back, and the flow reads each Task, searches the waiting Tasks of the next step, sets them
 * ready in a batch and acknowledges the delivery. Against the simulator with 50 ms added to every
 * API request, coalescing off and on, in the same run:
 *   - end-to-end time from the first batch until the last update lands (and the last acknowledgement),
 *   - REST requests made (the simulator counts them, by route),
 *   - the webhook's answer times during the burst (p50 / p99 / max), beside Node-RED's own floor:
 *     the same bodies, just before, into a core `http in` wired straight to an `http response`.
 * The simulator runs in its own process (bench/bulk-sim-process.ts), Node-RED in another (a real
 * runtime with the package loaded from dist/, as a palette install runs it: `npm run bench:bulk`
 * builds first), the bench replays the bodies the simulator delivered — its own signatures and
 * headers — over one keep-alive connection with the bytes prepared (bench/raw-http-client.ts),
 * and watches the simulator's data.
 *
 *   npm run bench:bulk -- [--events 2000] [--latency 50] [--window 5] [--rounds 1]
 */
import fs = require('node:fs');
import path = require('node:path');
import { parseArgs } from 'node:util';
import { FptrSimulator } from '../sim';
import { NodeRedRuntime } from '../test/support/webhook-node-red';
import type { BulkSimCommand, Prepared, Progress, Recorded } from './bulk-sim-process';
import { RawHttpClient } from './raw-http-client';
import { SimProcess } from './sim-process';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    latency: { type: 'string', default: '50' },
    window: { type: 'string', default: '' },
    rounds: { type: 'string', default: '1' },
  },
});
const events = Number(values.events);
const latencyMs = Number(values.latency);
const rounds = Number(values.rounds);
const SECRET = 'bench-bulk-secret';
const EXAMPLE = path.join(__dirname, '..', 'examples', 'task-status-cascade.json');
const PACKAGE_NODES = Object.keys(
  (
    JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      'node-red': { nodes: Record<string, string> };
    }
  )['node-red'].nodes,
);
const WEBHOOK_PATH = '/fptr/task-status';
/** Node-RED's own floor: a core `http in` wired straight to an `http response`, beside the example. */
const FLOOR_PATH = '/bench/floor';
/** Requests to the webhook and to the floor route before the burst (see runOnce). */
const WARM_REQUESTS = 20;

type FlowNode = { id: string; type: string; [key: string]: unknown };

/**
 * The example as shipped but for what a user sets (site URL, credentials) and, when `window` is
 * given, the coalescing window of its fptr-find and fptr-update nodes.
 */
function flows(siteUrl: string, window: number | undefined): FlowNode[] {
  const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
  for (const node of flow) {
    if (node.type === 'fptr-site')
      Object.assign(node, {
        url: siteUrl,
        credentials: { scriptName: FptrSimulator.DEMO.scriptName, scriptKey: FptrSimulator.DEMO.scriptKey },
      });
    if (node.type === 'fptr-webhook-in') node.credentials = { secret: SECRET };
    if (window !== undefined && (node.type === 'fptr-find' || node.type === 'fptr-update')) node.coalesce = window;
  }
  const tab = flow.find((node) => node.type === 'tab')?.id;
  flow.push(
    {
      id: 'bench-floor-in',
      type: 'http in',
      z: tab,
      url: FLOOR_PATH,
      method: 'post',
      upload: false,
      skipBodyParsing: true,
      swaggerDoc: '',
      wires: [['bench-floor-out']],
    },
    { id: 'bench-floor-out', type: 'http response', z: tab, statusCode: '200', headers: {}, wires: [] },
  );
  return flow;
}

interface Result {
  label: string;
  updatesSeconds: number;
  acksSeconds: number;
  requests: number;
  byRoute: Record<string, number>;
  rateLimited: number;
  failures: number;
  answers: number[];
  /** The same bodies, back to back, into the floor route just before the burst. */
  floor: number[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function runOnce(label: string, window: number | undefined): Promise<Result> {
  const sim = await SimProcess.start<BulkSimCommand>('bulk-sim-process.ts');
  let runtime: NodeRedRuntime | undefined;
  try {
    const { warmUp, burst } = await sim.send<Prepared>({ cmd: 'prepare', shots: events, secret: SECRET, latencyMs });
    const delivered = burst.reduce(
      (n, b) => n + ((JSON.parse(b.body) as { data: { deliveries?: unknown[] } }).data.deliveries?.length ?? 1),
      0,
    );
    if (delivered !== events) throw new Error(`the simulator delivered ${delivered} events, expected ${events}`);
    runtime = await NodeRedRuntime.start({ nodeTypes: PACKAGE_NODES, fromBuild: true });
    await runtime.deploy(flows(sim.url, window), WEBHOOK_PATH);

    const client = await RawHttpClient.connect(runtime.url);
    // Bytes ready to go, as a sender has them: only the answer is timed.
    const toSend = ({ headers, body }: Recorded, path = WEBHOOK_PATH): Buffer =>
      client.request(path, headers, Buffer.from(body));
    const post = async (bytes: Buffer): Promise<number> => {
      const { status, ms } = await client.send(bytes);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      return ms;
    };
    // One event through the whole flow first: the token, the site's own user (loop guard) and
    // first-use costs are not part of a burst on a running instance.
    await post(toSend(warmUp));
    while ((await sim.send<Progress>({ cmd: 'progress' })).acknowledged < 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    // A running instance has answered requests before, so its request path runs optimised code:
    // the first answers of a fresh process run in V8's interpreter (about 4 ms for a 50-delivery
    // batch, against 0.5 ms a few requests later). Repeats of the warm-up event are checked and
    // answered, then dropped as duplicates, so they warm the path without more flow work; the
    // floor route gets as many.
    for (let i = 0; i < WARM_REQUESTS; i++) {
      await post(toSend(warmUp));
      await post(toSend(warmUp, FLOOR_PATH));
    }
    await sim.send({ cmd: 'resetStats' });

    const floor: number[] = [];
    for (const bytes of burst.map((recorded) => toSend(recorded, FLOOR_PATH))) floor.push(await post(bytes));
    const bodies = burst.map((recorded) => toSend(recorded));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answers: number[] = [];
    const started = performance.now();
    for (const bytes of bodies) answers.push(await post(bytes));
    client.close();

    let updatesSeconds = NaN;
    let progress: Progress;
    const deadline = Date.now() + 600_000;
    for (;;) {
      progress = await sim.send<Progress>({ cmd: 'progress' });
      const elapsed = (performance.now() - started) / 1000;
      if (Number.isNaN(updatesSeconds) && progress.updated === events) updatesSeconds = elapsed;
      if (progress.updated === events && progress.acknowledged === events) {
        return {
          label,
          updatesSeconds,
          acksSeconds: elapsed,
          requests: progress.stats.requests,
          byRoute: progress.stats.byRoute,
          rateLimited: progress.stats.rateLimited,
          failures: progress.failures,
          answers: answers.sort((a, b) => a - b),
          floor: floor.sort((a, b) => a - b),
        };
      }
      if (Date.now() > deadline)
        throw new Error(
          `${label}: not done after 600 s (${progress.updated} updated, ${progress.acknowledged} acknowledged)\n${runtime.log()}`,
        );
      // Polling shares the site's CPU: 50 ms is precise enough for a run of many seconds.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await runtime?.stop();
    sim.stop();
  }
}

function report(result: Result): void {
  const a = result.answers;
  console.log(`\n${result.label}`);
  console.log(
    `  last update landed after ${result.updatesSeconds.toFixed(2)} s, last acknowledgement after ${result.acksSeconds.toFixed(2)} s`,
  );
  console.log(
    `  REST requests: ${result.requests} (${Object.entries(result.byRoute)
      .map(([route, n]) => `${route}: ${n}`)
      .join('; ')})`,
  );
  console.log(`  429 answers: ${result.rateLimited}; acknowledged as failed: ${result.failures}`);
  console.log(
    `  webhook answers (${a.length}): p50 ${percentile(a, 50).toFixed(2)} ms, p99 ${percentile(a, 99).toFixed(2)} ms, max ${a[a.length - 1].toFixed(2)} ms`,
  );
  const f = result.floor;
  console.log(
    `  Node-RED's floor, the same bodies into http in → http response just before: p50 ${percentile(f, 50).toFixed(2)} ms, p99 ${percentile(f, 99).toFixed(2)} ms`,
  );
}

async function main(): Promise<void> {
  const onWindow = values.window === '' ? undefined : Number(values.window);
  console.log(
    `${events} events in ${Math.ceil(events / 50)} batches, ${latencyMs} ms per API request, ${rounds} round(s)`,
  );
  const results: Result[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const [label, window] of [
      ['coalescing off (coalesce 0)', 0],
      [`coalescing on (${onWindow === undefined ? 'as shipped' : `coalesce ${onWindow}`})`, onWindow],
    ] as const) {
      const result = await runOnce(`round ${round}: ${label}`, window);
      report(result);
      results.push(result);
    }
  }
  if (rounds > 1) {
    for (const [parity, label] of [
      [0, 'coalescing off'],
      [1, 'coalescing on'],
    ] as const) {
      const mine = results.filter((_, i) => i % 2 === parity);
      const answers = mine.flatMap((r) => r.answers).sort((a, b) => a - b);
      const floor = mine.flatMap((r) => r.floor).sort((a, b) => a - b);
      console.log(
        `\nall rounds, ${label}: webhook answers (${answers.length}) p50 ${percentile(answers, 50).toFixed(2)} ms, p99 ${percentile(answers, 99).toFixed(2)} ms, max ${answers[answers.length - 1].toFixed(2)} ms; floor p99 ${percentile(floor, 99).toFixed(2)} ms`,
      );
    }
  }
  for (let i = 0; i + 1 < results.length; i += 2) {
    const [off, on] = [results[i], results[i + 1]];
    console.log(
      `\nround ${i / 2 + 1}: ${(off.requests / on.requests).toFixed(2)}× fewer requests, ${(off.updatesSeconds / on.updatesSeconds).toFixed(2)}× faster to the last update (${(off.acksSeconds / on.acksSeconds).toFixed(2)}× to the last acknowledgement)`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
