import path = require('node:path');
import should = require('should');
import { FptrSimulator } from '../../sim';
import { DEMO_HOOKS, DEMO_WEBHOOK_SECRET, RECOVER_INJECT, RECOVER_TAB, buildDemoFlows } from '../../scripts/demo-flows';
import { exampleFiles, readExample } from '../support/examples';

/** What `npm start` deploys: the shipped examples, pointed at the simulator. */
describe('npm start demo flows', function () {
  let sim: FptrSimulator;
  const userDir = path.join('/tmp', 'fptr-demo-test');

  beforeEach(async function () {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
  });

  afterEach(async function () {
    await sim.close();
  });

  // Port 9 (discard) on loopback: nothing listens, so the Node-RED admin calls fail at once.
  const build = (log: (line: string) => void = () => undefined) =>
    buildDemoFlows({ sim, simUrl: sim.url, nodeRedUrl: 'http://127.0.0.1:9', userDir, log });

  it('holds every example node once, with one site pointed at the simulator with the demo credentials', function () {
    const { flows } = build();
    const shipped = exampleFiles().flatMap((f) => readExample(f)).map((n) => n.id);
    [...new Set(shipped)].sort().should.eql(flows.map((n) => n.id).sort());
    const sites = flows.filter((n) => n.type === 'fptr-site');
    sites.should.have.length(1);
    should(sites[0]).match({ url: sim.url, credentials: { scriptName: FptrSimulator.DEMO.scriptName, scriptKey: FptrSimulator.DEMO.scriptKey } });
  });

  it('gives the webhook nodes the demo secret and the folder example a root inside the demo user dir', function () {
    const { flows } = build();
    const hooks = flows.filter((n) => n.type === 'fptr-webhook-in');
    hooks.length.should.be.above(0);
    hooks.every((n) => (n.credentials as { secret?: string }).secret === DEMO_WEBHOOK_SECRET).should.be.true();
    const env = flows.filter((n) => n.type === 'tab').flatMap((t) => t.env as Array<{ name: string; value: string }>);
    should(env.find((e) => e.name === 'FPTR_FOLDER_ROOT')?.value).equal(path.join(userDir, 'projects'));
  });

  it('registers one signed, batched simulator webhook per example webhook path', async function () {
    const lines: string[] = [];
    const { flows, registerWebhooks } = build((line) => lines.push(line));
    await registerWebhooks();
    const served = new Set(flows.filter((n) => n.type === 'fptr-webhook-in').map((n) => n.url as string));
    const registered = sim.webhooks();
    registered.should.have.length(DEMO_HOOKS.length);
    for (const hook of registered) {
      served.has(new URL(hook.url).pathname).should.be.true(hook.url);
      should(hook).match({ batch_deliveries: true, is_token_set: true });
    }
    [...served].every((p) => registered.some((h) => new URL(h.url).pathname === p)).should.be.true();
    should(lines.join('\n')).match(new RegExp(`tab ${RECOVER_TAB} is not deployed`));
  });

  it('names the recovery tab and inject node that exist in the examples', function () {
    const { flows } = build();
    const tab = flows.find((n) => n.id === RECOVER_TAB);
    should(tab?.type).equal('tab');
    should((tab?.env as Array<{ name: string }>).map((e) => e.name)).containEql('FPTR_WEBHOOK_IDS');
    should(flows.find((n) => n.id === RECOVER_INJECT)).match({ type: 'inject', z: RECOVER_TAB });
  });
});
