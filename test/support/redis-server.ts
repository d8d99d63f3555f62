import { spawn, type ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import net = require('node:net');
import os = require('node:os');
import path = require('node:path');
import { freePort } from './loopback';

/** Debian's redis-server; CI installs it (`.ci/run`), nothing is ever downloaded. */
export const REDIS_SERVER_PATH = process.env.FPTR_REDIS_SERVER ?? '/usr/bin/redis-server';

export function redisInstalled(): boolean {
  try {
    fs.accessSync(REDIS_SERVER_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * For a `before` hook of a suite that needs redis-server: skips the suite with a warning when it
 * is not installed, except under `CI=true`, where a missing server is a broken CI set-up.
 */
export function requireRedis(context: Mocha.Context): void {
  if (redisInstalled()) return;
  if (process.env.CI === 'true')
    throw new Error(`${REDIS_SERVER_PATH} is missing: CI must apt-get install redis-server`);
  console.warn(
    `\n  !!! SKIPPING Redis tests: ${REDIS_SERVER_PATH} is not installed (apt-get install redis-server) !!!\n`,
  );
  context.skip();
}

export interface RedisServerOptions {
  /** `requirepass`: clients must AUTH with it. */
  password?: string;
}

/**
 * A real redis-server on a free 127.0.0.1 port, in a temp folder, persisting nothing. It can be
 * stopped and started again on the same port (an outage), or paused with SIGSTOP (a server that
 * accepts connections but never answers). Every process is ended by its own PID.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output: string[] = [];
  private paused = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** redis://127.0.0.1:PORT (without the password). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.output.join('');
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-redis-'));
    const server = new RedisServer(await freePort(), dir, options);
    await server.resume();
    return server;
  }

  /** Starts the server again on the same port after `stop()` (a no-op while it runs). */
  async resume(): Promise<void> {
    if (this.running) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
    ];
    if (this.options.password) args.push('--requirepass', this.options.password);
    const child = spawn(REDIS_SERVER_PATH, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.paused = false;
    const collect = (chunk: Buffer): void => {
      this.output.push(chunk.toString('utf8'));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await this.waitAccepting(child);
  }

  /** Ends the server (SIGTERM, SIGKILL after 5 s); clients see their connections close. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    if (this.paused) child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Freezes the server: connections stay open, nothing is answered (a hung or partitioned server). */
  pause(): void {
    if (!this.running || this.paused) return;
    this.child?.kill('SIGSTOP');
    this.paused = true;
  }

  /** Lets a paused server run on. */
  unpause(): void {
    if (!this.running || !this.paused) return;
    this.child?.kill('SIGCONT');
    this.paused = false;
  }

  /** Stops the server and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Resolves once the server answers PING on its port (an inline command, no client library). */
  private async waitAccepting(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited:\n${this.log()}`);
      if (await this.answersPing()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not answer within 10 s:\n${this.log()}`);
  }

  private answersPing(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      let answer = '';
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.on('error', () => done(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      // Without the password the server answers -NOAUTH: it is up all the same.
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
      });
    });
  }
}

/**
 * A redis-server for the calling suite: started in its `before` (see requireRedis for a machine
 * without one), started again after each test that stopped it, and disposed of in its `after`.
 * Returns the running server.
 */
export function redisForSuite(): () => RedisServer {
  let server: RedisServer | undefined;
  before(async function () {
    requireRedis(this);
    server = await RedisServer.start();
  });
  afterEach(async () => {
    await server?.resume();
  });
  after(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error('redisForSuite: the suite has not started its redis-server');
    return server;
  };
}
