import { createHash, randomBytes } from 'node:crypto';
import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import should = require('should');
import { request } from 'undici';
import { FptrClient } from '../../lib/fptr/client/client';
import { downloadToFile } from '../../lib/fptr/files/download';
import { FptrSimulator } from '../../sim';
import { NodeRedRuntime } from '../support/webhook-node-red';

const MB = 1024 * 1024;
/** The heap the Node-RED child may use; the file is two and a half times larger. */
const HEAP_MB = 64;
const FILE_MB = 160;

/** A process's resident memory now and at its peak since the last reset, from /proc (Linux). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Starts measuring the peak anew (writing 5 to clear_refs resets VmHWM). */
function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * Must show (issue 19): memory stays flat while uploading a file larger than the heap limit.
 * A real Node-RED in a child process with a small --max-old-space-size uploads a file two and
 * a half times that size, in parts, to the simulator's storage host (in this process); the
 * child's resident memory, peak included, grows by far less than the file's size.
 */
describe('fptr-upload in a running Node-RED with a small heap', function () {
  this.timeout(180_000);
  let runtime: NodeRedRuntime | undefined;
  let sim: FptrSimulator | undefined;
  let dir = '';

  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(async function () {
    await runtime?.stop();
    if (runtime) fs.rmSync(runtime.userDir, { recursive: true, force: true });
    await sim?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    runtime = undefined;
  });

  it(`uploads ${FILE_MB} MB with --max-old-space-size=${HEAP_MB}, its memory staying flat`, async function () {
    sim = new FptrSimulator({ storage: 's3' });
    const siteUrl = await sim.listen(0, '127.0.0.1');
    const version = sim.create('Version', {
      code: 'big',
      project: { type: 'Project', id: FptrSimulator.DEMO.projectId },
    }).id;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-big-'));
    const file = path.join(dir, 'big.mov');
    const hash = createHash('md5');
    const out = fs.openSync(file, 'w');
    for (let i = 0; i < FILE_MB; i++) {
      const chunk = randomBytes(MB);
      hash.update(chunk);
      fs.writeSync(out, chunk);
    }
    fs.closeSync(out);

    runtime = await NodeRedRuntime.start({
      nodeTypes: ['fptr-site', 'fptr-upload'],
      nodeArgs: [`--max-old-space-size=${HEAP_MB}`],
      settings: { httpNodeRoot: '/hooks' },
    });
    // Flow nodes need x/y, or the runtime takes them for config nodes.
    const at = { x: 100, y: 100 };
    await runtime.deploy(
      [
        { id: 'tab1', type: 'tab', label: 'upload' },
        {
          id: 'site',
          type: 'fptr-site',
          url: siteUrl,
          authType: 'script',
          timeout: 30,
          credentials: { scriptName: FptrSimulator.DEMO.scriptName, scriptKey: FptrSimulator.DEMO.scriptKey },
        },
        { id: 'in', type: 'http in', z: 'tab1', ...at, url: '/upload', method: 'post', upload: false, wires: [['up']] },
        {
          id: 'up',
          type: 'fptr-upload',
          z: 'tab1',
          ...at,
          site: 'site',
          entity: 'Version',
          entityType: 'str',
          entityId: 'payload.id',
          entityIdType: 'msg',
          field: 'sg_uploaded_movie',
          fieldType: 'str',
          file: 'payload.path',
          fileType: 'msg',
          multipartAbove: '50',
          multipartAboveType: 'num',
          partSize: '8',
          partSizeType: 'num',
          wires: [['reply']],
        },
        { id: 'catch', type: 'catch', z: 'tab1', ...at, scope: ['up'], uncaught: false, wires: [['failed']] },
        {
          id: 'failed',
          type: 'function',
          z: 'tab1',
          ...at,
          func: 'msg.statusCode = 500; msg.payload = msg.error.message; return msg;',
          outputs: 1,
          wires: [['reply']],
        },
        // GET /ready tells the test the flow is deployed (the upload route takes POST only).
        {
          id: 'ready',
          type: 'http in',
          z: 'tab1',
          ...at,
          url: '/ready',
          method: 'get',
          upload: false,
          wires: [['reply']],
        },
        { id: 'reply', type: 'http response', z: 'tab1', ...at, statusCode: '', headers: {}, wires: [] },
      ],
      '/hooks/ready',
    );
    const pid = runtime.pid as number;
    const before = memoryOf(pid);
    resetPeak(pid);

    const res = await request(`${runtime.url}/hooks/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: version, path: file }),
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
    const answer = await res.body.text();
    const after = memoryOf(pid);
    should(res.statusCode).eql(200, answer);
    should(JSON.parse(answer)).containEql({ name: 'big.mov', link_type: 'upload', type: 'Attachment' });

    const [stored] = sim.storage.objects();
    should(stored.size).eql(FILE_MB * MB);
    should(stored.etag).match(new RegExp(`-${Math.ceil(FILE_MB / 8)}"$`));
    should(sim.storage.openUploads()).eql([]);
    // Flat: the peak grew by far less than the file (a whole-file read alone would add 160 MB;
    // parts in flight, sockets and V8's own growth stay well under half of it).
    const growth = after.peakMb - before.rssMb;
    should(growth).be.below(
      FILE_MB / 2,
      `resident memory grew by ${growth.toFixed(0)} MB uploading ${FILE_MB} MB (before ${before.rssMb.toFixed(0)} MB, peak ${after.peakMb.toFixed(0)} MB)`,
    );
    should(runtime.running).be.true();
    // Read back through the storage, streamed to disk, and compared by hash.
    const client = new FptrClient({
      url: siteUrl,
      auth: {
        grant: 'client_credentials',
        scriptName: FptrSimulator.DEMO.scriptName,
        scriptKey: FptrSimulator.DEMO.scriptKey,
      },
    });
    try {
      const back = path.join(dir, 'back.mov');
      await downloadToFile(
        client,
        { entityType: 'Version', entityId: version, field: 'sg_uploaded_movie', variant: 'original' },
        back,
      );
      const readBack = createHash('md5');
      for await (const chunk of fs.createReadStream(back)) readBack.update(chunk as Buffer);
      should(readBack.digest('hex')).eql(hash.digest('hex'));
    } finally {
      await client.close();
    }
  });
});
