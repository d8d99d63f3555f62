import { spawn, type ChildProcess } from 'node:child_process';
import path = require('node:path');
import should = require('should');
import { FptrSimulator, runScenario } from '../../sim';
import { Consumer, SimHarness, deliveriesOf } from '../support/sim';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'sim', 'cli.ts');

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runCli(args: string[]): Run {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(run: Run, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let i = 0; i < 400; i++) {
    const m = run.output().match(pattern);
    if (m) return m;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`CLI never printed ${pattern}; output:\n${run.output()}`);
}

describe('fptr-sim: CLI', function () {
  // Each case starts a Node process through tsx, slow on a busy machine.
  this.timeout(40_000);
  const running: Run[] = [];
  afterEach(async () => {
    for (const run of running.splice(0)) {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  const start = (args: string[]): Run => {
    const run = runCli(args);
    running.push(run);
    return run;
  };

  it('prints usage for --help and exits 0', async () => {
    const run = start(['--help']);
    should(await run.exited).eql(0);
    should(run.output()).match(/^fptr-sim — /m);
    for (const flag of ['--port', '--host', '--allow-remote', '--token-ttl', '--no-seed', '--scenario', '--help'])
      should(run.output()).containEql(flag);
  });

  it('refuses a non-loopback host, unknown options and a bad port with exit code 2', async () => {
    const [remote, unknown, port] = [start(['--host', '0.0.0.0']), start(['--bogus']), start(['--port', 'abc'])];
    should(await Promise.all([remote.exited, unknown.exited, port.exited])).eql([2, 2, 2]);
    should(remote.output()).match(/not a loopback address/);
    should(unknown.output()).match(/Unknown option '--bogus'/);
    should(port.output()).match(/--port must be a whole number/);
  });

  it('serves on the given port, prints URL and demo credentials, logs requests and stops on SIGTERM', async () => {
    const run = start(['--port', '0', '--token-ttl', '120']);
    const [, url] = await waitFor(run, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    should(run.output()).containEql(FptrSimulator.DEMO.scriptKey);
    should(run.output()).containEql(FptrSimulator.DEMO.password);
    const h = new SimHarness();
    h.url = url;
    const res = await h.call<{ data: unknown[] }>('POST', '/api/v1/entity/Shot/_search', {
      body: { filters: [] },
      contentType: 'application/vnd+shotgun.api3_array+json',
    });
    should(res.status).eql(200);
    should(res.json.data).have.length(3);
    await waitFor(run, /POST \/api\/v1\/entity\/Shot\/_search 200/);
    should(run.output()).not.match(/client_secret/);
    run.child.kill('SIGTERM');
    should(await run.exited).eql(0);
  });

  it('runs the scenario with --scenario', async () => {
    const run = start(['--port', '0', '--scenario', '--step-delay', '0', '--quiet']);
    await waitFor(run, /listening on http/);
    await waitFor(run, /scenario done/);
    run.child.kill('SIGINT');
    should(await run.exited).eql(0);
  });
});

describe('fptr-sim: demo scenario', () => {
  const h = new SimHarness();
  const consumer = new Consumer();
  beforeEach(async () => {
    consumer.received = [];
    await consumer.listen();
    await h.start();
  });
  afterEach(async () => {
    await h.stop();
    await consumer.close();
  });

  it('creates sh040 with Tasks, finishes Animation and notes Lighting, firing webhooks', async () => {
    h.sim.createWebhook({
      url: consumer.url,
      entity_types: { Task: { update: ['sg_status_list'] }, Note: { create: [] } },
    });
    const result = await runScenario(h.sim, { stepDelayMs: 0 });
    should(result.shot).containEql({ code: 'sh040' });
    should(Object.keys(result.tasks)).eql(['Layout', 'Animation', 'Lighting', 'Comp']);
    should(h.sim.get('Task', result.tasks.Animation.id)?.sg_status_list).eql('fin');
    should(result.note.tasks).eql([{ type: 'Task', id: result.tasks.Lighting.id, name: 'Lighting' }]);
    await h.sim.whenDeliveriesSettled();
    const got = consumer.received.map((d) => deliveriesOf(d)[0]);
    should(got.map((d) => d.event_type)).eql(['Shotgun_Task_Change', 'Shotgun_Note_New']);
    should(got[0].meta).containEql({ old_value: 'wtg', new_value: 'fin' });
  });

  it('needs the seeded project', async () => {
    await h.stop();
    await h.start({ seed: false });
    await should(runScenario(h.sim, { stepDelayMs: 0 })).be.rejectedWith(/seeded demo project/);
  });
});
