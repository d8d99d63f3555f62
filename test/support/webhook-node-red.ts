import { spawn, type ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { writeLocales } from '../../scripts/catalogs';
import { freePort } from './loopback';

const ROOT = path.join(__dirname, '..', '..');

export interface RuntimeOptions {
  /** Reused across restarts to test what survives them; a fresh temp folder when absent. */
  userDir?: string;
  /** Merged into the settings file (e.g. httpNodeRoot, contextStorage). */
  settings?: Record<string, unknown>;
  /** Node modules to load from the TypeScript sources, by node type (default: fptr-webhook-in). */
  nodeTypes?: string[];
  /** functionGlobalContext entries given as JavaScript expressions, e.g. `{ crypto: "require('node:crypto')" }`. */
  globals?: Record<string, string>;
  /** Extra arguments for the node binary, e.g. `--expose-gc`. */
  nodeArgs?: string[];
  /**
   * Where Node-RED takes its user directory from, the ways people start it:
   * - `settings` (default): `userDir` in the settings file given with `--settings`;
   * - `flag`: `--userDir <dir>`, Node-RED then reading `<dir>/settings.js` (written without `userDir`);
   * - `home`: neither, so `~/.node-red` and its settings.js. `env.HOME` must then name a
   *   temporary home; `userDir` is ignored.
   */
  userDirFrom?: 'settings' | 'flag' | 'home';
  /** Environment variables of the child, over this process's own (e.g. HOME). */
  env?: Record<string, string>;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /**
   * Load the nodes as an installed module (`<userDir>/node_modules`) instead of from a nodesDir.
   * Node-RED loads no message catalogs for nodesDir nodes, so runtime texts (warnings, errors)
   * are read in the user's words only this way.
   */
  asModule?: boolean;
  /**
   * Load the nodes from the build (dist/, run `npm run build` first) in a plain Node process, as a
   * palette install runs them; by default they load from the TypeScript sources through tsx.
   */
  fromBuild?: boolean;
}

/** The module the nodes are installed as with `asModule`. */
const MODULE_NAME = 'node-red-fptr-under-test';

/** The user directory a runtime started with these options uses; made if missing. */
function userDirOf(options: RuntimeOptions): string {
  if (options.userDirFrom !== 'home') return options.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-nr-'));
  const home = options.env?.HOME;
  // Never the real home: the test would write into the person's own ~/.node-red.
  if (!home || path.resolve(home) === path.resolve(os.homedir()))
    throw new Error('userDirFrom "home" needs env.HOME set to a temporary folder');
  const userDir = path.join(home, '.node-red');
  fs.mkdirSync(userDir, { recursive: true });
  return userDir;
}

/**
 * `red.js` of the runtime under test: next to the `lib/red.js` named by FPTR_NODE_RED_RUNTIME
 * (as test/support/runtime.ts uses it, e.g. Node-RED 5 in CI), else the dev dependency's.
 */
function redJsPath(): string {
  const runtime = process.env.FPTR_NODE_RED_RUNTIME;
  return runtime ? path.join(path.dirname(runtime), '..', 'red.js') : require.resolve('node-red/red.js');
}

/**
 * Makes a nodesDir in which `<type>.js` requires `nodes/<type>.ts` (the child runs with tsx),
 * beside the editor HTML, icons and locales, so the runtime under test is the source tree.
 */
function writeNodesDir(dir: string, types: string[], fromBuild: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const type of types) {
    const source = fromBuild ? path.join(ROOT, 'dist', 'nodes', `${type}.js`) : path.join(ROOT, 'nodes', `${type}.ts`);
    if (!fs.existsSync(source)) throw new Error(`${source} is missing: run \`npm run build\` first`);
    fs.writeFileSync(path.join(dir, `${type}.js`), `module.exports = require(${JSON.stringify(source)});\n`);
    fs.copyFileSync(path.join(ROOT, 'nodes', `${type}.html`), path.join(dir, `${type}.html`));
  }
  fs.cpSync(path.join(ROOT, 'icons'), path.join(dir, 'icons'), { recursive: true });
  writeLocales(path.join(dir, 'locales'));
}

/**
 * A real Node-RED (the dev dependency's red.js) in a child process on a free loopback port,
 * with the admin app and its global JSON parser in front of the node routes, exactly as users
 * run it. `stop()` ends that process by PID and lets it shut down cleanly first.
 */
