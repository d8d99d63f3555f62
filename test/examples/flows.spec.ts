import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import type { FlatRecord } from '../../lib/fptr/client/api';
import { helper } from '../support/runtime';
import { Consumer } from '../support/sim';
import {
  DEMO, ExampleRun, WEBHOOK_SECRET, coreNodeTypes, exampleFiles, packageNodeTypes, parseAck, readExample, waitFor, type FlowNode, type Msg,
} from '../support/examples';

const FOLDERS = 'create-folders-for-new-entities.json';
const CASCADE = 'task-status-cascade.json';
const NOTE = 'note-sets-task-status.json';
const RECOVER = 'recover-failed-deliveries.json';
const EVENT_LOG = 'event-log-daemon.json';
const RENDER = 'render-done-to-version.json';
const BACKSTOP = 'webhook-with-backstop.json';

const project = { type: 'Project', id: DEMO.projectId };
const person = { type: 'HumanUser', id: DEMO.humanUserId };
const script = { type: 'ApiUser', id: DEMO.apiUserId };
const task = (key: string): { type: string; id: number } => ({ type: 'Task', id: DEMO.taskIds[key] });

/** Every Task's status, to prove which ones a flow changed (and that nothing else did). */
function taskStatuses(run: ExampleRun): Record<number, unknown> {
  return Object.fromEntries(run.sim.find('Task').map((t: FlatRecord) => [t.id, t.sg_status_list]));
}

/** Clicks the example's inject node. */
function inject(): void {
  (helper.getNode('fptr-ex-recover-timer') as unknown as { receive(msg: Msg): void }).receive({});
}

function statusOf(run: ExampleRun, key: string): unknown {
  return run.sim.get('Task', DEMO.taskIds[key])?.sg_status_list;
}

describe('examples as shipped', function () {
  const examples = exampleFiles().map((file) => ({ file, flow: readExample(file) }));

  it('ships the seven example flows', function () {
    examples.map((e) => e.file).should.eql([FOLDERS, NOTE, RECOVER, CASCADE, EVENT_LOG, RENDER, BACKSTOP].sort());
  });

  it('uses every non-config node type of the package in at least one example', function () {
    const used = new Set(examples.flatMap((e) => e.flow.map((n) => n.type)));
    const missing = packageNodeTypes().filter((type) => type !== 'fptr-site' && !used.has(type));
    missing.should.eql([]);
  });

  it('uses only core nodes and this package\'s nodes', function () {
    const allowed = new Set([...packageNodeTypes(), ...coreNodeTypes(), 'tab']);
    for (const { file, flow } of examples) {
      flow.filter((n) => !allowed.has(n.type)).map((n) => `${file}: ${n.type}`).should.eql([]);
    }
  });

  it('has one tab, one read-me comment and the same placeholder site, without credentials, in each example', function () {
    const siteIds = new Set<string>();
    for (const { file, flow } of examples) {
      const tabs = flow.filter((n) => n.type === 'tab');
      tabs.should.have.length(1, file);
      flow.filter((n) => n.type !== 'tab' && n.type !== 'fptr-site').every((n) => n.z === tabs[0].id).should.be.true(file);
      const comments = flow.filter((n) => n.type === 'comment');
      comments.should.have.length(1, file);
      should(comments[0].info).be.a.String().and.match(/What to change/);
      const sites = flow.filter((n) => n.type === 'fptr-site');
      sites.should.have.length(1, file);
      should(sites[0].url).equal('https://yoursite.shotgrid.autodesk.com');
      siteIds.add(sites[0].id);
      flow.filter((n) => 'credentials' in n).should.eql([], file);
      flow.filter((n) => typeof n.site === 'string' && n.type !== 'fptr-site').every((n) => n.site === sites[0].id).should.be.true(file);
    }
    siteIds.size.should.equal(1);
  });

  it('gives each example with a webhook node its own path, named in its read-me with the FPTR webhook to create', function () {
    const paths: Record<string, string> = {};
    for (const { file, flow } of examples) {
      const comment = flow.find((n) => n.type === 'comment') as FlowNode;
      for (const hook of flow.filter((n) => n.type === 'fptr-webhook-in')) {
        paths[file] = hook.url as string;
        should(comment.info).match(new RegExp(`${hook.url as string}`)).and.match(/Batch deliveries/).and.match(/Secret token/);
      }
    }
    paths.should.eql({
      [FOLDERS]: '/fptr/new-entity',
      [CASCADE]: '/fptr/task-status',
      [NOTE]: '/fptr/note-created',
      [BACKSTOP]: '/fptr/backstop',
    });
  });
});

