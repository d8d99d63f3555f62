/**
 * `npm start`: the FPTR simulator plus Node-RED on 127.0.0.1:1880 with this package loaded from
 * the working tree and a site config pointing at the simulator. Ctrl-C stops both.
 *
 * Flags: --reset (redeploy the demo flows even if the demo user dir has flows),
 *        --scenario (play the scripted demo scenario once the flows are deployed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { FptrSimulator } from '../sim';
import { buildDemoFlows } from './demo-flows';
import { demoSettings } from './demo-settings';

const root = path.join(__dirname, '..');
const userDir = path.join(root, '.fptr-demo');
const host = '127.0.0.1';
const uiPort = Number(process.env.FPTR_DEMO_PORT ?? 1880);
const simPort = Number(process.env.FPTR_SIM_PORT ?? 8090);
const args = new Set(process.argv.slice(2));

function writeSettings(): string {
  fs.mkdirSync(userDir, { recursive: true });
  const file = path.join(userDir, 'settings.js');
  const settings = demoSettings({ userDir, root, host, uiPort });
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  return file;
}

async function waitForEditor(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/settings`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('Node-RED did not start within 60 s');
}

async function deploy(url: string, flows: unknown[]): Promise<void> {
  const res = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v1', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(flows),
  });
  if (!res.ok) throw new Error(`deploying the demo flows failed: HTTP ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const sim = new FptrSimulator({ log: (line) => console.log(`[fptr-sim] ${line}`) });
  const simUrl = await sim.listen(simPort, host);
  console.log(`[fptr-sim] FPTR simulator on ${simUrl} (script ${FptrSimulator.DEMO.scriptName})`);

  const editorUrl = `http://${host}:${uiPort}`;
  const firstRun = !fs.existsSync(path.join(userDir, 'flows.json'));
  const settingsFile = writeSettings();
  const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--settings', settingsFile], {
    cwd: root,
    stdio: 'inherit',
  });

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (red.exitCode === null && red.pid !== undefined) process.kill(red.pid, 'SIGINT');
    await sim.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  red.on('exit', (code) => void stop(code ?? 0));

  await waitForEditor(editorUrl, red);
  const demo = buildDemoFlows({ sim, simUrl, nodeRedUrl: editorUrl, userDir });
  if (firstRun || args.has('--reset')) {
    await deploy(editorUrl, demo.flows);
    console.log('[fptr-demo] demo flows deployed');
  }
  await demo.registerWebhooks();
  console.log(`[fptr-demo] editor: ${editorUrl}  (Ctrl-C stops Node-RED and the simulator)`);
  if (args.has('--scenario')) await demo.playScenario();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
