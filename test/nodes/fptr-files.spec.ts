import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import should = require('should');
import downloadNode = require('../../nodes/fptr-download');
import uploadNode = require('../../nodes/fptr-upload');
import { ActionFlow, DEMO, type Msg } from '../support/action-flow';
import { waitFor } from '../support/examples';
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
      // Progress while it runs, then the size (the test helper loads no catalog: texts are shown as their keys).
      const shown = (up.status as unknown as { args: Array<[Record<string, unknown>]> }).args.map((a) => a[0]);
      should(shown).containDeep([{ fill: 'blue', shape: 'ring', text: 'fptr-upload.status.uploading' }]);
      should(shown[shown.length - 1]).eql({ fill: 'green', shape: 'dot', text: 'fptr-upload.status.uploaded' });
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

  describe('sg storage (the site keeps the bytes)', function () {
    it('uploads a Buffer from the message and downloads it to a file, leaving no temporary file', async function () {
      await startSim('sg');
      const bytes = randomBytes(300_000);
      await flow.load(uploadNode, upload({ file: 'payload.bytes', displayName: 'still', displayNameType: 'str' }));
      const sent = await flow.send({ payload: { id: version, bytes } });
      should(sent.caught).be.undefined();
      should(sent.out[0].payload).containEql({ name: 'still', link_type: 'upload' });
      await helper.unload();

      const target = join(dir, 'still.bin');
      await flow.load(downloadNode, download({ output: 'file', file: 'target', fileType: 'msg' }));
      const got = await flow.send({ payload: { id: version }, target });
      should(got.caught).be.undefined();
      should(got.out[0].payload).eql(target);
      should(readFileSync(target).equals(bytes)).be.true();
      should(readdirSync(dir)).eql(['still.bin']);
      // sg storage: every byte went to the site itself, over its signed routes.
      should(flow.sim.storage.requests().filter((r) => r.host === 'storage')).eql([]);
    });
  });

  describe('failures', function () {
    it('keeps the older file and leaves no temporary file when the storage fails the download; Catch gets the message', async function () {
      await startSim('s3');
      await flow.load(uploadNode, upload({ file: 'payload.bytes' }));
      await flow.send({ payload: { id: version, bytes: randomBytes(1000) } });
      await helper.unload();

      const target = file('keep.mov', Buffer.from('older'));
      const down = await flow.load(downloadNode, download({ output: 'file', file: target, fileType: 'str' }), {
        site: { maxRetries: 1 },
      });
      flow.sim.storage.failNext({ status: 503, method: 'GET', times: 100 });
      const { out, caught } = await flow.send({ payload: { id: version }, _trace: 'dl' });
      should(out).eql([]);
      should(caught?._trace).eql('dl');
      should(caught?.error.message).match(/503/);
      should(readFileSync(target, 'utf8')).eql('older');
      should(readdirSync(dir)).eql(['keep.mov']);
      should(down.status.calledWithMatch({ fill: 'red', shape: 'dot' })).be.true();
      noTokenOnStorageHost();
    });

    it('aborts an upload in progress when the flow is stopped (redeploy): no upload is left open', async function () {
      this.timeout(40_000); // a loaded machine may take seconds to stop the flow and send the abort
      await startSim('s3');
      const up = await flow.load(uploadNode, upload({ multipartAbove: '5', partSize: '5' }));
      // The next-part links answer slowly, so the upload is still going when the flow stops.
      flow.sim.faults.add({ method: 'GET', path: /\/_upload\/multipart$/, latencyMs: 1500 });
      up.receive({ payload: { id: version }, filename: file('c.mov', randomBytes(12 * MB)) });
      await waitFor(() => flow.sim.storage.openUploads().length > 0, 'the upload to start');
      await helper.unload();
      await waitFor(() => flow.sim.storage.openUploads().length === 0, 'the upload to be aborted', 25_000);
      should(flow.sim.get('Version', version)?.sg_uploaded_movie).be.null();
    });

    it('refuses bad settings before sending anything, naming the setting', async function () {
      await startSim('s3');
      const cases: Array<[Record<string, unknown>, Msg, RegExp]> = [
        [
          {},
          { payload: { id: 'x' }, filename: '/tmp/a' },
          /^FileInputError: id must be a positive whole number \(got "x"\)/,
        ],
        [{}, { payload: { id: version } }, /^FileInputError: file must be the path of a file or a Buffer/],
        [
          { partSize: '4', partSizeType: 'num' },
          { payload: { id: version }, filename: '/tmp/a' },
          /partSize must be a number of MB from 5 to 5120 \(got 4\)/,
        ],
        [
          {},
          { payload: { id: version }, filename: join(dir, 'missing.mov') },
          /Could not read the file to upload: .*ENOENT/,
        ],
      ];
      for (const [settings, msg, error] of cases) {
        await flow.load(uploadNode, upload(settings));
        const { out, caught } = await flow.send(msg);
        should(out).eql([]);
        should(caught?.error.message).match(error);
        await helper.unload();
      }
      should(flow.sim.storage.requests()).eql([]);
    });
  });
});
