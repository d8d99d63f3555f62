import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import should = require('should');
import type { FptrError } from '../../../../lib/fptr/client/fptr-error';
import { FileInputError } from '../../../../lib/fptr/files/file-input-error';
import type { UrlAnswer, UrlRequest } from '../../../../lib/fptr/client/url-request';
import { downloadToBuffer, downloadToFile, type DownloadOptions } from '../../../../lib/fptr/files/download';
import { bufferSource } from '../../../../lib/fptr/files/sources';
import type { SiteAnswer } from '../../../../lib/fptr/client/api';
import type { FileTransport } from '../../../../lib/fptr/files/transport';
import { MB } from '../../../../lib/fptr/files/transfer-settings';
import { uploadFile } from '../../../../lib/fptr/files/upload';
import { FptrSimulator, type SimOptions } from '../../../../sim';
import { ClientSim } from '../../../support/client-sim';
import { CountingTransport, storageHostSawNoCredentials } from '../../../support/file-transport';
import { LoopbackServer } from '../../../support/loopback';

const DEMO = FptrSimulator.DEMO;
const version = (): number => DEMO.versionIds[1];
const movie = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  entityType: 'Version',
  entityId: version(),
  field: 'sg_uploaded_movie',
  variant: 'original',
  ...extra,
});

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

