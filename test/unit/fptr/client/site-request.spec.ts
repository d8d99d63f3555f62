import { Readable } from 'node:stream';
import should = require('should');
import { ByteSourceError } from '../../../../lib/fptr/client/byte-source';
import { FptrSimulator } from '../../../../sim';
import { ClientSim, fptrError } from '../../../support/client-sim';

const DEMO = FptrSimulator.DEMO;

/** The client's two generic ways out: `siteRequest` (with the token, to the site) and `requestUrl` (without). */
describe('FptrClient.siteRequest and requestUrl', () => {
  const env = new ClientSim();
  let sim: FptrSimulator;

  beforeEach(async () => {
    sim = await env.start({ storage: 's3' });
  });
  afterEach(() => env.stop());

  it('reads any endpoint below /api/v1 with the token and hands back the JSON as it came', async () => {
    const client = env.client();
    const answer = await client.siteRequest({ method: 'GET', path: '/schema/Shot/fields/code', idempotent: true });
    should(answer.status).eql(200);
    should((answer.body as { data: { data_type: { value: string } } }).data.data_type.value).eql('text');
    const info = await client.siteRequest({ method: 'GET', path: '', idempotent: true });
    should((info.body as { data: Record<string, unknown> }).data).have.property('api_version');
    should(sim.stats.tokenRequests).eql(1);
  });

  it('sends JSON with its content type, and a query written into the path as it is', async () => {
    const client = env.client();
    const created = await client.siteRequest({
      method: 'POST',
      path: '/entity/notes?options%5Bfields%5D=subject',
      json: { subject: 'hi', project: { type: 'Project', id: DEMO.projectId } },
      idempotent: false,
    });
    should(created.status).eql(201);
    should((created.body as { data: { attributes: Record<string, unknown> } }).data.attributes).containEql({
      subject: 'hi',
    });
  });

  it('answers a redirect only when asked to, and never follows it', async () => {
    const client = env.client();
    const start = await client.siteRequest({
      method: 'GET',
      path: `/entity/versions/${DEMO.versionIds[0]}/sg_uploaded_movie/_upload?filename=a.mov`,
      idempotent: true,
    });
    const links = start.body as { data: Record<string, unknown>; links: { upload: string; complete_upload: string } };
    await client
      .requestUrl({
        method: 'PUT',
        url: links.links.upload,
        bytes: { length: 1, open: () => Readable.from([Buffer.from('x')], { objectMode: false }) },
      })
      .then((r) => r.body.dump());
    await client.siteRequest({
      method: 'POST',
      path: links.links.complete_upload.replace('/api/v1', ''),
      json: { upload_info: links.data },
      idempotent: false,
    });
    const path = `/entity/versions/${DEMO.versionIds[0]}/sg_uploaded_movie`;
    const redirect = await client.siteRequest({ method: 'GET', path, idempotent: true, redirects: 'answer' });
    should(redirect.status).eql(302);
    should(redirect.headers.location).startWith(`${sim.storage.url}/`);
    const refused = await fptrError(client.siteRequest({ method: 'GET', path, idempotent: true }));
    should(refused.status).eql(302);
    should(sim.storage.requests().filter((r) => r.method === 'GET')).eql([]);
  });

  it("passes FPTR's errors through like every other call", async () => {
    const client = env.client({ maxRetries: 1 });
    const missing = await fptrError(
      client.siteRequest({ method: 'GET', path: '/entity/shots/999999', idempotent: true }),
    );
    should(missing.message).match(/^FPTR 404 \(code 104\): /);
    sim.faults.add({ path: '/api/v1/schema', status: 503 });
    const busy = await fptrError(client.siteRequest({ method: 'GET', path: '/schema/Shot', idempotent: true }));
    should(busy.message).match(/^FPTR 503: Service Unavailable \(gave up after 2 attempts/);
  });

  it('refuses a path that does not start with /', async () => {
    const err = await fptrError(env.client().siteRequest({ method: 'GET', path: 'entity/shots', idempotent: true }));
    should(err.message).eql('A site path must start with /, got entity/shots');
    should(sim.stats.requests).eql(0);
  });

  it('hands back unreadable bytes as the reader said, without repeating the request', async () => {
    const client = env.client();
    const bytes = {
      length: 10,
      open: () =>
        Readable.from(
          (async function* () {
            yield Buffer.from('abc');
            throw new ByteSourceError('Could not read the file to upload: EIO');
          })(),
          { objectMode: false },
        ),
    };
    const err = await client
      .siteRequest({ method: 'PUT', path: '/entity/versions/1/sg_uploaded_movie/_upload', bytes, idempotent: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    should(err).be.instanceOf(ByteSourceError).and.have.property('message', 'Could not read the file to upload: EIO');
    should(client.stats.retries).eql(0);
  });

  it('stops a request, or its wait before a retry, when the caller cancels', async () => {
    const client = env.client();
    sim.faults.add({ path: '/api/v1/schema', status: 503, retryAfter: 30 });
    const stop = new AbortController();
    const pending = fptrError(
      client.siteRequest({ method: 'GET', path: '/schema/Shot', idempotent: true, signal: stop.signal }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop.abort();
    const err = await pending;
    should(err).containEql({ kind: 'closed', message: 'The request was cancelled' });
  });

  it('refuses URL requests once closed', async () => {
    const client = env.client();
    await client.close();
    const err = await fptrError(client.requestUrl({ method: 'GET', url: `${sim.storage.url}/x` }));
    should(err.kind).eql('closed');
  });

  describe('finishBeforeClose', () => {
    it('keeps the client open for a task that still has a request to make when close() is called', async () => {
      const client = env.client();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const task = client.finishBeforeClose(
        gate.then(() => client.siteRequest({ method: 'GET', path: '/schema/Shot', idempotent: true })),
      );
      const closed = client.close();
      release();
      should((await task).status).eql(200);
      await closed;
      const after = await fptrError(client.siteRequest({ method: 'GET', path: '/schema/Shot', idempotent: true }));
      should(after.message).match(/was closed/);
    });

    it('does not wait for a task that failed, and passes its failure on', async () => {
      const client = env.client();
      const failed = client.finishBeforeClose(Promise.reject(new Error('gone')));
      await should(failed).be.rejectedWith('gone');
      await client.close();
    });
  });
});