describe('example: create folders for new entities', function () {
  const run = new ExampleRun();
  let root = '';

  beforeEach(async function () {
    await run.start();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-folders-'));
  });

  afterEach(async function () {
    await run.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  function foldersUnder(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
  }

  it('makes the folder tree of a new Shot and acknowledges success with the folders', async function () {
    await run.load(FOLDERS, { FPTR_FOLDER_ROOT: root });
    const hook = run.hook('/fptr/new-entity', { Shot: { create: [] } });
    const shot = run.sim.create('Shot', { code: 'sh040', project, sg_sequence: { type: 'Sequence', id: DEMO.sequenceId } }, person);

    const ack = parseAck(await run.acknowledged(hook.id));
    ack.status.should.equal('success');
    ack.detail.should.startWith(`Shot sh040: 3 folders under ${root}`);
    foldersUnder(root).should.eql([
      'demo', 'demo/sequences', 'demo/sequences/SEQ010', 'demo/sequences/SEQ010/sh040',
      'demo/sequences/SEQ010/sh040/anim', 'demo/sequences/SEQ010/sh040/comp', 'demo/sequences/SEQ010/sh040/lighting',
    ]);
    should(run.sim.get('Shot', shot.id)?.code).equal('sh040');
  });

  it('makes the folder tree of a new Asset by its asset type', async function () {
    await run.load(FOLDERS, { FPTR_FOLDER_ROOT: root });
    const hook = run.hook('/fptr/new-entity', { Asset: { create: [] } });
    run.sim.create('Asset', { code: 'tree', project, sg_asset_type: 'Environment' }, person);

    parseAck(await run.acknowledged(hook.id)).status.should.equal('success');
    foldersUnder(path.join(root, 'demo', 'assets')).should.eql([
      'Environment', 'Environment/tree', 'Environment/tree/model', 'Environment/tree/rig', 'Environment/tree/surfacing',
    ]);
  });

  it('keeps an entity code with separators and dots inside the root folder', async function () {
    await run.load(FOLDERS, { FPTR_FOLDER_ROOT: root });
    const hook = run.hook('/fptr/new-entity', { Asset: { create: [] } });
    run.sim.create('Asset', { code: '../../escape me', project, sg_asset_type: 'Prop' }, person);

    parseAck(await run.acknowledged(hook.id)).status.should.equal('success');
    fs.readdirSync(path.join(root, 'demo', 'assets', 'Prop')).should.eql(['__.._escape_me']);
    fs.readdirSync(path.dirname(root)).filter((f) => f === 'escape me').should.eql([]);
  });

  it('acknowledges a failure with the reason when the root folder cannot be written, and makes nothing', async function () {
    // A file where the root folder should be fails for every user, root included.
    const blocked = path.join(root, 'not-a-folder');
    fs.writeFileSync(blocked, 'in the way');
    await run.load(FOLDERS, { FPTR_FOLDER_ROOT: blocked });
    const hook = run.hook('/fptr/new-entity', { Shot: { create: [] } });
    run.sim.create('Shot', { code: 'sh050', project, sg_sequence: { type: 'Sequence', id: DEMO.sequenceId } }, person);

    const ack = parseAck(await run.acknowledged(hook.id));
    ack.status.should.equal('failure');
    ack.detail.should.startWith(`Error: could not create ${path.join(blocked, 'demo', 'sequences', 'SEQ010', 'sh050')}`).and.match(/ENOTDIR|EEXIST/);
    foldersUnder(root).should.eql(['not-a-folder']);
  });

  it('acknowledges a failure asking for FPTR_FOLDER_ROOT, and writes nothing, when the root is empty and Node-RED has no user directory', async function () {
    // The test helper stands in for Node-RED's settings, so no user directory is known here (the
    // example reads the real one, FPTR_USER_DIR, in a running Node-RED: examples-userdir.spec.ts). HOME points at
    // the test's folder so that a guess at ~/.node-red would show up there, not in a real home.
    const home = process.env.HOME;
    const userDir = process.env.FPTR_USER_DIR;
    process.env.HOME = root;
    delete process.env.FPTR_USER_DIR;
    try {
      await run.load(FOLDERS);
      const hook = run.hook('/fptr/new-entity', { Shot: { create: [] } });
      run.sim.create('Shot', { code: 'sh070', project, sg_sequence: { type: 'Sequence', id: DEMO.sequenceId } }, person);

      const ack = parseAck(await run.acknowledged(hook.id));
      ack.should.eql({ status: 'failure', detail: 'Error: Node-RED\'s user directory is unknown here: set FPTR_FOLDER_ROOT on this tab', by: 'node-red' });
      foldersUnder(root).should.eql([]);
    } finally {
      process.env.HOME = home;
      if (userDir !== undefined) process.env.FPTR_USER_DIR = userDir;
    }
  });

  it('acknowledges a failure naming the missing value when a Shot has no sequence', async function () {
    await run.load(FOLDERS, { FPTR_FOLDER_ROOT: root });
    const hook = run.hook('/fptr/new-entity', { Shot: { create: [] } });
    const shot = run.sim.create('Shot', { code: 'sh060', project }, person);

    const ack = parseAck(await run.acknowledged(hook.id));
    ack.should.eql({ status: 'failure', detail: `Error: Shot ${shot.id} has no sequence, which the folder template needs`, by: 'node-red' });
    foldersUnder(root).should.eql([]);
  });
});

describe('example: task status cascade', function () {
  const run = new ExampleRun();

  beforeEach(async function () {
    await run.start();
    await run.load(CASCADE);
  });

  afterEach(async function () {
    await run.stop();
  });

  it('sets the waiting Tasks of the next step ready, only those, and acknowledges what changed', async function () {
    // Comp waits too, but for Lighting: Animation's final Task must leave it waiting.
    should(statusOf(run, 'sh010/Comp')).equal('wtg');
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    const skipped = run.tap('fptr-ex-cascade-skipped');
    const before = taskStatuses(run);

    run.sim.update('Task', DEMO.taskIds['sh010/Animation'], { sg_status_list: 'fin' }, person);

    const ack = parseAck(await run.acknowledged(hook.id));
    ack.should.eql({
      status: 'success', by: 'node-red',
      detail: `Task ${DEMO.taskIds['sh010/Animation']} (Animation) final: Lighting (Task ${DEMO.taskIds['sh010/Lighting']}) set to rdy`,
    });
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh010/Animation']]: 'fin', [DEMO.taskIds['sh010/Lighting']]: 'rdy' });

    // The flow's own change comes back through the webhook; the loop guard drops it.
    const echo = await waitFor(() => skipped.find((m) => (m.payload as { entity?: { id?: number } }).entity?.id === DEMO.taskIds['sh010/Lighting']),
      'the flow\'s own update to reach the filter');
    should((echo.payload as { user?: unknown }).user).eql(script);
    should(echo.filterReason).match(/^loop guard/);
    await run.sim.whenDeliveriesSettled();
    run.sim.deliveries(hook.id).should.have.length(2);
    should(run.sim.deliveries(hook.id)[1].acknowledgement).be.null();
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh010/Animation']]: 'fin', [DEMO.taskIds['sh010/Lighting']]: 'rdy' });
  });

  it('ignores a Task set to final by the site\'s own script (loop guard)', async function () {
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    const skipped = run.tap('fptr-ex-cascade-skipped');
    const before = taskStatuses(run);

    run.sim.update('Task', DEMO.taskIds['sh020/Layout'], { sg_status_list: 'fin' }, script);

    const dropped = await waitFor(() => skipped[0], 'the script\'s change to be skipped');
    should(dropped.filterReason).match(/^loop guard/);
    should(run.sim.deliveries(hook.id)[0].acknowledgement).be.null();
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh020/Layout']]: 'fin' });
  });

  it('skips other status changes, saying why', async function () {
    run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    const skipped = run.tap('fptr-ex-cascade-skipped');
    const before = taskStatuses(run);

    run.sim.update('Task', DEMO.taskIds['sh020/Layout'], { sg_status_list: 'rev' }, person);

    const dropped = await waitFor(() => skipped[0], 'the change to be skipped');
    should(dropped.filterReason).match(/changed-to env FPTR_STATUS_FINAL/).and.match(/new "rev"/);
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh020/Layout']]: 'rev' });
  });

  it('acknowledges that there is nothing to do for a step that feeds none', async function () {
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    const before = taskStatuses(run);

    run.sim.update('Task', DEMO.taskIds['hero/Surfacing'], { sg_status_list: 'fin' }, person);

    parseAck(await run.acknowledged(hook.id)).should.eql({
      status: 'success', by: 'node-red', detail: `Task ${DEMO.taskIds['hero/Surfacing']}: step Surfacing feeds no step in FPTR_NEXT_STEPS, nothing to do`,
    });
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['hero/Surfacing']]: 'fin' });
  });

  it('moves on one step at a time: Lighting final makes Comp ready', async function () {
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });

    run.sim.update('Task', DEMO.taskIds['sh010/Animation'], { sg_status_list: 'fin' }, person);
    await run.acknowledged(hook.id);
    should(statusOf(run, 'sh010/Comp')).equal('wtg');
    run.sim.update('Task', DEMO.taskIds['sh010/Lighting'], { sg_status_list: 'fin' }, person);

    const ack = await waitFor(
      () => run.sim.deliveries(hook.id).find((d) => typeof d.acknowledgement === 'string' && d.acknowledgement.includes('(Lighting) final')),
      'the acknowledgement of Lighting\'s final Task',
    );
    parseAck(ack).detail.should.equal(`Task ${DEMO.taskIds['sh010/Lighting']} (Lighting) final: Comp (Task ${DEMO.taskIds['sh010/Comp']}) set to rdy`);
    should(statusOf(run, 'sh010/Comp')).equal('rdy');
  });

  it('readies every step an Asset step feeds, in one batch', async function () {
    const hook = run.hook('/fptr/task-status', { Task: { update: ['sg_status_list'] } });
    run.sim.resetStats();

    run.sim.update('Task', DEMO.taskIds['crate/Model'], { sg_status_list: 'fin' }, person);

    parseAck(await run.acknowledged(hook.id)).status.should.equal('success');
    should(statusOf(run, 'crate/Rig')).equal('rdy');
    should(statusOf(run, 'crate/Surfacing')).equal('rdy');
    should(statusOf(run, 'hero/Rig')).equal('wtg');
    should(run.sim.stats.byRoute['POST /api/v1/entity/_batch']).equal(1);
  });
});

