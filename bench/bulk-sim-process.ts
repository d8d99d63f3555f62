/**
 * The simulator in its own process for bench/bulk-cascade.ts (a real site is another machine:
 * its CPU time must not be charged to Node-RED). Seeds Shots with the four shot Tasks, has a
 * person set the Layout Tasks final with a batched webhook registered, and keeps the signed
 * bodies it delivered — exactly what FPTR would send — for the bench to replay into Node-RED.
 * Driven over IPC (fork with `--require tsx/cjs`).
 */
import { FptrSimulator, type SimStats } from '../sim';
import { LoopbackServer } from '../test/support/loopback';

export type BulkSimCommand =
  { cmd: 'prepare'; shots: number; secret: string; latencyMs: number } | { cmd: 'progress' } | { cmd: 'resetStats' };

export interface Recorded {
  headers: Record<string, string>;
  body: string;
}

export interface Prepared {
  /** One event on a Shot of its own, to run through the flow before the burst (first-use costs). */
  warmUp: Recorded;
  burst: Recorded[];
}

export interface Progress {
  /** Animation Tasks set ready so far (the cascade's updates). */
  updated: number;
  /** Acknowledgements written so far (one PUT per delivery). */
  acknowledged: number;
  /** Acknowledged as failed: counted once every event is acknowledged, 0 before. */
  failures: number;
  stats: SimStats;
}

const DEMO = FptrSimulator.DEMO;
const ACK_ROUTE = 'PUT /api/v1/webhook/deliveries/{id}';

const sim = new FptrSimulator({ log: () => undefined, webhookBatchWindowMs: 20 });
const consumer = new LoopbackServer();
let animationIds: number[] = [];
let hookId = '';

async function prepare(shots: number, secret: string, latencyMs: number): Promise<Prepared> {
  const project = { type: 'Project', id: DEMO.projectId };
  const shotIds = sim
    .bulkCreate(
      'Shot',
      Array.from({ length: shots + 1 }, (_, i) => ({ code: `bulk_${i}`, project })),
    )
    .map((s) => s.id);
  const layoutIds: number[] = [];
  animationIds = [];
  for (const shotId of shotIds) {
    const entity = { type: 'Shot', id: shotId };
    const tasks = sim.bulkCreate(
      'Task',
      ['Layout', 'Animation', 'Lighting', 'Comp'].map((step, i) => ({
        content: step,
        project,
        entity,
        step: { type: 'Step', id: DEMO.stepIds[step] },
        sg_status_list: i === 0 ? 'ip' : 'wtg',
      })),
    );
    layoutIds.push(tasks[0].id);
    animationIds.push(tasks[1].id);
  }
  const bodies: Recorded[] = [];
  const url = await consumer.listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k.startsWith('x-sg-') || k === 'content-type'),
      ) as Record<string, string>;
      bodies.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  hookId = sim.createWebhook({
    url: `${url}/hook`,
    token: secret,
    batch_deliveries: true,
    entity_types: { Task: { update: ['sg_status_list'] } },
  }).id;
  const person = { type: 'HumanUser', id: DEMO.humanUserId };
  const warmUpId = layoutIds.shift() as number;
  animationIds.shift();
  sim.update('Task', warmUpId, { sg_status_list: 'fin' }, person);
  await sim.whenDeliveriesSettled();
  for (const id of layoutIds) sim.update('Task', id, { sg_status_list: 'fin' }, person);
  await sim.whenDeliveriesSettled();
  await consumer.close();
  // From now on every API request takes this long, as on a site across the internet.
  if (latencyMs > 0) sim.faults.add({ path: '/api/v1/', latencyMs });
  waiting = new Set(animationIds);
  const [warmUp, ...burst] = bodies;
  return { warmUp, burst };
}

/** Animation Tasks not yet seen ready: each poll looks only at these. */
let waiting = new Set<number>();

/**
 * Cheap while the burst runs, since it is polled and shares the site's CPU: only the Tasks not
 * yet ready are looked at, and the acknowledgements (every delivery body parsed) only at the end.
 */
function progress(): Progress {
  for (const id of waiting) if (sim.get('Task', id)?.sg_status_list === 'rdy') waiting.delete(id);
  const stats = sim.stats;
  const acknowledged = stats.byRoute[ACK_ROUTE] ?? 0;
  const failures =
    acknowledged < animationIds.length
      ? 0
      : sim
          .deliveries(hookId)
          .filter((d) => typeof d.acknowledgement === 'string' && d.acknowledgement.includes('"failure"')).length;
  return { updated: animationIds.length - waiting.size, acknowledged, failures, stats };
}

async function run(command: BulkSimCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'prepare':
      return prepare(command.shots, command.secret, command.latencyMs);
    case 'progress':
      return progress();
    case 'resetStats':
      return sim.resetStats();
  }
}

process.on('message', (message: { id: number; command: BulkSimCommand }) => {
  void run(message.command).then((result) => process.send?.({ id: message.id, result: result ?? null }));
});
process.on('disconnect', () => {
  void sim.close().then(() => process.exit(0));
});
void sim.listen(0, '127.0.0.1').then((url) => process.send?.({ ready: url }));