describe('files: downloads over the simulator', () => {
  const env = new ClientSim();
  let t: CountingTransport;
  let sim: FptrSimulator;
  let dir: string;

  async function start(opts: SimOptions, bytes?: Buffer): Promise<void> {
    sim = await env.start(opts);
    t = new CountingTransport(env.client({ maxRetries: 3 }));
    if (bytes) {
      await uploadFile(t, {
        entityType: 'Version',
        entityId: version(),
        field: 'sg_uploaded_movie',
        source: bufferSource(bytes),
        filename: 'comp.mov',
        multipartAboveBytes: 100 * MB,
        partSizeBytes: 8 * MB,
      });
    }
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fptr-download-'));
  });
  afterEach(async () => {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const storage of ['s3', 'sg'] as const) {
    it(`${storage}: writes the file atomically over an older one, following the redirect without the token`, async () => {
      const bytes = randomBytes(3 * MB + 17);
      await start({ storage }, bytes);
      const target = join(dir, 'comp.mov');
      writeFileSync(target, 'older');
      const progress: number[] = [];
      const got = await downloadToFile(
        t,
        movie({
          onProgress: (n, total) => {
            should(total).eql(bytes.length);
            progress.push(n);
          },
        }),
        target,
      );
      should(got).eql({ path: target, size: bytes.length, contentType: 'video/quicktime' });
      should(readFileSync(target).equals(bytes)).be.true();
      should(readdirSync(dir)).eql(['comp.mov']);
      should(progress[progress.length - 1]).eql(bytes.length);
      const gets = sim.storage.requests().filter((r) => r.method === 'GET');
      should(gets.map((r) => `${r.host} ${r.status}`)).eql([`${storage === 's3' ? 'storage' : 'site'} 200`]);
      should(gets[0].headers).not.have.property('authorization');
      if (storage === 's3') should(storageHostSawNoCredentials(sim)).eql(2);
    });
  }

  it('leaves the older file and no temporary file when the storage keeps failing', async () => {
    await start({ storage: 's3' }, randomBytes(1000));
    const target = join(dir, 'comp.mov');
    writeFileSync(target, 'older');
    sim.storage.failNext({ status: 503, method: 'GET', times: 100 });
    const err = await rejection(downloadToFile(t, movie(), target));
    should(err.message).match(
      /^File storage at http:\/\/127\.0\.0\.1:\d+ answered 503 \(InternalError\): Injected by the simulator storage faults \(gave up after 4 attempts\)$/,
    );
    should(readFileSync(target, 'utf8')).eql('older');
    should(readdirSync(dir)).eql(['comp.mov']);
  });

  it('repeats a GET that fails once', async () => {
    const bytes = randomBytes(5000);
    await start({ storage: 's3' }, bytes);
    sim.storage.failNext({ status: 500, method: 'GET' });
    const got = await downloadToBuffer(t, movie(), MB);
    should(got.bytes.equals(bytes)).be.true();
    should(
      sim.storage
        .requests()
        .filter((r) => r.method === 'GET')
        .map((r) => r.status),
    ).eql([500, 200]);
  });

  it('does not repeat a GET of an expired signed URL', async () => {
    // The redirect's URL lives 1-2 s (the signature's clock has whole seconds); the GET comes 2.5 s later.
    await start({ storage: 's3', signedUrlTtlSeconds: 2 }, randomBytes(1000));
    const late: FileTransport = {
      siteUrl: t.siteUrl,
      siteRequest: (spec) => t.siteRequest(spec),
      requestUrl: async (spec: UrlRequest): Promise<UrlAnswer> => {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        return t.requestUrl(spec);
      },
    };
    const err = await rejection(downloadToFile(late, movie(), join(dir, 'late.mov')));
    should(err.message).match(/answered 403 \(AccessDenied\): Request has expired$/);
    should(sim.storage.requests().filter((r) => r.method === 'GET')).have.length(1);
    should(readdirSync(dir)).eql([]);
  });

  it('refuses to hold a file larger than the limit in memory', async () => {
    await start({ storage: 's3' }, randomBytes(2 * MB));
    const err = await rejection(downloadToBuffer(t, movie(), MB));
    should(err.message).eql(
      'The file is larger than 1 MB, too large to hold in a message; download it to a file instead',
    );
  });

  it("passes FPTR's answer for an empty field, refuses an unknown variant and a missing directory", async () => {
    await start({ storage: 's3' });
    const empty = await rejection(downloadToBuffer(t, movie(), MB));
    should(empty.status).eql(404);
    should(empty.message).match(
      /^FPTR 404 \(code 104\): Version\.sg_uploaded_movie of Version \d+ holds no uploaded file$/,
    );
    const variant = await rejection(downloadToBuffer(t, movie({ variant: 'poster' as 'original' }), MB));
    should(variant.message).eql('The variant must be original or thumbnail, got poster');
    await uploadFile(t, {
      entityType: 'Version',
      entityId: version(),
      field: 'sg_uploaded_movie',
      source: bufferSource(Buffer.from('x')),
      filename: 'x.mov',
      multipartAboveBytes: MB,
      partSizeBytes: 5 * MB,
    });
    const nowhere = await rejection(downloadToFile(t, movie(), join(dir, 'no', 'such', 'dir.mov')));
    should(nowhere).be.instanceOf(FileInputError);
    should(nowhere.message).match(/^Could not write the download to .*dir\.mov: ENOENT/);
  });

  describe('a storage that breaks off', () => {
    const storage = new LoopbackServer();
    afterEach(() => storage.close());

    it('fails the download and removes the partial file', async () => {
      await start({ storage: 's3' });
      const origin = await storage.listen((_req, res) => {
        res.writeHead(200, { 'content-length': '100000', 'content-type': 'video/quicktime' });
        res.write(randomBytes(40_000), () => res.destroy());
      });
      const redirecting: FileTransport = {
        siteUrl: t.siteUrl,
        siteRequest: (): Promise<SiteAnswer> =>
          Promise.resolve({
            status: 302,
            headers: { location: `${origin}/bucket/key?X-Amz-Signature=abc` },
            body: undefined,
          }),
        requestUrl: (spec) => t.requestUrl(spec),
      };
      mkdirSync(join(dir, 'out'));
      const err = await rejection(downloadToFile(redirecting, movie(), join(dir, 'out', 'comp.mov')));
      should(err.message).match(new RegExp(`^The download from GET ${origin}/bucket/key broke off after \\d+ bytes`));
      should(err.message).not.containEql('abc');
      should(readdirSync(join(dir, 'out'))).eql([]);
    });
  });
});
