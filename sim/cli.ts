#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { FptrSimulator } from './simulator';
import { runScenario } from './scenario';

const HELP = `fptr-sim — a local Flow Production Tracking (ShotGrid) site simulator

Usage: fptr-sim [options]

  --port <n>          port to listen on (default 8090; 0 picks a free one)
  --host <addr>       address to bind (default 127.0.0.1; loopback only unless --allow-remote)
  --allow-remote      allow a non-loopback --host and webhook URLs on other machines
  --token-ttl <s>     access token lifetime in seconds (default 600)
  --no-seed           start without the demo project (the demo script and user still exist)
  --scenario          run the demo scenario once the server is up (new shot sh040, task to fin, a note)
  --step-delay <ms>   pause between scenario steps (default 1500)
  --quiet             do not log requests and deliveries
  --help              show this help

The printed credentials are demo-only and exist only inside this simulator.
`;

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|::1)$/i;

function fail(message: string): never {
  process.stderr.write(`fptr-sim: ${message}\nRun fptr-sim --help for usage.\n`);
  process.exit(2);
}

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) fail(`${name} must be a whole number, got '${value}'`);
  return Number(value);
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse().values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const host = values.host ?? '127.0.0.1';
  if (!values['allow-remote'] && !LOOPBACK_HOST.test(host))
    fail(`refusing to listen on '${host}': not a loopback address (add --allow-remote to do it anyway)`);
  const port = int(values.port, '--port', 8090);
  if (port > 65535) fail(`--port must be at most 65535, got ${port}`);
  const quiet = values.quiet ?? false;
  const say = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  };
  const log = (line: string): void => {
    if (!quiet) say(line);
  };
  const sim = new FptrSimulator({
    tokenTtlSeconds: int(values['token-ttl'], '--token-ttl', 600),
    seed: !values['no-seed'],
    allowRemoteHooks: values['allow-remote'] ?? false,
    log,
  });
  let url: string;
  try {
    url = await sim.listen(port, host);
  } catch (err) {
    fail(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const demo = FptrSimulator.DEMO;
  process.stdout.write(
    [
      `FPTR simulator listening on ${url}`,
      `  site URL      ${url}`,
      `  script        ${demo.scriptName}  key: ${demo.scriptKey}`,
      `  user login    ${demo.login}  password: ${demo.password}`,
      values['no-seed']
        ? '  (no demo project: started with --no-seed)'
        : `  demo project  "Demo" (Project id ${demo.projectId})`,
      '  These credentials are demo-only. Ctrl+C stops the simulator.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (values.scenario) {
    if (values['no-seed']) fail('--scenario needs the demo project (drop --no-seed)');
    const result = await runScenario(sim, { stepDelayMs: int(values['step-delay'], '--step-delay', 1500), log: say });
    say(`scenario done: Shot ${result.shot.id}, Note ${result.note.id}`);
  }
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      'token-ttl': { type: 'string' },
      'no-seed': { type: 'boolean' },
      scenario: { type: 'boolean' },
      'step-delay': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}

void main().catch((err: unknown) => fail((err as Error).message));
