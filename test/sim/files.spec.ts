import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import should = require('should');
import type { FptrErrorObject } from '../../lib/fptr/client/api';
import { FptrSimulator, type SimOptions } from '../../sim';
import { SimHarness, errorOf, rawRequest, type OneBody, type RawResponse } from '../support/sim';

const DEMO = FptrSimulator.DEMO;
const MB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface UploadStart {
  data: {
    timestamp: string;
    upload_type: string;
    upload_id: string | null;
    storage_service: string;
    original_filename: string;
    multipart_upload: boolean;
  };
  links: { upload: string; complete_upload: string; get_next_part?: string };
}

describe('fptr-sim: uploads and downloads', () => {
  const h = new SimHarness();
  afterEach(() => h.stop());

  async function startUpload(path: string, filename: string, multipart = false): Promise<UploadStart> {
    const res = await h.call<UploadStart>(
      'GET',
      `${path}/_upload?filename=${encodeURIComponent(filename)}${multipart ? '&multipart_upload=true' : ''}`,
    );
    should(res.status).eql(200);
    return res.json;
  }

  async function download(path: string): Promise<{ location: string; res: RawResponse }> {
    const redirect = await h.call('GET', path);
    should(redirect.status).eql(302);
    const location = String(redirect.headers.location);
    return { location, res: await rawRequest('GET', location) };
  }

  const xmlCode = (res: RawResponse): string | undefined =>
    res.body.toString('utf8').match(/<Code>([^<]+)<\/Code>/)?.[1];

  /** The URL with one hex digit of its signature changed. */
  function tampered(url: string): string {
    const u = new URL(url);
    const key = u.searchParams.has('X-Amz-Signature') ? 'X-Amz-Signature' : 'signature';
    const sig = u.searchParams.get(key) ?? '';
    u.searchParams.set(key, (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    return u.toString();
  }

  describe('s3 storage', () => {
    const startS3 = (opts: SimOptions = {}): Promise<FptrSimulator> => h.start({ storage: 's3', ...opts });

    it('uploads 12 MB in 3 parts to the storage host without the token and downloads it byte-identical, ranges too', async () => {
      await startS3();
      const file = randomBytes(12 * MB);
      const parts = [file.subarray(0, 5 * MB), file.subarray(5 * MB, 10 * MB), file.subarray(10 * MB)];
      const version = DEMO.versionIds[0];
      const start = await startUpload(`/api/v1/entity/Version/${version}/sg_uploaded_movie`, 'cut v1.mov', true);
      should(start.data).containEql({
        upload_type: 'Attachment',
        storage_service: 's3',
        original_filename: 'cut v1.mov',
        multipart_upload: true,
      });
      should(start.data.upload_id).be.a.String();
      should(start.links.complete_upload).eql(`/api/v1/entity/versions/${version}/sg_uploaded_movie/_upload`);
      should(start.links.upload.startsWith(`${h.sim.storage.url}/`)).be.true();
      should(h.sim.storage.url).match(/^http:\/\/127\.0\.0\.1:\d+$/);
      should(start.links.get_next_part?.startsWith(`${start.links.complete_upload}/multipart?`)).be.true();

      let upload = start.links.upload;
      let next = start.links.get_next_part ?? '';
      const etags: string[] = [];
      for (const [i, part] of parts.entries()) {
        const put = await rawRequest('PUT', upload, { body: part, headers: { 'content-type': 'video/quicktime' } });
        should(put.status).eql(200);
        should(put.headers.etag).match(/^"[0-9a-f]{32}"$/);
        etags.push(String(put.headers.etag));
        if (i < parts.length - 1) {
          const more = await h.call<{ links: { upload: string; get_next_part: string } }>('GET', next);
          should(more.status).eql(200);
          upload = more.json.links.upload;
          next = more.json.links.get_next_part;
        }
      }
      should(h.sim.storage.openUploads()).eql([
        {
          uploadId: start.data.upload_id,
          timestamp: start.data.timestamp,
          entity: { type: 'Version', id: version },
          field: 'sg_uploaded_movie',
          filename: 'cut v1.mov',
          multipart: true,
          parts: [1, 2, 3],
          bytes: 12 * MB,
        },
      ]);

      const done = await h.call('POST', start.links.complete_upload, {
        body: { upload_info: { ...start.data, etags }, upload_data: { display_name: 'Cut, first pass' } },
      });
      should(done.status).eql(201);
      should(done.text).eql('');
      should(h.sim.storage.openUploads()).eql([]);

      const read = await h.call<OneBody>('GET', `/api/v1/entity/Version/${version}?fields=sg_uploaded_movie`);
      const value = read.json.data.attributes.sg_uploaded_movie as Record<string, unknown>;
      const attachmentId = value.id as number;
      should(value).eql({
        url: `${h.url}/api/v1/entity/attachments/${attachmentId}/this_file`,
        name: 'cut v1.mov',
        content_type: 'video/quicktime',
        link_type: 'upload',
        type: 'Attachment',
        id: attachmentId,
      });
      should(h.sim.get('Attachment', attachmentId)).containEql({
        original_fname: 'cut v1.mov',
        file_size: 12 * MB,
        display_name: 'Cut, first pass',
      });
      should(h.sim.eventLog().map((e) => `${String(e.event_type)}:${String(e.attribute_name)}`)).containDeep([
        'Shotgun_Attachment_New:null',
        'Shotgun_Version_Change:sg_uploaded_movie',
      ]);

      const { location, res } = await download(`/api/v1/entity/Version/${version}/sg_uploaded_movie`);
      should(location.startsWith(`${h.sim.storage.url}/`)).be.true();
      should(res.status).eql(200);
      should(res.body.equals(file)).be.true();
      should(res.headers).containEql({
        'content-type': 'video/quicktime',
        'content-length': String(12 * MB),
        'accept-ranges': 'bytes',
      });
      should(res.headers.etag).match(/^"[0-9a-f]{32}-3"$/);
      const across = await rawRequest('GET', location, { headers: { range: `bytes=${5 * MB - 10}-${5 * MB + 9}` } });
      should(across.status).eql(206);
      should(across.headers['content-range']).eql(`bytes ${5 * MB - 10}-${5 * MB + 9}/${12 * MB}`);
      should(across.body.equals(file.subarray(5 * MB - 10, 5 * MB + 10))).be.true();
      const tail = await rawRequest('GET', location, { headers: { range: 'bytes=-10' } });
      should(tail.body.equals(file.subarray(12 * MB - 10))).be.true();
      const beyond = await rawRequest('GET', location, { headers: { range: `bytes=${12 * MB}-` } });
      should(beyond.status).eql(416);
      should(beyond.headers['content-range']).eql(`bytes */${12 * MB}`);
      const viaAttachment = await download(`/api/v1/entity/Attachment/${attachmentId}/this_file?alt=original`);
      should(viaAttachment.res.body.equals(file)).be.true();
      should((await h.call('GET', `/api/v1/entity/Version/${version}/sg_uploaded_movie?alt=thumbnail`)).status).eql(
        302,
      );
      should((await h.call('GET', `/api/v1/entity/Version/${version}/sg_uploaded_movie?alt=poster`)).status).eql(400);

      const log = h.sim.storage.requests();
      should(log.map((r) => `${r.host} ${r.method} ${r.status}`)).eql([
        'storage PUT 200',
        'storage PUT 200',
        'storage PUT 200',
        'storage GET 200',
        'storage GET 206',
        'storage GET 206',
        'storage GET 416',
        'storage GET 200',
      ]);
      for (const r of log) {
        should(r.headers).not.have.property('authorization');
        should(JSON.stringify(r.headers)).not.containEql(await h.token());
      }
    });

    it('a part PUT that fails once succeeds on retry', async () => {
      await startS3();
      const start = await startUpload(`/api/v1/entity/Shot/${DEMO.shotIds.sh010}/image`, 'thumb.png');
      should(start.data).containEql({ upload_type: 'Thumbnail', multipart_upload: false, upload_id: null });
      h.sim.storage.failNext({ status: 500 });
      const bytes = randomBytes(2048);
      const failed = await rawRequest('PUT', start.links.upload, { body: bytes });
      should(failed.status).eql(500);
      should(xmlCode(failed)).eql('InternalError');
      should(h.sim.storage.openUploads()).eql([]);
      const retried = await rawRequest('PUT', start.links.upload, { body: bytes });
      should(retried.status).eql(200);
      should(
        (await h.call('POST', start.links.complete_upload, { body: { upload_info: start.data, upload_data: {} } }))
          .status,
      ).eql(201);
      should(h.sim.get('Shot', DEMO.shotIds.sh010)?.image).eql(
        `${h.url}/api/v1/entity/shots/${DEMO.shotIds.sh010}/image`,
      );
      const { res } = await download(`/api/v1/entity/Shot/${DEMO.shotIds.sh010}/image`);
      should(res.body.equals(bytes)).be.true();
      should(res.headers['content-type']).eql('image/png');
    });

    it('refuses expired signed URLs (403 AccessDenied)', async () => {
      await startS3({ signedUrlTtlSeconds: 0 });
      const start = await startUpload(`/api/v1/entity/Version/${DEMO.versionIds[1]}/sg_uploaded_movie`, 'x.mov');
      const put = await rawRequest('PUT', start.links.upload, { body: randomBytes(10) });
      should(put.status).eql(403);
      should(xmlCode(put)).eql('AccessDenied');
      should(put.body.toString('utf8')).containEql('Request has expired');
      should(h.sim.storage.openUploads()).eql([]);
    });

    it('refuses tampered signed URLs (403 SignatureDoesNotMatch) and another method than signed', async () => {
      await startS3();
      const start = await startUpload(`/api/v1/entity/Version/${DEMO.versionIds[1]}/sg_uploaded_movie`, 'x.mov', true);
      const body = randomBytes(10);
      for (const url of [
        start.links.upload.replace('partNumber=1', 'partNumber=2'),
        `${start.links.upload}&extra=1`,
        tampered(start.links.upload),
      ]) {
        const res = await rawRequest('PUT', url, { body });
        should(res.status).eql(403);
        should(xmlCode(res)).eql('SignatureDoesNotMatch');
      }
      should(xmlCode(await rawRequest('GET', start.links.upload))).eql('SignatureDoesNotMatch');
      should(h.sim.storage.openUploads()[0].parts).eql([]);
    });

    it('refuses a completion whose parts are under 5 MB; multipart_abort discards the parts', async () => {
      await startS3();
      const path = `/api/v1/entity/Version/${DEMO.versionIds[1]}/sg_uploaded_movie`;
      const start = await startUpload(path, 'small.mov', true);
      const first = await rawRequest('PUT', start.links.upload, { body: randomBytes(MB) });
      const nextPart = start.links.get_next_part ?? '';
      should(errorOf(await h.call('GET', nextPart.replace('part_number=2', 'part_number=two')))).containEql({
        status: 400,
        title: 'part_number must be an integer from 2 to 10000',
      });
      should(errorOf(await h.call('GET', nextPart.replace(/upload_id=[^&]+/, 'upload_id=other')))).containEql({
        status: 404,
        code: 104,
      });
      should(
        (await h.call('POST', start.links.complete_upload, { body: { upload_info: start.data, upload_data: 'x' } }))
          .status,
      ).eql(400);
      should((await h.call('POST', `${start.links.complete_upload}/multipart_abort`, { body: [] })).status).eql(400);
      const more = await h.call<{ links: { upload: string } }>('GET', nextPart);
      const second = await rawRequest('PUT', more.json.links.upload, { body: randomBytes(MB) });
      const etags = [String(first.headers.etag), String(second.headers.etag)];
      const done = await h.call('POST', start.links.complete_upload, {
        body: { upload_info: { ...start.data, etags } },
      });
      should(errorOf(done)).containEql({ status: 400, code: 103 });
      should(errorOf(done).title).match(/^EntityTooSmall: part 1/);
      const wrong = await h.call('POST', start.links.complete_upload, {
        body: { upload_info: { ...start.data, etags: [etags[1], etags[0]] } },
      });
      should(errorOf(wrong).title).match(/^InvalidPart: part 1/);
      should((await h.call('POST', start.links.complete_upload, { body: { upload_info: start.data } })).status).eql(
        400,
      );
      should(h.sim.storage.openUploads()).have.length(1);
      should(h.sim.get('Version', DEMO.versionIds[1])?.sg_uploaded_movie).be.null();

      const abort = await h.call('POST', `${start.links.complete_upload}/multipart_abort`, {
        body: { upload_info: start.data },
      });
      should(abort.status).eql(204);
      should(h.sim.storage.openUploads()).eql([]);
      should(h.sim.storage.objects()).eql([]);
      should(
        errorOf(
          await h.call('POST', `${start.links.complete_upload}/multipart_abort`, { body: { upload_info: start.data } }),
        ),
      ).containEql({ status: 404 });
      should((await rawRequest('PUT', more.json.links.upload, { body: randomBytes(10) })).status).eql(404);

      const other = await startUpload(path, 'other.mov', true);
      await rawRequest('PUT', other.links.upload, { body: randomBytes(10) });
      should((await h.call('POST', `${other.links.complete_upload}/multipart_abort`, { body: other.data })).status).eql(
        204,
      );
      should(h.sim.storage.openUploads()).eql([]);
    });
  });

  describe('sg storage', () => {
    it('takes the bytes on the site with the bearer token, then serves them from a signed site URL', async () => {
      await h.start();
      const version = DEMO.versionIds[1];
      const start = await startUpload(`/api/v1/entity/versions/${version}/sg_uploaded_movie`, 'take.mp4');
      should(start.data).containEql({ storage_service: 'sg', upload_id: null, multipart_upload: false });
      should(start.links.upload.startsWith(`${h.url}${start.links.complete_upload}?`)).be.true();
      should(start.links).not.have.property('get_next_part');
      should(h.sim.storage.url).eql('');
      const file = randomBytes(300_000);
      should(
        (
          await h.call('PUT', start.links.upload.slice(h.url.length), {
            token: null,
            body: file,
            contentType: 'video/mp4',
          })
        ).status,
      ).eql(401);
      const put = await h.call<{ data: { upload_id: string; original_filename: string } }>(
        'PUT',
        start.links.upload.slice(h.url.length),
        { body: file, contentType: 'video/mp4' },
      );
      should(put.status).eql(200);
      should(put.json.data.upload_id).match(UUID);
      should(put.json.data.original_filename).eql('take.mp4');
      const missingId = await h.call('POST', start.links.complete_upload, { body: { upload_info: start.data } });
      should(errorOf(missingId).title).match(/upload_id/);
      const done = await h.call('POST', start.links.complete_upload, {
        body: { upload_info: { ...start.data, ...put.json.data }, upload_data: {} },
      });
      should(done.status).eql(201);
      const { location, res } = await download(`/api/v1/entity/Version/${version}/sg_uploaded_movie`);
      should(location.startsWith(`${h.url}/file_serve/`)).be.true();
      should(res.status).eql(200);
      should(res.body.equals(file)).be.true();
      const part = await rawRequest('GET', location, { headers: { range: 'bytes=100-199' } });
      should(part.status).eql(206);
      should(part.body.equals(file.subarray(100, 200))).be.true();
      should((await rawRequest('GET', tampered(location))).status).eql(403);
      const log = h.sim.storage.requests();
      should(log.map((r) => `${r.host} ${r.method} ${r.status}`)).eql([
        'site PUT 200',
        'site GET 200',
        'site GET 206',
        'site GET 403',
      ]);
      should(log[1].headers).not.have.property('authorization');
    });

    it('refuses multipart, tampered or expired upload URLs, and honours storage faults', async () => {
      await h.start({ signedUrlTtlSeconds: 0 });
      const path = `/api/v1/entity/Version/${DEMO.versionIds[0]}/sg_uploaded_movie`;
      const multi = await h.call('GET', `${path}/_upload?filename=x.mov&multipart_upload=true`);
      should(errorOf(multi)).containEql({
        status: 400,
        code: 103,
        title: 'Multi-part is not supported for this upload.',
        source: { multipart_upload: 'not supported for this storage service (sg).' },
      });
      const start = await startUpload(path, 'x.mov');
      const expired = await h.call('PUT', start.links.upload.slice(h.url.length), {
        body: randomBytes(10),
        contentType: 'video/quicktime',
      });
      should(errorOf(expired)).containEql({ status: 403, title: 'The signed URL has expired' });

      await h.stop();
      await h.start();
      const again = await startUpload(path, 'x.mov');
      const tampered = await h.call(
        'PUT',
        again.links.upload.slice(h.url.length).replace('filename=x.mov', 'filename=y.mov'),
        { body: randomBytes(10), contentType: 'video/quicktime' },
      );
      should(errorOf(tampered)).containEql({ status: 403, title: 'The signed URL is not valid' });
      h.sim.storage.failNext({ status: 503, method: 'PUT' });
      should(
        (
          await h.call('PUT', again.links.upload.slice(h.url.length), {
            body: randomBytes(10),
            contentType: 'video/quicktime',
          })
        ).status,
      ).eql(503);
      should(
        (
          await h.call('PUT', again.links.upload.slice(h.url.length), {
            body: randomBytes(10),
            contentType: 'video/quicktime',
          })
        ).status,
      ).eql(200);
      should(h.sim.storage.openUploads()).have.length(1);
      should(() => h.sim.storage.failNext({ status: 200 })).throw(/400\.\.599/);
    });

    it('answers any Range header with the right bytes, 200 or 416, never an error (property)', async () => {
      await h.start();
      const file = randomBytes(1000);
      const start = await startUpload(`/api/v1/entity/Version/${DEMO.versionIds[0]}/sg_uploaded_movie`, 'r.bin');
      const put = await h.call<{ data: { upload_id: string } }>('PUT', start.links.upload.slice(h.url.length), {
        body: file,
        contentType: 'application/octet-stream',
      });
      await h.call('POST', start.links.complete_upload, { body: { upload_info: { ...start.data, ...put.json.data } } });
      const { location } = await download(`/api/v1/entity/Version/${DEMO.versionIds[0]}/sg_uploaded_movie`);
      const n = fc.integer({ min: 0, max: 1200 });
      const header = fc.oneof(
        fc.tuple(n, n).map(([a, b]) => `bytes=${a}-${b}`),
        n.map((a) => `bytes=${a}-`),
        n.map((b) => `bytes=-${b}`),
        fc.string({ maxLength: 12 }),
      );
      await fc.assert(
        fc.asyncProperty(header, async (range) => {
          const res = await rawRequest('GET', location, { headers: { range } });
          const m = range.match(/^bytes=(\d*)-(\d*)$/);
          if (!m || (m[1] === '' && m[2] === '')) {
            should(res.status).eql(200);
            should(res.body.equals(file)).be.true();
            return;
          }
          let from: number, to: number;
          if (m[1] === '') [from, to] = [Math.max(0, 1000 - Number(m[2])), Number(m[2]) === 0 ? -1 : 999];
          else [from, to] = [Number(m[1]), m[2] === '' ? 999 : Math.min(Number(m[2]), 999)];
          if (from > to || from >= 1000) {
            should(res.status).eql(416);
            should(res.headers['content-range']).eql('bytes */1000');
            return;
          }
          should(res.status).eql(206);
          should(res.headers['content-range']).eql(`bytes ${from}-${to}/1000`);
          should(res.body.equals(file.subarray(from, to + 1))).be.true();
        }),
        { numRuns: 80, seed: 7 },
      );
    });

    it('attaches a file to the record itself when no field is given', async () => {
      await h.start();
      const note = DEMO.noteIds[0];
      const start = await startUpload(`/api/v1/entity/Note/${note}`, 'notes.txt');
      should(start.links.complete_upload).eql(`/api/v1/entity/notes/${note}/_upload`);
      const put = await h.call<{ data: { upload_id: string } }>('PUT', start.links.upload.slice(h.url.length), {
        body: 'hello',
        contentType: 'text/plain',
      });
      should(
        (
          await h.call('POST', start.links.complete_upload, {
            body: { upload_info: { ...start.data, ...put.json.data }, upload_data: { display_name: 'Notes' } },
          })
        ).status,
      ).eql(201);
      const [attachment] = h.sim.find('Attachment');
      should(attachment).containEql({
        original_fname: 'notes.txt',
        display_name: 'Notes',
        file_size: 5,
        attachment_links: [{ type: 'Note', id: note, name: 'sh010 layout: camera' }],
      });
      should(attachment.this_file).containEql({
        content_type: 'text/plain',
        link_type: 'upload',
        type: 'Attachment',
        id: attachment.id,
      });
      const { res } = await download(`/api/v1/entity/attachments/${attachment.id}/this_file`);
      should(res.body.toString('utf8')).eql('hello');
    });

    it('answers clear errors for bad starts, next parts and downloads', async () => {
      await h.start();
      const version = DEMO.versionIds[0];
      const err = async (path: string): Promise<FptrErrorObject> => errorOf(await h.call('GET', path));
      should(await err(`/api/v1/entity/Version/${version}/nope/_upload?filename=a`)).containEql({
        status: 400,
        code: 103,
        title: "API read() Version.nope doesn't exist.",
      });
      should((await err(`/api/v1/entity/Version/${version}/code/_upload?filename=a`)).title).match(/not a file field/);
      should(await err(`/api/v1/entity/Version/${version}/sg_uploaded_movie/_upload`)).containEql({
        status: 400,
        title: 'filename is required',
      });
      should(await err('/api/v1/entity/Version/999999/sg_uploaded_movie/_upload?filename=a')).containEql({
        status: 404,
        code: 104,
      });
      should(await err(`/api/v1/entity/Version/${version}/sg_uploaded_movie`)).containEql({ status: 404, code: 104 });
      should((await err(`/api/v1/entity/Version/${version}/code`)).title).match(/not a file field/);
      should(
        await err(
          `/api/v1/entity/Version/${version}/sg_uploaded_movie/_upload/multipart?timestamp=x&upload_id=y&part_number=2`,
        ),
      ).containEql({ status: 404 });
      should(
        (await h.call('GET', `/api/v1/entity/Version/${version}/sg_uploaded_movie/_upload?filename=a`, { token: null }))
          .status,
      ).eql(401);
      should(
        (await h.call('POST', `/api/v1/entity/Version/${version}/sg_uploaded_movie/_upload`, { body: {} })).status,
      ).eql(400);
      should((await rawRequest('GET', `${h.url}/file_serve/abc`)).status).eql(403);
    });
  });
});
