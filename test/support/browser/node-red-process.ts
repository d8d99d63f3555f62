import { spawn, type ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { freePort } from '../loopback';

export interface NodeRedOptions {
  /** Node-RED's command-line entry point (`<node-red package>/red.js`). */
  redJs: string;
  userDir: string;
  /** Extra module folders (the negative test loads a broken copy of the package from here). */
  nodesDir?: string[];
  /** Folder served at `/` by httpStatic (holds the empty palette catalogue). */
  staticDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Merged into the settings file (e.g. a node's own settings). */
  settings?: Record<string, unknown>;
}

/** The `red.js` command next to the `lib/red.js` that the test runtime resolves. */
export function redJsFor(runtimeLibRedJs: string): string {
  return path.join(path.dirname(runtimeLibRedJs), '..', 'red.js');
}

function settingsSource(port: number, opts: NodeRedOptions): string {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir: opts.userDir,
    flowFile: 'flows.json',
    credentialSecret: 'browser-test-secret',
    nodesDir: opts.nodesDir,
    httpStatic: opts.staticDir,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    // Nothing may leave the machine: no telemetry prompt, no update check, no tour overlay.
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: {
      tours: false,
      palette: opts.staticDir ? { catalogues: ['catalogue.json'] } : {},
    },
    ...opts.settings,
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/**
 * One Node-RED started as a child process with its own userDir and settings file, on a free
 * loopback port. `stop()` ends exactly that process (by PID).
 */
export class NodeRedProcess {
  private output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    const collect = (chunk: Buffer) => this.output.push(chunk.toString('utf8'));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the process printed so far (shown when a check fails). */
  log(): string {
    return this.output.join('');
  }

  static async start(opts: NodeRedOptions, timeoutMs = 60_000): Promise<NodeRedProcess> {
    fs.mkdirSync(opts.userDir, { recursive: true });
    const port = await freePort();
    const settingsFile = path.join(opts.userDir, 'settings.js');
    fs.writeFileSync(settingsFile, settingsSource(port, opts));
    const child = spawn(process.execPath, [opts.redJs, '--settings', settingsFile, '--userDir', opts.userDir], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const nr = new NodeRedProcess(child, `http://127.0.0.1:${port}/`);
    try {
      await nr.waitReady(timeoutMs);
    } catch (err) {
      await nr.stop();
      throw err;
    }
    return nr;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`Node-RED exited (${exitCode}) before it was ready:\n${this.log()}`);
      // The runtime logs this line once flows are running, i.e. after every node module loaded.
      if (/Started flows/.test(this.log())) {
        const res = await fetch(`${this.url}settings`).catch(() => undefined);
        if (res?.ok) return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Node-RED was not ready within ${timeoutMs} ms:\n${this.log()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