describe('example: event log daemon (the cascade fed by fptr-events-in)', function () {
  this.timeout(30_000);
  const run = new ExampleRun();

  beforeEach(async function () {
    await run.start();
    await run.load(EVENT_LOG);
    // Start is "now": wait until the node has its cursor, so the changes below come after it.
    await waitFor(() => (helper.getNode('fptr-ex-evlog-events') as unknown as { status: { args: Array<[{ text?: string }]> } }).status.args.some((a) => a[0].text?.startsWith('fptr-events-in.status.cursor')), 'the cursor');
  });

  afterEach(async function () {
    await run.stop();
  });

  const committed = (id: string): Msg[] => run.tap(id);

  it('sets the waiting Tasks of the next step ready from the event log, with no webhook and no inbound HTTP, and commits every event', async function () {
    should(statusOf(run, 'sh010/Comp')).equal('wtg');
    const ok = committed('fptr-ex-evlog-ack-ok');
    const skipped = committed('fptr-ex-evlog-ack-skipped');
    const before = taskStatuses(run);

    run.sim.update('Task', DEMO.taskIds['sh010/Animation'], { sg_status_list: 'fin' }, person);

    const done = await waitFor(() => ok[0], 'the cascade to be acknowledged', 15_000);
    should(done.cascade).equal(`Task ${DEMO.taskIds['sh010/Animation']} (Animation) final: Lighting (Task ${DEMO.taskIds['sh010/Lighting']}) set to rdy`);
    should((done.fptr as { source: string }).source).equal('event-log');
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh010/Animation']]: 'fin', [DEMO.taskIds['sh010/Lighting']]: 'rdy' });
    // The flow's own change is in the event log too: the loop guard skips it, and it is acknowledged as skipped.
    const echo = await waitFor(() => skipped.find((m) => (m.payload as { entity?: { id?: number } }).entity?.id === DEMO.taskIds['sh010/Lighting']), 'the flow\'s own update to be skipped', 15_000);
    should(echo.filterReason).match(/^loop guard/);
    run.sim.webhooks().should.eql([]);
  });

  it('goes on past skipped events: a later final Task still cascades', async function () {
    const ok = committed('fptr-ex-evlog-ack-ok');
    const skipped = committed('fptr-ex-evlog-ack-skipped');

    run.sim.update('Task', DEMO.taskIds['sh020/Layout'], { sg_status_list: 'rev' }, person);
    run.sim.update('Task', DEMO.taskIds['sh010/Animation'], { sg_status_list: 'fin' }, person);

    await waitFor(() => ok[0], 'the cascade after the skipped event', 15_000);
    should(skipped[0]!.filterReason).match(/new "rev"/);
    should(statusOf(run, 'sh010/Lighting')).equal('rdy');
  });
});

