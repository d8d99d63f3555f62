/**
 * The simulator in its own process for the REST benchmarks: a real FPTR site is another
 * machine, so its CPU time must not be charged to the client being measured.
 * Driven over IPC through bench/sim-process.ts (fork with `--require tsx/cjs`).
 */
import { FptrSimulator, type FaultRule } from '../sim';

export type SimCommand =
  | { cmd: 'bulkCreate'; type: string; rows: Array<Record<string, unknown>> }
  | { cmd: 'addFault'; rule: FaultRule }
  | { cmd: 'resetStats' }
  | { cmd: 'stats' }
  | { cmd: 'field'; type: string; ids: number[]; field: string }
  | { cmd: 'generateEvents'; n: number; projects?: number[]; seed?: number }
  | { cmd: 'newestEventId' }
  | { cmd: 'clearFaults' };

const sim = new FptrSimulator({ log: () => undefined });

function run(command: SimCommand): unknown {
  switch (command.cmd) {
    case 'bulkCreate':
      return sim.bulkCreate(command.type, command.rows).map((r) => r.id);
    case 'addFault':
      return sim.faults.add(command.rule);
    case 'resetStats':
      return sim.resetStats();
    case 'stats':
      return { ...sim.stats };
    case 'field':
      return command.ids.map((id) => sim.get(command.type, id)?.[command.field]);
    case 'generateEvents':
      return sim.generateEvents(command.n, { projects: command.projects, seed: command.seed });
    case 'newestEventId':
      return sim.eventLog().at(-1)?.id ?? 0;
    case 'clearFaults':
      return sim.faults.clear();
  }
}

process.on('message', (message: { id: number; command: SimCommand }) => {
  process.send?.({ id: message.id, result: run(message.command) ?? null });
});
process.on('disconnect', () => {
  void sim.close().then(() => process.exit(0));
});
void sim.listen(0, '127.0.0.1').then((url) => process.send?.({ ready: url }));
