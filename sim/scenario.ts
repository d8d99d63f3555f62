import type { FlatRecord } from '../lib/fptr/client/api';
import type { FptrSimulator } from './simulator';
import { SHOT_STEPS } from './seed';

export interface ScenarioOptions {
  /** Pause between steps so a watching flow shows each one; default 1000. */
  stepDelayMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ScenarioResult {
  shot: FlatRecord;
  tasks: Record<string, FlatRecord>;
  note: FlatRecord;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A short story for newcomers (used by `npm start` / `fptr-sim --scenario`): a new shot sh040
 * with its Tasks, its Animation task finished, and a Note on its Lighting task. Every step
 * writes events and fires webhooks like real activity.
 */
export async function runScenario(sim: FptrSimulator, opts: ScenarioOptions = {}): Promise<ScenarioResult> {
  const stepDelayMs = opts.stepDelayMs ?? 1000;
  const log = opts.log ?? (() => undefined);
  const demo = (sim.constructor as typeof FptrSimulator).DEMO;
  const project = { type: 'Project', id: demo.projectId };
  const artist = { type: 'HumanUser', id: demo.artistIds[0] ?? demo.humanUserId };
  if (!sim.get('Project', demo.projectId)) throw new Error('runScenario needs the seeded demo project (seed: true)');

  const shot = sim.create('Shot', {
    code: 'sh040',
    project,
    sg_sequence: { type: 'Sequence', id: demo.sequenceId },
    sg_status_list: 'wtg',
    sg_cut_in: 1001,
    sg_cut_out: 1072,
  });
  log(`scenario: created Shot sh040 (id ${shot.id})`);
  const tasks: Record<string, FlatRecord> = {};
  for (const [i, step] of SHOT_STEPS.entries()) {
    tasks[step] = sim.create('Task', {
      content: step,
      project,
      entity: { type: 'Shot', id: shot.id },
      step: { type: 'Step', id: demo.stepIds[step] },
      sg_status_list: i === 0 ? 'ip' : 'wtg',
      task_assignees: [artist],
    });
  }
  log(`scenario: created ${SHOT_STEPS.length} Tasks on sh040`);
  await pause(stepDelayMs);

  tasks.Animation = sim.update('Task', tasks.Animation.id as number, { sg_status_list: 'fin' }, artist);
  log(`scenario: Task ${tasks.Animation.id} (sh040 Animation) → fin`);
  await pause(stepDelayMs);

  const note = sim.create('Note', {
    subject: 'sh040 lighting: first pass',
    content: 'Animation is final, lighting can start.',
    project,
    note_links: [{ type: 'Shot', id: shot.id }],
    tasks: [{ type: 'Task', id: tasks.Lighting.id }],
    addressings_to: [artist],
  });
  log(`scenario: Note ${note.id} on sh040 Lighting`);
  return { shot, tasks, note };
}
