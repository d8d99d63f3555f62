import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import should = require('should');
import { ByteSourceError } from '../../../../lib/fptr/client/byte-source';
import type { FptrError } from '../../../../lib/fptr/client/fptr-error';
import { FileInputError } from '../../../../lib/fptr/files/file-input-error';
import { downloadToBuffer } from '../../../../lib/fptr/files/download';
import { bufferSource, fileSource } from '../../../../lib/fptr/files/sources';
import { MB } from '../../../../lib/fptr/files/transfer-settings';
import type { FileTransport } from '../../../../lib/fptr/files/transport';
import { uploadFile, type UploadOptions } from '../../../../lib/fptr/files/upload';
import { FptrSimulator, type SimOptions } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
import { CountingTransport, storageHostSawNoCredentials } from '../../../support/file-transport';

const DEMO = FptrSimulator.DEMO;

/** The error a promise rejects with: an FptrError for the site's or the storage's answers, an InputError for the caller's own mistakes. */
async function rejection(promise: Promise<unknown>): Promise<FptrError> {
  try {
    await promise;
  } catch (err) {
    should(err).be.instanceOf(Error);
    return err as FptrError;
  }
  throw new Error('expected a rejection');
}

describe('files: uploads over the simulator', () => {
  const env = new ClientSim();
  let t: CountingTransport;
  let sim: FptrSimulator;
  let dir: string;

  async function start(opts: SimOptions): Promise<FptrSimulator> {
    sim = await env.start(opts);
    t = new CountingTransport(env.client({ maxRetries: 3 }));
    return sim;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fptr-upload-'));
  });
  afterEach(async () => {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function movieFile(bytes: Buffer, name = 'render v1.mov'): string {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  async function options(path: string, extra: Partial<UploadOptions> = {}): Promise<UploadOptions> {
    return {
      entityType: 'Version',
      entityId: DEMO.versionIds[0],
      field: 'sg_uploaded_movie',
      source: await fileSource(path),
      filename: 'render v1.mov',
      multipartAboveBytes: 10 * MB,
      partSizeBytes: 5 * MB,
      ...extra,
    };
  }

  describe('s3 storage', () => {
    it('sends 12 MB from disk in 3 parts to the storage host without the token; it reads back byte-identical', async () => {
      await start({ storage: 's3' });
      const bytes = randomBytes(12 * MB);
      const seen: number[] = [];
      const result = await uploadFile(t, {
        ...(await options(movieFile(bytes))),
        displayName: 'Render v1',
        onProgress: (sent, total) => {
          should(total).eql(12 * MB);
          seen.push(sent);
        },
      });
      should(result.storage).eql('s3');
      should(result.parts).eql(3);
      const value = result.value as Record<string, unknown>;
      should(value).containEql({
        name: 'render v1.mov',
        content_type: 'video/quicktime',
        link_type: 'upload',
        type: 'Attachment',
      });
      should(sim.get('Attachment', value.id as number)).containEql({ display_name: 'Render v1', file_size: 12 * MB });
      should(seen[seen.length - 1]).eql(12 * MB);
      should(sim.storage.openUploads()).eql([]);
      const puts = sim.storage.requests().filter((r) => r.method === 'PUT');
      // Parts go in parallel, so they may arrive in any order.
      should(puts.map((r) => `${r.host} ${r.status} ${r.headers['content-length']}`).sort()).eql([
        `storage 200 ${2 * MB}`,
        `storage 200 ${5 * MB}`,
        `storage 200 ${5 * MB}`,
      ]);

      const back = await downloadToBuffer(
        t,
        { entityType: 'Version', entityId: DEMO.versionIds[0], field: 'sg_uploaded_movie', variant: 'original' },
        64 * MB,
      );
      should(back.bytes.equals(bytes)).be.true();
      should(back.contentType).eql('video/quicktime');
      should(storageHostSawNoCredentials(sim)).be.above(0);
    });

    it('repeats a part that fails once, and only that part', async () => {
      await start({ storage: 's3' });
      const bytes = randomBytes(11 * MB);
      sim.storage.failNext({ status: 500, method: 'PUT' });
      const result = await uploadFile(t, await options(movieFile(bytes), { concurrency: 1 }));
      should(result.parts).eql(3);
      should(sim.storage.requests().map((r) => `${r.method} ${r.status}`)).eql([
        'PUT 500',
        'PUT 200',
        'PUT 200',
        'PUT 200',
      ]);
      should(t.client.stats.retries).eql(1);
      const back = await downloadToBuffer(
        t,
        { entityType: 'Version', entityId: DEMO.versionIds[0], field: 'sg_uploaded_movie', variant: 'original' },
        64 * MB,
      );
      should(back.bytes.equals(bytes)).be.true();
    });

    it('aborts the upload when a part keeps failing: nothing stays open, the field keeps its value, the message says why', async () => {
      await start({ storage: 's3' });
      sim.storage.failNext({ status: 500, method: 'PUT', times: 1000 });
      const err = await rejection(uploadFile(t, await options(movieFile(randomBytes(12 * MB)))));
      should(err.message).match(
        /^File storage at http:\/\/127\.0\.0\.1:\d+ answered 500 \(InternalError\): Injected by the simulator storage faults \(gave up after 4 attempts\) \(the upload was aborted; nothing was kept\)$/,
      );
      should(err.status).eql(500);
      should(err.message).not.containEql('X-Amz');
      should(sim.storage.openUploads()).eql([]);
      should(sim.get('Version', DEMO.versionIds[0])?.sg_uploaded_movie).be.null();
      should(sim.find('Attachment')).eql([]);
      should(t.siteRequests.filter((r) => r.endsWith('/multipart_abort'))).have.length(1);
      should(storageHostSawNoCredentials(sim)).be.above(0);
    });

    it('aborts an upload stopped while its start was answered: the start opened it, so nothing may stay open', async () => {
      await start({ storage: 's3' });
      const stop = new AbortController();
      // The stop lands as the start's answer arrives; a request cancelled then would lose the
      // only answer naming the multipart upload the site just opened.
      const racing: FileTransport = {
        siteUrl: t.siteUrl,
        requestUrl: (request) => t.requestUrl(request),
        async siteRequest(request) {
          const answer = await t.siteRequest({ ...request, signal: undefined });
          if (request.path.includes('/_upload?')) stop.abort();
          if (request.signal?.aborted) throw new Error('The request was cancelled');
          return answer;
        },
      };
      const err = await rejection(
        uploadFile(racing, { ...(await options(movieFile(randomBytes(12 * MB)))), signal: stop.signal }),
      );
      should(err.message).eql('The upload was cancelled (the upload was aborted; nothing was kept)');
      should(sim.storage.openUploads()).eql([]);
      should(sim.storage.requests().filter((r) => r.method === 'PUT')).eql([]);
    });

    it('does not repeat a request to an expired signed URL; it aborts the upload', async () => {
      await start({ storage: 's3', signedUrlTtlSeconds: 0 });
      const err = await rejection(uploadFile(t, await options(movieFile(randomBytes(12 * MB)))));
      should(err.message).match(
        /answered 403 \(AccessDenied\): Request has expired \(the upload was aborted; nothing was kept\)$/,
      );
      should(t.client.stats.retries).eql(0);
      should(sim.storage.openUploads()).eql([]);
    });

    it('sends a small file in one PUT and a Buffer as well; the thumbnail field reads back as a URL', async () => {
      await start({ storage: 's3' });
      const small = await uploadFile(t, await options(movieFile(randomBytes(3 * MB))));
      should(small.parts).eql(1);
      const png = randomBytes(40_000);
      const thumb = await uploadFile(t, {
        entityType: 'Version',
        entityId: DEMO.versionIds[0],
        field: 'image',
        source: bufferSource(png),
        filename: 'thumb.png',
        multipartAboveBytes: 100 * MB,
        partSizeBytes: 8 * MB,
      });
      should(thumb.value).eql(`${sim.url}/api/v1/entity/versions/${DEMO.versionIds[0]}/image`);
      const back = await downloadToBuffer(
        t,
        { entityType: 'Version', entityId: DEMO.versionIds[0], field: 'image', variant: 'thumbnail' },
        MB,
      );
      should(back.bytes.equals(png)).be.true();
      should(back.contentType).eql('image/png');
      should(sim.storage.openUploads()).eql([]);
      should(storageHostSawNoCredentials(sim)).be.above(0);
    });

    it('keeps at most `concurrency` parts in flight', async () => {
      await start({ storage: 's3' });
      const bytes = randomBytes(26 * MB);
      const result = await uploadFile(t, await options(movieFile(bytes), { concurrency: 2 }));
      should(result.parts).eql(6);
      should(sim.storage.requests().length).eql(6);
      should(t.maxUrlInFlight).eql(2);
      should(sim.storage.openUploads()).eql([]);
    });
  });

  describe('sg storage', () => {
    it('sends the bytes to the site in one PUT (multipart refused), with the token only there', async () => {
      await start({ storage: 'sg' });
      const bytes = randomBytes(12 * MB);
      const result = await uploadFile(t, await options(movieFile(bytes)));
      should(result).containEql({ storage: 'sg', parts: 1 });
      should(t.siteRequests[0]).match(/_upload\?filename=render%20v1\.mov&multipart_upload=true$/);
      should(t.siteRequests[1]).match(/_upload\?filename=render%20v1\.mov$/);
      const log = sim.storage.requests();
      should(log.map((r) => `${r.host} ${r.method} ${r.status}`)).eql(['site PUT 200']);
      should(log[0].headers.authorization).match(/^Bearer \S+$/);
      const back = await downloadToBuffer(
        t,
        { entityType: 'Version', entityId: DEMO.versionIds[0], field: 'sg_uploaded_movie', variant: 'original' },
        64 * MB,
      );
      should(back.bytes.equals(bytes)).be.true();
      const get = sim.storage.requests()[1];
      should(`${get.host} ${get.method} ${get.status}`).eql('site GET 200');
      should(get.headers).not.have.property('authorization');
    });
  });

  describe('sg storage, failures', () => {
    it('repeats the site PUT when the site is busy', async () => {
      await start({ storage: 'sg' });
      const bytes = randomBytes(2 * MB);
      sim.storage.failNext({ status: 503, method: 'PUT' });
      const result = await uploadFile(t, await options(movieFile(bytes)));
      should(result.storage).eql('sg');
      should(sim.storage.requests().map((r) => `${r.host} ${r.method} ${r.status}`)).eql([
        'site PUT 503',
        'site PUT 200',
      ]);
      should(t.client.stats.retries).eql(1);
      const back = await downloadToBuffer(
        t,
        { entityType: 'Version', entityId: DEMO.versionIds[0], field: 'sg_uploaded_movie', variant: 'original' },
        64 * MB,
      );
      should(back.bytes.equals(bytes)).be.true();
    });

    it('does not repeat the site PUT of a file that shrank, and leaves nothing open', async () => {
      await start({ storage: 'sg' });
      const path = movieFile(randomBytes(3 * MB));
      const opts = await options(path);
      truncateSync(path, MB);
      const err = await rejection(uploadFile(t, opts));
      should(err).be.instanceOf(ByteSourceError);
      should(err.message).eql(
        `${path} changed while it was uploaded (3145728 bytes expected from byte 0, 1048576 read)`,
      );
      should(t.client.stats.retries).eql(0);
      should(sim.storage.openUploads()).eql([]);
    });
  });

  describe('bad input', () => {
    it('names a missing file before sending anything', async () => {
      await start({ storage: 's3' });
      const err = await rejection(fileSource(join(dir, 'missing.mov')));
      should(err).be.instanceOf(FileInputError);
      should(err.message).match(/^Could not read the file to upload: ENOENT: no such file or directory/);
      should(sim.storage.requests()).eql([]);
    });

    it('refuses a file that shrank since it was measured, without repeating the request, and aborts', async () => {
      await start({ storage: 's3' });
      const path = movieFile(randomBytes(12 * MB));
      const opts = await options(path, { concurrency: 1 });
      truncateSync(path, 7 * MB);
      const err = await rejection(uploadFile(t, opts));
      should(err).be.instanceOf(ByteSourceError);
      should(err.message).eql(
        `${path} changed while it was uploaded (5242880 bytes expected from byte 5242880, 2097152 read) (the upload was aborted; nothing was kept)`,
      );
      should(t.client.stats.retries).eql(0);
      should(sim.storage.openUploads()).eql([]);
    });

    it('refuses parts under 5 MB, bad thresholds and missing names before starting', async () => {
      await start({ storage: 's3' });
      const path = movieFile(randomBytes(10));
      should((await rejection(uploadFile(t, await options(path, { partSizeBytes: 4 * MB })))).message).eql(
        'The part size must be from 5 MB to 5120 MB, got 4 MB',
      );
      should((await rejection(uploadFile(t, await options(path, { multipartAboveBytes: -1 })))).message).eql(
        'The multipart threshold must be a number ≥ 0, got -1',
      );
      should((await rejection(uploadFile(t, await options(path, { filename: ' ' })))).message).eql(
        'The file name is missing',
      );
      should((await rejection(uploadFile(t, await options(path, { field: '' })))).message).eql(
        'The file field is missing',
      );
      should((await rejection(uploadFile(t, await options(path, { entityId: 1.5 })))).message).eql(
        'The record id must be a positive whole number, got 1.5',
      );
      should(t.siteRequests).eql([]);
      should(await rejection(uploadFile(t, await options(path, { partSizeBytes: 4 * MB })))).be.instanceOf(
        FileInputError,
      );
    });

    it("passes FPTR's refusal of a field that holds no files", async () => {
      await start({ storage: 's3' });
      const err = await rejection(uploadFile(t, await options(movieFile(randomBytes(10)), { field: 'code' })));
      should(err.status).eql(400);
      should(err.message).match(/^FPTR 400 \(code 103\): Version\.code is not a file field/);
    });
  });
});