export class NodeRedRuntime {
  private output: string[] = [];
  private readonly exited: Promise<void>;
  /** Sent with every admin API call once `login()` got a token (settings with adminAuth). */
  private authorization: Record<string, string> = {};

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly userDir: string,
  ) {
    const collect = (chunk: Buffer): void => {
      this.output.push(chunk.toString('utf8'));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  log(): string {
    return this.output.join('');
  }

  /** Process id of the runtime (to sample its CPU or memory from outside). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** False once the process has exited, whatever the reason. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True when the process is still there and its admin API still answers. */
  async alive(): Promise<boolean> {
    if (!this.running) return false;
    const res = await fetch(`${this.url}/settings`, { headers: this.authorization }).catch(() => undefined);
    return res?.ok === true && this.running;
  }

  /**
   * Logs in to the admin API (settings with `adminAuth` of type credentials) as the editor does;
   * later admin calls send the token. Resolves to the answer's status.
   */
  async login(username: string, password: string): Promise<number> {
    const res = await fetch(`${this.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username, password }),
    });
    const answer = (await res.json().catch(() => ({}))) as { access_token?: unknown };
    if (res.ok && typeof answer.access_token === 'string')
      this.authorization = { authorization: `Bearer ${answer.access_token}` };
    return res.status;
  }

  static async start(options: RuntimeOptions = {}, timeoutMs = 60_000): Promise<NodeRedRuntime> {
    const userDir = userDirOf(options);
    const from = options.userDirFrom ?? 'settings';
    const types = options.nodeTypes ?? ['fptr-webhook-in'];
    const nodesDir = options.asModule
      ? path.join(userDir, 'node_modules', MODULE_NAME)
      : path.join(userDir, 'fptr-nodes');
    writeNodesDir(nodesDir, types, options.fromBuild === true);
    if (options.asModule) {
      const nodes = Object.fromEntries(types.map((type) => [type, `${type}.js`]));
      fs.writeFileSync(
        path.join(nodesDir, 'package.json'),
        JSON.stringify({ name: MODULE_NAME, version: '0.0.0', 'node-red': { nodes } }),
      );
    }
    // A fixed uiPort in the settings (a restart on the URL FPTR was given) is used as it is.
    const fixed = options.settings?.uiPort;
    const port = typeof fixed === 'number' ? fixed : await freePort();
    const settings = {
      uiHost: '127.0.0.1',
      uiPort: port,
      ...(from === 'settings' ? { userDir } : {}),
      ...(options.asModule ? {} : { nodesDir: [nodesDir] }),
      flowFile: 'flows.json',
      credentialSecret: 'webhook-runtime-secret',
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      telemetry: { enabled: false, updateNotification: false },
      editorTheme: { tours: false },
      ...options.settings,
    };
    const settingsFile = path.join(userDir, 'settings.js');
    const globals = Object.entries(options.globals ?? {}).map(([name, expr]) => `${JSON.stringify(name)}: ${expr}`);
    fs.writeFileSync(
      settingsFile,
      `module.exports = ${JSON.stringify(settings, null, 2)};\n` +
        `module.exports.functionGlobalContext = { ${globals.join(', ')} };\n`,
    );
    const redJs = redJsPath();
    const userDirArgs = { settings: ['--settings', settingsFile], flag: ['--userDir', userDir], home: [] }[from];
    const loader = options.fromBuild ? [] : ['--require', require.resolve('tsx/cjs')];
    const args = [...(options.nodeArgs ?? []), ...loader, redJs, ...userDirArgs];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    const runtime = new NodeRedRuntime(child, `http://127.0.0.1:${port}`, userDir);
    await runtime.waitReady(timeoutMs);
    return runtime;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (Date.now() < deadline) {
      if (gone) throw new Error(`Node-RED exited before it was ready:\n${this.log()}`);
      const res = await fetch(`${this.url}/settings`).catch(() => undefined);
      // 401: the admin API is up and wants a login (settings with adminAuth).
      if (res?.ok || res?.status === 401) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Node-RED was not ready within ${timeoutMs} ms:\n${this.log()}`);
  }

  /** Full deploy; resolves once `probe` (a node route) answers something other than 404. */
  async deploy(flows: unknown[], probe?: string): Promise<void> {
    const res = await fetch(`${this.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', ...this.authorization },
      body: JSON.stringify(flows),
    });
    if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
    if (!probe) return;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const answer = await fetch(this.url + probe).catch(() => undefined);
      if (answer && answer.status !== 404) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${probe} did not come up after deploy:\n${this.log()}`);
  }

  /** A number or string in the default global context store, read through the admin API. */
  async global(key: string): Promise<unknown> {
    const res = await fetch(`${this.url}/context/global/${encodeURIComponent(key)}`, { headers: this.authorization });
    if (!res.ok) throw new Error(`context read failed: ${res.status}`);
    const entry = (await res.json()) as { msg?: string; format?: string };
    if (entry.format === 'number') return Number(entry.msg);
    return entry.format?.startsWith('string') ? entry.msg : undefined;
  }

  /** The number in global context `key` once it reached `expected` (polled up to 5 s), read again a moment later to catch extras. */
  async countReaching(key: string, expected: number): Promise<number> {
    const read = async (): Promise<number> => ((await this.global(key)) as number | undefined) ?? 0;
    const deadline = Date.now() + 5_000;
    while ((await read()) < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 150));
    return read();
  }

  /** Ends the process at once (SIGKILL: no close handlers, no flushing), as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