describe('example: a note sets its task\'s status', function () {
  const run = new ExampleRun();

  beforeEach(async function () {
    await run.start();
    await run.load(NOTE);
  });

  afterEach(async function () {
    await run.stop();
  });

  it('sets the Task the Note is on to changes requested and acknowledges it', async function () {
    const hook = run.hook('/fptr/note-created', { Note: { create: [] } });
    const before = taskStatuses(run);
    const note = run.sim.create('Note', { subject: 'timing', content: 'Hold the pose longer.', project, tasks: [task('sh020/Animation')] }, person);

    parseAck(await run.acknowledged(hook.id)).should.eql({
      status: 'success', by: 'node-red', detail: `Note ${note.id}: Task ${DEMO.taskIds['sh020/Animation']} set to rev`,
    });
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh020/Animation']]: 'rev' });
  });

  it('sets the Task of the Version the Note is about', async function () {
    const hook = run.hook('/fptr/note-created', { Note: { create: [] } });
    const before = taskStatuses(run);
    const version = run.sim.get('Version', DEMO.versionIds[1]) as FlatRecord;
    should(version.sg_task).match({ type: 'Task', id: DEMO.taskIds['hero/Model'] });
    run.sim.create('Note', { subject: 'hero', content: 'Hands too big.', project, note_links: [{ type: 'Asset', id: DEMO.assetIds.hero }, { type: 'Version', id: version.id }] }, person);

    parseAck(await run.acknowledged(hook.id)).status.should.equal('success');
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['hero/Model']]: 'rev' });
  });

  it('acknowledges a Note linked to no Task without changing anything', async function () {
    const hook = run.hook('/fptr/note-created', { Note: { create: [] } });
    const before = taskStatuses(run);
    const note = run.sim.create('Note', { subject: 'general', content: 'Nice work, everyone.', project, note_links: [{ type: 'Shot', id: DEMO.shotIds.sh010 }] }, person);

    parseAck(await run.acknowledged(hook.id)).should.eql({ status: 'success', by: 'node-red', detail: `Note ${note.id}: no Task linked, nothing changed` });
    taskStatuses(run).should.eql(before);
  });

  it('ignores Notes created by the site\'s own script (loop guard)', async function () {
    const hook = run.hook('/fptr/note-created', { Note: { create: [] } });
    const filter = run.tap('fptr-ex-note-filter');
    const read = run.tap('fptr-ex-note-read');
    const before = taskStatuses(run);
    run.sim.create('Note', { subject: 'bot', content: 'Automatic note.', project, tasks: [task('sh030/Layout')] }, script);

    await waitFor(() => filter[0], 'the Note event to reach the filter');
    await run.sim.whenDeliveriesSettled();
    // A person's Note afterwards goes all the way through, so the script's one was dropped, not slow.
    run.sim.create('Note', { subject: 'person', content: 'Please check.', project, tasks: [task('sh030/Comp')] }, person);
    await run.acknowledged(hook.id, 1);
    read.should.have.length(1);
    should(run.sim.deliveries(hook.id)[0].acknowledgement).be.null();
    taskStatuses(run).should.eql({ ...before, [DEMO.taskIds['sh030/Comp']]: 'rev' });
  });
});

