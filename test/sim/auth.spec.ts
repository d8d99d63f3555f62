import should = require('should');
import { FptrSimulator } from '../../sim';
import { SimHarness, errorOf, type SimResponse } from '../support/sim';

const FORM = 'application/x-www-form-urlencoded';
const DEMO = FptrSimulator.DEMO;

type TokenBody = { token_type: string; access_token: string; expires_in: number; refresh_token: string };

describe('fptr-sim: authentication', () => {
  const h = new SimHarness();
  beforeEach(() => h.start());
  afterEach(() => h.stop());

  const tokenCall = (
    params: Record<string, string>,
    opts: { contentType?: string; inQuery?: boolean } = {},
  ): Promise<SimResponse<TokenBody>> => {
    const form = new URLSearchParams(params).toString();
    return opts.inQuery
      ? h.call<TokenBody>('POST', `/api/v1/auth/access_token?${form}`, { token: null, contentType: FORM })
      : h.call<TokenBody>('POST', '/api/v1/auth/access_token', {
          token: null,
          body: form,
          contentType: opts.contentType ?? FORM,
        });
  };
  const script = { grant_type: 'client_credentials', client_id: DEMO.scriptName, client_secret: DEMO.scriptKey };

  it('issues a bearer token for form-encoded client_credentials', async () => {
    const res = await tokenCall(script);
    should(res.status).eql(200);
    should(res.headers['content-type']).match(/^application\/json/);
    should(Object.keys(res.json).sort()).eql(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    should(res.json).containEql({ token_type: 'Bearer', expires_in: 600 });
    should(res.json.access_token)
      .be.a.String()
      .and.match(/^[A-Za-z0-9_-]{20,}$/);
    const me = await h.call('GET', `/api/v1/entity/api_users/${DEMO.apiUserId}?fields=firstname`, {
      token: res.json.access_token,
    });
    should(me.status).eql(200);
  });

  it('reads the same parameters from the query string with an empty body', async () => {
    const res = await tokenCall(script, { inQuery: true });
    should(res.status).eql(200);
    should(res.json.token_type).eql('Bearer');
  });

  it('honours tokenTtlSeconds in expires_in', async () => {
    await h.stop();
    await h.start({ tokenTtlSeconds: 42 });
    should((await tokenCall(script)).json.expires_in).eql(42);
  });

  it('refuses a JSON body with 415 and the errors[] envelope', async () => {
    const res = await h.call('POST', '/api/v1/auth/access_token', { token: null, body: script });
    should(res.status).eql(415);
    const err = errorOf(res);
    should(err).containEql({ status: 415, code: 103, title: "Unsupported Content-Type 'application/json'" });
    should(err.source).eql({ content_type: 'must be application/x-www-form-urlencoded' });
    should(err.id).match(/^[0-9a-f]{32}$/);
    should(Object.keys(err).sort()).eql(['code', 'detail', 'id', 'meta', 'source', 'status', 'title']);
  });

  it('answers 400 for a wrong script key, naming the script but not the key', async () => {
    const res = await tokenCall({ ...script, client_secret: 'wrong-key' });
    should(res.status).eql(400);
    should(errorOf(res).title).eql(`Can't authenticate script '${DEMO.scriptName}'`);
    should(res.text).not.containEql('wrong-key');
  });

  it('answers 400 for an unknown script', async () => {
    const res = await tokenCall({ ...script, client_id: 'nobody' });
    should(errorOf(res)).containEql({ status: 400, title: "Can't authenticate script 'nobody'" });
  });

  it('answers 400 for missing arguments and for an unknown grant', async () => {
    should(errorOf(await tokenCall({ grant_type: 'client_credentials', client_id: DEMO.scriptName })).title).eql(
      'Missing or invalid authentication arguments',
    );
    should(errorOf(await tokenCall({})).title).eql('Missing or invalid authentication arguments');
    const res = await tokenCall({ grant_type: 'authorization_code', code: 'x' });
    should(res.status).eql(400);
    should(errorOf(res).title).eql('Unsupported grant_type');
  });

  it('logs a person in with the password grant and refuses a wrong password', async () => {
    const ok = await tokenCall({ grant_type: 'password', username: DEMO.login, password: DEMO.password });
    should(ok.status).eql(200);
    const bad = await tokenCall({ grant_type: 'password', username: DEMO.login, password: 'nope' });
    should(bad.status).eql(400);
    should(errorOf(bad).title).eql(`Can't authenticate user '${DEMO.login}'`);
  });

  it('swaps a refresh token for a new pair and refuses a bogus one with 401', async () => {
    const first = await tokenCall(script);
    const again = await tokenCall({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    should(again.status).eql(200);
    should(again.json.access_token).not.eql(first.json.access_token);
    const bogus = await tokenCall({ grant_type: 'refresh_token', refresh_token: 'bogus' });
    should(bogus.status).eql(401);
    should(errorOf(bogus).status).eql(401);
  });

  it('impersonates with scope=sudo_as_login and records the real actor in event meta', async () => {
    const res = await tokenCall({ ...script, scope: `sudo_as_login:${DEMO.login}` });
    should(res.status).eql(200);
    const taskId = DEMO.taskIds['sh010/Comp'];
    const put = await h.call('PUT', `/api/v1/entity/tasks/${taskId}`, {
      token: res.json.access_token,
      body: { sg_status_list: 'rdy' },
    });
    should(put.status).eql(200);
    const event = h.sim.eventLog().pop();
    should(event?.user).eql({ type: 'HumanUser', id: DEMO.humanUserId, name: 'Jane Doe' });
    should((event?.meta as Record<string, unknown>).sudo_actual_user).eql({
      type: 'ApiUser',
      id: DEMO.apiUserId,
      name: DEMO.scriptName,
    });
    should(h.sim.get('Task', taskId)?.updated_by).eql({ type: 'HumanUser', id: DEMO.humanUserId, name: 'Jane Doe' });
  });

  it('answers 400 code 102 when sudo names an unknown login', async () => {
    const res = await tokenCall({ ...script, scope: 'sudo_as_login:ghost' });
    should(res.status).eql(400);
    should(errorOf(res).code).eql(102);
  });

  it('acts as the ApiUser for script tokens', async () => {
    const res = await h.call('POST', '/api/v1/entity/assets', {
      body: { code: 'by_script', project: { type: 'Project', id: DEMO.projectId } },
    });
    should(res.status).eql(201);
    const created = h.sim.eventLog().find((e) => e.event_type === 'Shotgun_Asset_New');
    should(created?.user).eql({ type: 'ApiUser', id: DEMO.apiUserId, name: DEMO.scriptName });
  });

  describe('bearer tokens', () => {
    const path = `/api/v1/entity/shots/${DEMO.shotIds.sh010}`;

    it('401s without a token, with a malformed header and with an unknown token', async () => {
      for (const opts of [
        { token: null },
        { token: null, headers: { authorization: 'Basic abc' } },
        { token: 'not-a-token' },
      ]) {
        const res = await h.call('GET', path, opts);
        should(res.status).eql(401);
        should(errorOf(res).status).eql(401);
      }
    });

    it('401s once a token expired by time', async () => {
      await h.stop();
      await h.start({ tokenTtlSeconds: 1 });
      const token = await h.token();
      should((await h.call('GET', path, { token })).status).eql(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      should((await h.call('GET', path, { token })).status).eql(401);
    });

    it('401s after expireTokens() until a new token is fetched', async () => {
      const token = await h.token();
      h.sim.expireTokens();
      should((await h.call('GET', path, { token })).status).eql(401);
      const fresh = (await tokenCall(script)).json.access_token;
      should((await h.call('GET', path, { token: fresh })).status).eql(200);
    });

    it('serves GET /api/v1 (server info) without a token', async () => {
      const res = await h.call<{ data: Record<string, unknown> }>('GET', '/api/v1', { token: null });
      should(res.status).eql(200);
      should(res.json.data).have.properties([
        'shotgun_version',
        'api_version',
        'site_id',
        'site_name',
        'user_authentication_method',
      ]);
      should((await h.call('GET', '/api/v1/', { token: null })).status).eql(200);
    });

    it('answers 404 with the envelope for unknown routes and for PATCH', async () => {
      const unknown = await h.call('GET', '/api/v1/nothing/here');
      should(unknown.status).eql(404);
      should(errorOf(unknown).status).eql(404);
      const patch = await h.call('PATCH', path, { body: { code: 'x' } });
      should(patch.status).eql(404);
      should(h.sim.get('Shot', DEMO.shotIds.sh010)?.code).eql('sh010');
    });

    it('refuses a vendor type in Accept with 406', async () => {
      const res = await h.call('GET', path, { headers: { accept: 'application/vnd+shotgun.api3_array+json' } });
      should(res.status).eql(406);
    });
  });

  describe('accounts added by tests', () => {
    it('addScript and addHumanUser create users that can log in', async () => {
      const s = h.sim.addScript('other_script', 'k-123');
      should(s).containEql({ type: 'ApiUser', name: 'other_script' });
      const u = h.sim.addHumanUser('kim', 'pw-kim', 'Kim Lee');
      should(u).containEql({ type: 'HumanUser', name: 'Kim Lee' });
      should(
        (await tokenCall({ grant_type: 'client_credentials', client_id: 'other_script', client_secret: 'k-123' }))
          .status,
      ).eql(200);
      should((await tokenCall({ grant_type: 'password', username: 'kim', password: 'pw-kim' })).status).eql(200);
      should(() => h.sim.addHumanUser('kim', 'x', 'Kim Again')).throw(/exists already/);
    });
  });
});
