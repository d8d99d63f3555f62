import should = require('should');
import { helper } from '../support/runtime';
import ackNode = require('../../nodes/fptr-acknowledge');
import findNode = require('../../nodes/fptr-find');
import redeliverNode = require('../../nodes/fptr-redeliver');
import updateNode = require('../../nodes/fptr-update');
import { refusalOf } from '../../lib/node-red/action-node';
import { messages, SHARED } from '../../lib/node-red/i18n';
import { mergedCatalog } from '../../scripts/catalogs';
import type { FptrSite } from '../../lib/node-red/site';
import { ActionFlow, DEMO } from '../support/action-flow';
import { LocalState } from '../../lib/state/local-state';

/* What the four action nodes share (lib/node-red/action-node.ts): how they treat a missing or unusable site. */

const actionNodes: Array<[string, typeof findNode, Record<string, unknown>]> = [
  ['fptr-find', findNode, { entity: 'Asset', entityType: 'str' }],
  ['fptr-update', updateNode, { fields: '{"sg_status_list": "fin"}' }],
  ['fptr-acknowledge', ackNode, {}],
  ['fptr-redeliver', redeliverNode, {}],
];

const SECRET_KEY = 'k3y-that-must-not-show';

describe('action nodes and their site', function () {
  const flow = new ActionFlow();
  const event = {
    payload: { entity: { type: 'Task', id: DEMO.taskIds['sh010/Animation'] } },
    fptr: { deliveryId: 'd-1', webhookId: 'h-1' },
  };

  before(() => flow.start());
  after(() => flow.stop());
  beforeEach(() => flow.sim.resetStats());
  afterEach(() => helper.unload());

  for (const [type, mod, settings] of actionNodes) {
    describe(type, function () {
      it("shows the site's problem at deploy and sends every message to Catch without a request", async function () {
        const node = await flow.load(mod, { type, ...settings }, { credentials: { scriptName: DEMO.scriptName } });
        (helper.getNode('site') as unknown as FptrSite).configError!.should.equal(
          'Script name and script key are required',
        );
        node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.site-config' }).should.be.true();
        for (const marker of [1, 2]) {
          const { out, caught } = await flow.send({ ...event, marker });
          out.should.have.length(0);
          caught!.error.message.should.equal('Error: fptr.errors.site-config');
          caught!.error.source.id.should.equal('n1');
          caught!.marker!.should.equal(marker);
        }
        // The badge still says why: no "working" or "failed" badge replaced it.
        should(node.status.lastCall!.args[0]).containEql({
          fill: 'red',
          shape: 'ring',
          text: 'fptr.status.site-config',
        });
        should(flow.sim.stats.requests).equal(0);
      });

      it('names a bad site setting without the script key', async function () {
        const node = await flow.load(
          mod,
          { type, ...settings },
          {
            site: { maxRetries: 'lots' },
            credentials: { scriptName: DEMO.scriptName, scriptKey: SECRET_KEY },
          },
        );
        (helper.getNode('site') as unknown as FptrSite).configError!.should.equal('Retries must be a number');
        node.status.calledWithMatch({ fill: 'red', shape: 'ring', text: 'fptr.status.site-config' }).should.be.true();
        const { caught } = await flow.send({ ...event });
        caught!.error.message.should.equal('Error: fptr.errors.site-config');
        JSON.stringify(caught).should.not.containEql(SECRET_KEY);
        should(flow.sim.stats.requests).equal(0);
      });

      it('shows no badge at deploy when the site is usable', async function () {
        const node = await flow.load(mod, { type, ...settings });
        should((helper.getNode('site') as unknown as FptrSite).configError).be.undefined();
        should(node.status.lastCall).be.null();
      });

      it('has every message the shared code shows', function () {
        const catalog = mergedCatalog('en-US', type) as Record<string, Record<string, Record<string, string>>>;
        const common = catalog[SHARED]!;
        const kinds = ['http', 'network', 'timeout', 'config', 'input'];
        for (const key of ['no-site', 'site-config', ...kinds.map((k) => `failed-${k}`)])
          should(typeof common.status![key]).equal('string', `status.${key}`);
        for (const key of ['no-site', 'site-config'])
          should(typeof common.errors![key]).equal('string', `errors.${key}`);
        common.status!['site-config']!.should.containEql('__reason__');
        common.errors!['site-config']!.should.containEql('__reason__');
      });
    });
  }

  describe('refusalOf', function () {
    const t = messages(
      { _: (key: string, params?: object) => (params ? `${key} ${JSON.stringify(params)}` : key) },
      'x',
    );
    const site = (configError?: string): FptrSite => ({
      client: {} as FptrSite['client'],
      siteUrl: '',
      configError,
      state: new LocalState(),
    });

    it('keeps the badge short and the whole reason in the error', function () {
      const refusal = refusalOf(
        site('Site URL is not a valid URL (expected e.g. https://yoursite.shotgrid.autodesk.com)'),
        t,
        undefined,
      )!;
      refusal.badge.should.eql({
        fill: 'red',
        shape: 'ring',
        text: 'fptr.status.site-config {"reason":"Site URL is not a valid URL"}',
      });
      refusal.error.should.equal(
        'fptr.errors.site-config {"reason":"Site URL is not a valid URL (expected e.g. https://yoursite.shotgrid.autodesk.com)"}',
      );
    });

    it("puts a missing site first, then the site, then the node's own settings", function () {
      refusalOf(null, t, 'bad-config')!.error.should.equal('fptr.errors.no-site');
      refusalOf(site('Site URL is required'), t, 'bad-config')!.error.should.match(/^fptr\.errors\.site-config/);
      refusalOf(site(), t, 'bad-config')!.should.eql({
        badge: { fill: 'red', shape: 'ring', text: 'x.status.bad-config' },
        error: 'x.errors.bad-config',
      });
      should(refusalOf(site(), t, undefined)).be.undefined();
    });
  });
});
