import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import should = require('should');
import downloadNode = require('../../nodes/fptr-download');
import uploadNode = require('../../nodes/fptr-upload');
import { ActionFlow, DEMO, type Msg } from '../support/action-flow';
import { helper } from '../support/runtime';

const MB = 1024 * 1024;

/*
 * fptr-upload and fptr-download in a real Node-RED runtime (the test helper) against the
 * simulator over loopback, with both storage kinds.
 */
describe('fptr-upload and fptr-download nodes', function () {
  const flow = new ActionFlow();
  let dir: string;
  let version: number;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'fptr-files-node-'));
  });
  afterEach(async function () {
    await helper.unload();
    await flow.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startSim(storage: 's3' | 'sg', opts: Record<string, unknown> = {}): Promise<void> {
    await flow.start({ storage, ...opts });
    version = flow.sim.create('Version', { code: 'render_v001', project: { type: 'Project', id: DEMO.projectId } }).id;
  }

  function file(name: string, bytes: Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  const upload = (extra: Record<string, unknown> = {}) => ({
    type: 'fptr-upload',
    entity: 'Version',
    entityType: 'str',
    entityId: 'payload.id',
    entityIdType: 'msg',
    field: 'sg_uploaded_movie',
    fieldType: 'str',
    file: 'filename',
    fileType: 'msg',
    ...extra,
  });
  const download = (extra: Record<string, unknown> = {}) => ({
    type: 'fptr-download',
    entity: 'Version',
    entityType: 'str',
    entityId: 'payload.id',
    entityIdType: 'msg',
    field: 'sg_uploaded_movie',
    fieldType: 'str',
    variant: 'original',
    variantType: 'variant',
    output: 'buffer',
    ...extra,
  });

  /** No request the storage host saw carried the bearer token (nor any Authorization header). */
  function noTokenOnStorageHost(): void {
    const external = flow.sim.storage.requests().filter((r) => r.host === 'storage');
    should(external.length).be.above(0);
    for (const r of external) {
      should(r.headers).not.have.property('authorization');
      should(JSON.stringify(r.headers)).not.match(/bearer/i);
    }
  }

  describe('must show', function () {
    it('uploads a 12 MB file in parts (threshold lowered) and reads it back byte-identical through fptr-download; the token never reaches the storage host', async function () {
      await startSim('s3');
      const bytes = randomBytes(12 * MB);
      const path = file('comp v3.mov', bytes);
      const up = await flow.load(
        uploadNode,
        upload({
          multipartAbove: '10',
          multipartAboveType: 'num',
          partSize: '5',
          partSizeType: 'num',
          displayName: 'Comp v3',
          displayNameType: 'str',
        }),
      );
      const sent = await flow.send({ payload: { type: 'Version', id: version }, filename: path, topic: 'render' });
      should(sent.caught).be.undefined();
      const attachment = sent.out[0].payload as Record<string, unknown>;
      should(attachment).containEql({
        name: 'comp v3.mov',
        content_type: 'video/quicktime',
        link_type: 'upload',
        type: 'Attachment',
      });
      should(sent.out[0].topic).eql('render');
      should(
        flow.sim.storage
          .requests()
          .filter((r) => r.method === 'PUT')
          .map((r) => `${r.host} ${r.status}`),
      ).eql(['storage 200', 'storage 200', 'storage 200']);
      should(flow.sim.get('Attachment', attachment.id as number)).containEql({
        display_name: 'Comp v3',
        file_size: 12 * MB,
      });
      should(
        up.status.calledWithMatch({ fill: 'green', text: 'uploaded 12.0 MB' }) ||
          up.status.calledWithMatch({ fill: 'green' }),
      ).be.true();
      await helper.unload();

      await flow.load(downloadNode, download());
      const got = await flow.send({ payload: { type: 'Version', id: version } });
      should(got.caught).be.undefined();
      should(Buffer.isBuffer(got.out[0].payload)).be.true();
      should((got.out[0].payload as Buffer).equals(bytes)).be.true();
      await helper.unload();

      await flow.load(downloadNode, download({ output: 'file', file: join(dir, 'back.mov'), fileType: 'str' }));
      const written = await flow.send({ payload: { type: 'Version', id: version } });
      should(written.out[0].payload).eql(join(dir, 'back.mov'));
      should(readFileSync(join(dir, 'back.mov')).equals(bytes)).be.true();
      should(readdirSync(dir).sort()).eql(['back.mov', 'comp v3.mov']);
      noTokenOnStorageHost();
      should(flow.sim.storage.requests().filter((r) => r.method === 'GET')).have.length(2);
    });

    it('retries a part that fails once', async function () {
      await startSim('s3');
      const bytes = randomBytes(11 * MB);
      await flow.load(uploadNode, upload({ multipartAbove: '5', partSize: '5' }));
      flow.sim.storage.failNext({ status: 500, method: 'PUT' });
      const sent = await flow.send({ payload: { type: 'Version', id: version }, filename: file('a.mov', bytes) });
      should(sent.caught).be.undefined();
      const puts = flow.sim.storage
        .requests()
        .filter((r) => r.method === 'PUT')
        .map((r) => r.status);
      should(puts.filter((s) => s === 500)).have.length(1);
      should(puts.filter((s) => s === 200)).have.length(3);
      should(flow.sim.storage.openUploads()).eql([]);
    });

    it('aborts a failing upload and reports it to Catch with the original message', async function () {
      await startSim('s3');
      const up = await flow.load(uploadNode, upload({ multipartAbove: '5', partSize: '5' }), {
        site: { maxRetries: 1 },
      });
      flow.sim.storage.failNext({ status: 503, method: 'PUT', times: 1000 });
      const msg: Msg = {
        payload: { type: 'Version', id: version },
        filename: file('b.mov', randomBytes(12 * MB)),
        _trace: 'original',
      };
      const { out, caught } = await flow.send(msg);
      should(out).eql([]);
      should(caught).be.ok();
      should(caught?._trace).eql('original');
      should(caught?.filename).eql(msg.filename);
      should(caught?.error.message).match(
        /^FptrError: File storage at http:\/\/127\.0\.0\.1:\d+ answered 503 \(InternalError\): .* \(the upload was aborted; nothing was kept\)$/,
      );
      should(flow.sim.storage.openUploads()).eql([]);
      should(flow.sim.get('Version', version)?.sg_uploaded_movie).be.null();
      should(up.status.calledWithMatch({ fill: 'red', shape: 'dot' })).be.true();
      noTokenOnStorageHost();
    });
  });
});