describe('example: recover failed deliveries', function () {
  const run = new ExampleRun();
  const consumer = new Consumer();

  beforeEach(async function () {
    await run.start();
    await consumer.listen();
  });

  afterEach(async function () {
    await run.stop();
    await consumer.close();
  });

  it('redelivers the failed deliveries of every listed webhook and reports the counts', async function () {
    consumer.answer = () => ({ status: 503 });
    const failing = run.sim.createWebhook({ url: consumer.url, entity_types: { Task: { update: ['sg_status_list'] } } });
    const healthy = run.sim.createWebhook({ url: consumer.url.replace('/hook', '/other'), entity_types: { Shot: { update: [] } } });
    run.sim.update('Task', DEMO.taskIds['sh010/Comp'], { sg_status_list: 'hld' }, person);
    run.sim.update('Task', DEMO.taskIds['sh020/Comp'], { sg_status_list: 'hld' }, person);
    await run.sim.whenDeliveriesSettled();
    run.sim.deliveries(failing.id).map((d) => d.status).should.eql(['failed', 'failed']);

    consumer.answer = () => ({ status: 200, body: '{"ok":true}' });
    await run.load(RECOVER, { FPTR_WEBHOOK_IDS: `${failing.id}, ${healthy.id}` });
    const results = run.tap('fptr-ex-recover-result');
    inject();

    await waitFor(() => results.length === 2, 'a result for each webhook');
    const byHook = Object.fromEntries(results.map((m) => [(m.sweep as { hookId: string }).hookId, m]));
    should(byHook[failing.id].sweep).match({ found: 2, redelivered: 2, failed: [] });
    should(byHook[failing.id].payload).match(new RegExp(`^webhook ${failing.id}: 2 failed deliveries from .* to .*, 2 redelivered$`));
    should(byHook[healthy.id].sweep).match({ found: 0, redelivered: 0, failed: [] });
    await run.sim.whenDeliveriesSettled();
    run.sim.deliveries(failing.id).map((d) => [d.status, d.response_code]).should.eql([['delivered', 200], ['delivered', 200]]);
    consumer.received.should.have.length(4);
  });

  it('reports why a sweep failed (an unknown webhook id) through its Catch node', async function () {
    await run.load(RECOVER, { FPTR_WEBHOOK_IDS: '5f0e8a52-8a2a-4c9e-9d55-3c3e3f1b2a10' });
    const errors = run.tap('fptr-ex-recover-error');
    const results = run.tap('fptr-ex-recover-result');
    inject();

    const caught = await waitFor(() => errors[0], 'the sweep error');
    should((caught.error as { message: string }).message).match(/404/);
    results.should.have.length(0);
  });

  it('sweeps nothing and says what to set while no webhook id is given', async function () {
    await run.load(RECOVER);
    const each = helper.getNode('fptr-ex-recover-each') as unknown as { warn: { callCount: number; lastCall?: { args: unknown[] } } };
    const sweep = run.tap('fptr-ex-recover-sweep');
    inject();

    await waitFor(() => each.warn.callCount > 0, 'the warning');
    should(each.warn.lastCall?.args[0]).match(/FPTR_WEBHOOK_IDS/);
    sweep.should.have.length(0);
  });
});

