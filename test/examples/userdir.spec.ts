import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import 'should';
import { FptrSimulator } from '../../sim';
import { DEMO, WEBHOOK_SECRET, exampleCredentials, parseAck, prepareExample, readExample, waitFor } from '../support/examples';
import { NodeRedRuntime, type RuntimeOptions } from '../support/webhook-node-red';

const FOLDERS = 'create-folders-for-new-entities.json';
const HOOK_PATH = '/fptr/new-entity';

/** Every folder named `name` below `dir`, as paths relative to `dir`. */
function foldersNamed(dir: string, name: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => path.basename(p) === name && fs.statSync(path.join(dir, p)).isDirectory())
    .map((p) => p.split(path.sep).join('/'))
    .sort();
}

/**
 * The folder example as shipped (FPTR_FOLDER_ROOT empty) in a real Node-RED started each way
 * people start it. Each run gets its own temporary world: a home (HOME points there, so nothing
 * touches the real one), a working directory and, unless Node-RED uses ~/.node-red, a user
 * directory beside them; the folders must appear in the user directory and nowhere else.
 */
describe('example: create folders for new entities, in Node-RED\'s user directory however Node-RED was started', function () {
  this.timeout(90_000);
  let world = '';
  let sim: FptrSimulator | undefined;
  let runtime: NodeRedRuntime | undefined;

  beforeEach(async function () {
    world = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-userdir-'));
    for (const dir of ['home', 'cwd']) fs.mkdirSync(path.join(world, dir));
    sim = new FptrSimulator({ webhookBatchWindowMs: 20 });
    await sim.listen(0, '127.0.0.1');
  });

  afterEach(async function () {
    await runtime?.stop();
    runtime = undefined;
    await sim?.close();
    fs.rmSync(world, { recursive: true, force: true });
  });

  const styles: Array<{ title: string; from: RuntimeOptions['userDirFrom']; userDir: () => string }> = [
    { title: 'with --userDir', from: 'flag', userDir: () => path.join(world, 'data') },
    { title: 'with userDir in the settings file given by --settings', from: 'settings', userDir: () => path.join(world, 'data') },
    { title: 'with neither (~/.node-red)', from: 'home', userDir: () => path.join(world, 'home', '.node-red') },
  ];

  for (const style of styles) {
    it(`makes a new Shot's folders in the user directory ${style.title}`, async function () {
      const site = sim as FptrSimulator;
      runtime = await NodeRedRuntime.start({
        userDirFrom: style.from,
        userDir: style.userDir(),
        env: { HOME: path.join(world, 'home') },
        cwd: path.join(world, 'cwd'),
        nodeTypes: ['fptr-site', 'fptr-webhook-in', 'fptr-entity-switch', 'fptr-find', 'fptr-acknowledge'],
      });
      runtime.userDir.should.equal(style.userDir());
      const flow = prepareExample(readExample(FOLDERS), { siteUrl: site.url });
      const credentials = exampleCredentials(flow);
      await runtime.deploy(flow.map((n) => (credentials[n.id] ? { ...n, credentials: credentials[n.id] } : n)), HOOK_PATH);
      const hook = site.createWebhook({
        url: runtime.url + HOOK_PATH, token: WEBHOOK_SECRET, batch_deliveries: true, entity_types: { Shot: { create: [] } },
      });
      site.create('Shot', { code: 'sh040', project: { type: 'Project', id: DEMO.projectId }, sg_sequence: { type: 'Sequence', id: DEMO.sequenceId } }, {
        type: 'HumanUser', id: DEMO.humanUserId,
      });

      const record = await waitFor(() => {
        const delivery = site.deliveries(hook.id)[0];
        return delivery?.acknowledgement ? delivery : undefined;
      }, 'the delivery to be acknowledged', 30_000);
      const root = path.join(style.userDir(), 'fptr-projects');
      const shotDir = path.join(root, 'demo', 'sequences', 'SEQ010', 'sh040');
      const ack = parseAck(record);
      ack.status.should.equal('success', `${ack.detail}\nNode-RED log:\n${runtime.log()}`);
      ack.detail.should.startWith(`Shot sh040: 3 folders under ${root}: `);
      fs.readdirSync(shotDir).sort().should.eql(['anim', 'comp', 'lighting']);
      // Nowhere else: not in the home folder, the working directory or beside the user directory.
      foldersNamed(world, 'sh040').should.eql([path.relative(world, shotDir).split(path.sep).join('/')]);
    });
  }
});
