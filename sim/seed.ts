import type { Actor, EntityStore, Link } from './store';

/** Demo credentials: for the local simulator only, printed by the CLI on purpose. */
export const DEMO_SCRIPT = {
  name: 'node_red_bridge',
  key: 'sim-demo-key-3f9a0c',
  login: 'jane',
  password: 'sim-demo-password',
  userName: 'Jane Doe',
} as const;

export const SHOT_STEPS = ['Layout', 'Animation', 'Lighting', 'Comp'] as const;
export const ASSET_STEPS = ['Model', 'Rig', 'Surfacing'] as const;

/** Ids of the seeded records (identical in every simulator instance). */
export interface DemoIds {
  apiUserId: number;
  humanUserId: number;
  artistIds: number[];
  projectId: number;
  stepIds: Record<string, number>;
  sequenceId: number;
  shotIds: Record<string, number>;
  assetIds: Record<string, number>;
  /** `"<shot or asset code>/<step>"` → Task id, e.g. `"sh010/Animation"`. */
  taskIds: Record<string, number>;
  versionIds: number[];
  noteIds: number[];
}

export interface ScriptOptions {
  /** The ApiUser's generate_event_log_entries: whether its writes log events and fire webhooks. */
  generateEvents?: boolean;
}

export interface Accounts {
  addScript(name: string, key: string, opts?: ScriptOptions): Link;
  addHumanUser(login: string, password: string, name: string): Link;
}

/** The users every simulator has (seeded or not): the demo script and the demo person. */
export function seedAccounts(accounts: Accounts): { apiUserId: number; humanUserId: number } {
  // The demo flows chain on the bridge's own writes, so it generates events (as FPTR advises).
  const api = accounts.addScript(DEMO_SCRIPT.name, DEMO_SCRIPT.key, { generateEvents: true });
  const human = accounts.addHumanUser(DEMO_SCRIPT.login, DEMO_SCRIPT.password, DEMO_SCRIPT.userName);
  return { apiUserId: api.id, humanUserId: human.id };
}

/** Creates the Tasks of one shot or asset: the first step in progress, the rest waiting. */
export function createTasks(
  write: (type: string, data: Record<string, unknown>) => Link,
  project: Link,
  parent: Link,
  steps: ReadonlyArray<[string, number]>,
  assignees: Link[],
): Record<string, number> {
  const ids: Record<string, number> = {};
  steps.forEach(([step, stepId], i) => {
    ids[step] = write('Task', {
      content: step,
      project,
      entity: parent,
      step: { type: 'Step', id: stepId },
      sg_status_list: i === 0 ? 'ip' : 'wtg',
      task_assignees: [assignees[i % assignees.length]],
    }).id;
  });
  return ids;
}

/** The demo project, written without events (seeding is not activity). */
export function seedProject(
  store: EntityStore,
  accounts: Accounts,
  actor: Actor,
): Omit<DemoIds, 'apiUserId' | 'humanUserId'> {
  const put = (type: string, data: Record<string, unknown>): Link => {
    const rec = store.insert(type, data, actor);
    return { type: rec.type, id: rec.id };
  };
  const artists = [
    accounts.addHumanUser('alex', 'sim-demo-password', 'Alex Animator'),
    accounts.addHumanUser('sam', 'sim-demo-password', 'Sam Lighter'),
  ];
  const project = put('Project', { name: 'Demo', code: 'demo', sg_status: 'Active', users: [actor.user, ...artists] });
  const stepIds: Record<string, number> = {};
  SHOT_STEPS.forEach((code, i) => {
    stepIds[code] = put('Step', {
      code,
      short_name: code.slice(0, 4).toUpperCase(),
      entity_type: 'Shot',
      list_order: i + 1,
    }).id;
  });
  ASSET_STEPS.forEach((code, i) => {
    stepIds[code] = put('Step', {
      code,
      short_name: code.slice(0, 4).toUpperCase(),
      entity_type: 'Asset',
      list_order: i + 1,
    }).id;
  });
  const sequence = put('Sequence', { code: 'SEQ010', project, sg_status_list: 'ip' });
  const shotIds: Record<string, number> = {};
  const assetIds: Record<string, number> = {};
  const taskIds: Record<string, number> = {};
  const shotSteps = SHOT_STEPS.map((s) => [s, stepIds[s]] as [string, number]);
  const assetSteps = ASSET_STEPS.map((s) => [s, stepIds[s]] as [string, number]);
  ['sh010', 'sh020', 'sh030'].forEach((code, i) => {
    const shot = put('Shot', {
      code,
      project,
      sg_sequence: sequence,
      sg_status_list: i === 0 ? 'ip' : 'wtg',
      sg_cut_in: 1001,
      sg_cut_out: 1048 + i * 24,
    });
    shotIds[code] = shot.id;
    for (const [step, id] of Object.entries(createTasks(put, project, shot, shotSteps, artists)))
      taskIds[`${code}/${step}`] = id;
  });
  for (const [code, type] of [
    ['hero', 'Character'],
    ['crate', 'Prop'],
  ] as const) {
    const asset = put('Asset', { code, project, sg_asset_type: type, sg_status_list: 'ip' });
    assetIds[code] = asset.id;
    for (const [step, id] of Object.entries(createTasks(put, project, asset, assetSteps, artists)))
      taskIds[`${code}/${step}`] = id;
  }
  const versions = [
    put('Version', {
      code: 'sh010_layout_v001',
      project,
      entity: { type: 'Shot', id: shotIds.sh010 },
      sg_task: { type: 'Task', id: taskIds['sh010/Layout'] },
      user: artists[0],
      sg_status_list: 'rev',
    }),
    put('Version', {
      code: 'hero_model_v001',
      project,
      entity: { type: 'Asset', id: assetIds.hero },
      sg_task: { type: 'Task', id: taskIds['hero/Model'] },
      user: artists[1],
      sg_status_list: 'rev',
    }),
  ];
  const notes = [
    put('Note', {
      subject: 'sh010 layout: camera',
      content: 'Please push the camera in a little.',
      project,
      user: actor.user,
      note_links: [{ type: 'Shot', id: shotIds.sh010 }, versions[0]],
      tasks: [{ type: 'Task', id: taskIds['sh010/Layout'] }],
      addressings_to: [artists[0]],
    }),
    put('Note', {
      subject: 'hero model: proportions',
      content: 'Arms read a bit long.',
      project,
      user: actor.user,
      note_links: [{ type: 'Asset', id: assetIds.hero }, versions[1]],
      tasks: [{ type: 'Task', id: taskIds['hero/Model'] }],
      addressings_to: [artists[1]],
    }),
  ];
  return {
    artistIds: artists.map((a) => a.id),
    projectId: project.id,
    stepIds,
    sequenceId: sequence.id,
    shotIds,
    assetIds,
    taskIds,
    versionIds: versions.map((v) => v.id),
    noteIds: notes.map((n) => n.id),
  };
}