describe('example: webhook with an event-log backstop', function () {
  this.timeout(60_000);
  const run = new ExampleRun();
  const T = 'fptr-ex-backstop';

  beforeEach(async function () {
    await run.start();
  });

  afterEach(async function () {
    await run.stop();
  });

  /** The simulator's webhook for the example, pointed at the loaded flow (its id must be known before loading). */
  async function loadWithHook(): Promise<string> {
    const hook = run.sim.createWebhook({
      url: 'http://127.0.0.1:9/fptr/backstop',
      token: WEBHOOK_SECRET,
      batch_deliveries: true,
      entity_types: { Task: { update: ['sg_status_list'] } },
    });
    // Time scaled down: the backstop's grace 1 s instead of 120, the watch every second.
    await run.load(BACKSTOP, { FPTR_WEBHOOK_ID: hook.id }, (flow) => {
      const node = (id: string): FlowNode => flow.find((n) => n.id === `${T}-${id}`)!;
      Object.assign(node('events'), { interval: 0.1, backstopGrace: 1 });
      Object.assign(node('webhook'), { hookId: hook.id, watchInterval: 1 });
    });
    const token = (await fetch(`${run.sim.url}/api/v1/auth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: DEMO.scriptName, client_secret: DEMO.scriptKey }),
    }).then((res) => res.json())) as { access_token: string };
    const res = await fetch(`${run.sim.url}/api/v1/webhook/hooks/${hook.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${run.baseUrl}/fptr/backstop` }),
    });
    res.status.should.equal(200);
    await waitFor(() => (helper.getNode(`${T}-events`) as unknown as { status: { args: Array<[{ text?: string }]> } }).status.args.some((a) => a[0].text?.startsWith('fptr-events-in.status.cursor')), 'the cursor');
    return hook.id;
  }

  it('handles each Task status change once: from the webhook while it works, from the event log while it is disabled, and sweeps', async function () {
    const hookId = await loadWithHook();
    const handled = run.tap(`${T}-done`);
    const statuses = run.tap(`${T}-hook-status`);
    const sweeps = run.tap(`${T}-sweep-result`);

    run.sim.update('Task', DEMO.taskIds['sh010/Animation'], { sg_status_list: 'ip' }, person);
    const first = await waitFor(() => handled[0], 'the webhook delivery', 10_000);
    should(first.handled).match(/ → ip \(via webhook\)$/);
    should(parseAck(await run.acknowledged(hookId))).match({ status: 'success' });

    run.sim.setHookStatus(hookId, 'disabled');
    await waitFor(() => statuses.find((m) => (m.payload as { status?: string }).status === 'disabled'), 'the disabled status', 10_000);
    run.sim.update('Task', DEMO.taskIds['sh020/Layout'], { sg_status_list: 'rev' }, person);
    const second = await waitFor(() => handled[1], 'the event-log backstop', 15_000);
    should(second.handled).match(/ → rev \(via event-log\)$/);
    // Past another grace period: neither event comes a second time.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    handled.should.have.length(2);

    (helper.getNode(`${T}-timer`) as unknown as { receive(msg: Msg): void }).receive({});
    const sweep = await waitFor(() => sweeps[0], 'the sweep', 10_000);
    should(sweep.payload).match({ hookId, found: 0, unacknowledged: { found: 0, redelivered: 0 } });
  });
});
