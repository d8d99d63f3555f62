import should = require('should');
import siteNode = require('../../nodes/fptr-site');
import { FptrSimulator } from '../../sim';
import { HostileServer, answers } from '../support/hostile-server';
import { helper } from '../support/runtime';
import { NodeRedRuntime } from '../support/webhook-node-red';

const DEMO = FptrSimulator.DEMO;
const TYPES = 'GET /api/v1/schema';
const FIELDS = 'GET /api/v1/schema/{type}/fields';

describe('fptr-site schema routes (the editor pickers read the site through the runtime)', () => {
  let sim: FptrSimulator;

  before(async () => {
    sim = new FptrSimulator();
    await sim.listen(0, '127.0.0.1');
  });
  after(() => sim.close());
  afterEach(async () => {
    sim.faults.clear();
    sim.resetStats();
    await helper.unload();
  });

  const site = (extra: Record<string, unknown> = {}) => [
    { id: 'site', type: 'fptr-site', name: 'demo', url: sim.url, authType: 'script', ...extra },
  ];
  const creds = { site: { scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey } };
  const typed = { url: '', authType: 'script', scriptName: DEMO.scriptName, scriptKey: DEMO.scriptKey };

  describe('a deployed site', () => {
    beforeEach(() => helper.load(siteNode, site(), creds));

    it('lists its entity types, read once for any number of dialogs', async () => {
      const first = await helper.request().get('/fptr-site/site/schema').expect(200);
      await helper.request().get('/fptr-site/site/schema').expect(200);
      const names = (first.body.entityTypes as Array<{ name: string }>).map((t) => t.name);
      should(names).containDeep(['Asset', 'Note', 'Shot', 'Task', 'Version']);
      should(first.body.entityTypes).containDeep([{ name: 'HumanUser', label: 'Person', visible: true }]);
      should(sim.stats.byRoute[TYPES]).eql(1);
    });

    it('lists the fields of a type with data types and status values', async () => {
      const res = await helper.request().get('/fptr-site/site/schema/Task').expect(200);
      const status = (res.body.fields as Array<{ name: string }>).find((f) => f.name === 'sg_status_list');
      should(status).containDeep({
        dataType: 'status_list',
        validValues: ['wtg', 'rdy', 'ip', 'rev', 'fin', 'hld', 'omt'],
      });
    });

    it('reads the site again after a refresh', async () => {
      await helper.request().get('/fptr-site/site/schema').expect(200);
      await helper.request().get('/fptr-site/site/schema/Task').expect(200);
      await helper.request().post('/fptr-site/site/schema/refresh').expect(204);
      await helper.request().get('/fptr-site/site/schema').expect(200);
      await helper.request().get('/fptr-site/site/schema/Task').expect(200);
      should([sim.stats.byRoute[TYPES], sim.stats.byRoute[FIELDS]]).eql([2, 2]);
    });

    it('answers 404 "unknownEntityType" for a type the site does not have', async () => {
      const res = await helper.request().get('/fptr-site/site/schema/Tsak').expect(404);
      should(res.body.reason).eql('unknownEntityType');
    });

    it('refuses a type name that is not a name, without asking the site', async () => {
      for (const name of ['a%20b', '%0aTask', 'x'.repeat(201), '_Task']) {
        const res = await helper.request().get(`/fptr-site/site/schema/${name}`).expect(400);
        should(res.body).eql({ reason: 'badRequest', error: 'fptr-site.errors.badRequest' });
      }
      should(sim.stats.byRoute[FIELDS]).be.undefined();
    });

    it("answers 502 with FPTR's words when the site fails, and keeps no failure", async () => {
      sim.faults.add({ path: '/api/v1/schema', status: 403, times: 1 });
      const res = await helper.request().get('/fptr-site/site/schema').expect(502);
      should(res.body).eql({ reason: 'fptr', error: 'FPTR 403: Forbidden' });
      await helper.request().get('/fptr-site/site/schema').expect(200);
    });

    it('never answers with the script key, even when the site echoes it', async () => {
      sim.faults.add({
        path: '/api/v1/schema',
        status: 500,
        body: { errors: [{ status: 500, title: `bad key ${DEMO.scriptKey}` }] },
      });
      const res = await helper.request().get('/fptr-site/site/schema').expect(502);
      should(res.text).not.containEql(DEMO.scriptKey);
    });

    it('answers 404 "notDeployed" for an id that is no deployed fptr-site', async () => {
      for (const path of ['/fptr-site/nosuch/schema', '/fptr-site/nosuch/schema/Task']) {
        const res = await helper.request().get(path).expect(404);
        should(res.body).eql({ reason: 'notDeployed', error: 'fptr-site.errors.notDeployed' });
      }
      await helper.request().post('/fptr-site/nosuch/schema/refresh').expect(404);
    });
  });

  it('says why a deployed site with unusable settings has no schema', async () => {
    await helper.load(siteNode, site(), { site: { scriptName: DEMO.scriptName } });
    const res = await helper.request().get('/fptr-site/site/schema').expect(400);
    should(res.body).eql({ reason: 'unusable', error: 'Script name and script key are required' });
  });

  describe('a site not deployed as it stands (the dialog sends its settings)', () => {
    const hostile = new HostileServer();
    beforeEach(async () => {
      await hostile.listen();
      hostile.token = answers.echo(400);
      await helper.load(siteNode, site(), creds);
    });
    afterEach(async () => {
      await hostile.close();
      hostile.received.length = 0;
    });

    it('reads the types and the fields of one type with the typed settings', async () => {
      const types = await helper
        .request()
        .post('/fptr-site/schema')
        .send({ ...typed, url: sim.url })
        .expect(200);
      should((types.body.entityTypes as Array<{ name: string }>).map((t) => t.name)).containEql('Task');
      const fields = await helper
        .request()
        .post('/fptr-site/schema')
        .send({ ...typed, url: sim.url, entityType: 'Version' })
        .expect(200);
      should(
        (fields.body.fields as Array<{ name: string; validValues?: string[] }>).find((f) => f.name === 'sg_status_list')
          ?.validValues,
      ).eql(['na', 'rev', 'vwd', 'apr', 'fin']);
    });

    it('uses the stored key only for this deployed site and its URL', async () => {
      const unchanged = { ...typed, id: 'site', scriptKey: '__PWRD__' };
      await helper
        .request()
        .post('/fptr-site/schema')
        .send({ ...unchanged, url: sim.url })
        .expect(200);
      const res = await helper
        .request()
        .post('/fptr-site/schema')
        .send({ ...unchanged, url: hostile.url })
        .expect(400);
      should(res.body).eql({ reason: 'reenterSecret', error: 'fptr-site.errors.reenterSecret' });
      should(hostile.received).be.empty();
    });

    it('answers 400 for settings no client can use and for a malformed request', async () => {
      const unusable = await helper
        .request()
        .post('/fptr-site/schema')
        .send({ url: sim.url, authType: 'script' })
        .expect(400);
      should(unusable.body).eql({ reason: 'unusable', error: 'Script name and script key are required' });
      for (const body of [
        [1, 2],
        { ...typed, url: sim.url, entityType: 7 },
        { ...typed, url: sim.url, entityType: 'no such' },
      ]) {
        const res = await helper.request().post('/fptr-site/schema').send(body).expect(400);
        should(res.body.reason).eql('badRequest');
      }
    });

    it('answers 502 when the site cannot be reached', async () => {
      const gone = new FptrSimulator({ seed: false });
      const url = await gone.listen(0, '127.0.0.1');
      await gone.close();
      const res = await helper
        .request()
        .post('/fptr-site/schema')
        .send({ ...typed, url })
        .expect(502);
      should(res.body.reason).eql('fptr');
      should(res.body.error).match(/^Could not reach FPTR at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    });
  });

  describe('under adminAuth', function () {
    this.timeout(60_000);
    let runtime: NodeRedRuntime | undefined;
    afterEach(() => runtime?.stop());

    // bcrypt hash of 'hook-password', as settings.js expects it
    const password = '$2b$08$9OxYXOydO8V9G1ce5/6cvOhEDFknDMwV1x0zkFqMqyWb1LiTV6M5S';

    async function tokenFor(url: string, username: string, scope: string): Promise<Record<string, string>> {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-editor',
          grant_type: 'password',
          scope,
          username,
          password: 'hook-password',
        }),
      });
      const { access_token: token } = (await res.json()) as { access_token: string };
      return { authorization: `Bearer ${token}` };
    }

    it('reads for users with read permission, refreshes and reads typed settings only with write permission', async () => {
      const adminAuth = {
        type: 'credentials',
        users: [
          { username: 'admin', password, permissions: '*' },
          { username: 'viewer', password, permissions: 'read' },
        ],
      };
      runtime = await NodeRedRuntime.start({ settings: { adminAuth }, nodeTypes: ['fptr-site'] });
      (await runtime.login('admin', 'hook-password')).should.equal(200);
      await runtime.deploy([
        { id: 'site', type: 'fptr-site', url: sim.url, authType: 'script', credentials: creds.site },
      ]);
      const url = runtime.url;
      const viewer = await tokenFor(url, 'viewer', 'read');
      const admin = await tokenFor(url, 'admin', '*');
      const post = (path: string, headers: Record<string, string>, body: unknown = {}) =>
        fetch(url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const status = async (res: Promise<Response>) => (await res).status;

      // Node-RED answers 401 both without a login and for a permission the user lacks.
      should(await status(fetch(`${url}/fptr-site/site/schema`))).eql(401);
      should(await status(fetch(`${url}/fptr-site/site/schema`, { headers: viewer }))).eql(200);
      should(await status(fetch(`${url}/fptr-site/site/schema/Task`, { headers: viewer }))).eql(200);
      should(await status(post('/fptr-site/site/schema/refresh', viewer))).eql(401);
      should(await status(post('/fptr-site/schema', viewer, { ...typed, url: sim.url }))).eql(401);
      should(await status(post('/fptr-site/site/schema/refresh', admin))).eql(204);
      should(await status(post('/fptr-site/schema', admin, { ...typed, url: sim.url }))).eql(200);
    });
  });
});
