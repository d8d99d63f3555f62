import { fork, type ChildProcess } from 'node:child_process';
import path = require('node:path');
import type { SimCommand } from './rest-sim-process';

/** The simulator child process and a promise-based way to command it. */
export class SimProcess {
  private nextId = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (m: { id?: number; result?: unknown }) => {
      if (m.id !== undefined) this.pending.get(m.id)?.(m.result);
    });
  }

  static start(): Promise<SimProcess> {
    const child = fork(path.join(__dirname, 'rest-sim-process.ts'), [], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`simulator process exited with ${String(code)}`)));
      child.once('message', (m: { ready?: string }) => {
        if (m.ready) resolve(new SimProcess(child, m.ready));
      });
    });
  }

  send<T>(command: SimCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (result) => {
        this.pending.delete(id);
        resolve(result as T);
      });
      this.child.send({ id, command });
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.disconnect();
  }
}
