import { fork, type ChildProcess } from 'node:child_process';
import path = require('node:path');
import type { SimCommand } from './rest-sim-process';

/**
 * The simulator child process and a promise-based way to command it: `rest-sim-process.ts` by
 * default, or another script speaking the same ready/id protocol with its own commands.
 */
export class SimProcess<Command = SimCommand> {
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

  static start<Command = SimCommand>(script = 'rest-sim-process.ts'): Promise<SimProcess<Command>> {
    const child = fork(path.join(__dirname, script), [], {
      execArgv: ['--require', require.resolve('tsx/cjs')],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`simulator process exited with ${String(code)}`)));
      child.once('message', (m: { ready?: string }) => {
        if (m.ready) resolve(new SimProcess<Command>(child, m.ready));
      });
    });
  }

  send<T>(command: Command): Promise<T> {
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
