import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http = require('node:http');
import type { AddressInfo } from 'node:net';
import { SimError, badRequest, notFound } from './errors';
import type { Link } from './store';

/**
 * File storage behind uploads and downloads (docs/fptr-api.md §2.12). With `sg` storage the site
 * itself takes the bytes (PUT with the bearer token) and serves them from signed site URLs; with
 * `s3` a separate loopback "storage host" takes PUTs to pre-signed URLs, multipart included, and
 * serves signed GETs. Bytes stay in memory as the chunks they arrived in, never copied together.
 */

export type StorageKind = 'sg' | 's3';

/** S3's rule: every part but the last has at least 5 MiB. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Largest single PUT the simulator keeps in memory (FPTR allows 500 MB; tests stay far below). */
const MAX_PUT_BYTES = 64 * 1024 * 1024;
const MAX_PARTS = 10_000;
const BUCKET = 'fptr-sim-bucket';

export interface StorageOptions {
  kind: StorageKind;
  /** Lifetime of signed upload/download URLs; 0 makes every URL expired at once. */
  urlTtlSeconds: number;
  siteUrl: () => string;
  log: (line: string) => void;
}

/** One request the storage saw, headers included (tests check that no bearer token reaches it). */
export interface StorageRequest {
  /** `storage`: the S3-like host; `site`: an sg-storage PUT or file GET on the site. */
  host: 'storage' | 'site';
  method: string;
  /** Pathname only. */
  path: string;
  headers: Record<string, string>;
  status: number;
}

/** An upload started and not finished (completed or aborted), with bytes stored for it. */
export interface OpenUpload {
  /** S3 multipart id, or the id an sg PUT answered; null for a single S3 PUT. */
  uploadId: string | null;
  timestamp: string;
  entity: Link;
  field: string | null;
  filename: string;
  multipart: boolean;
  /** Part numbers received (multipart). */
  parts: number[];
  bytes: number;
}

export interface StorageFault {
  status: number;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** PUT or GET; any when absent. */
  method?: string;
}

interface Blob {
  chunks: Buffer[];
  size: number;
  /** Quoted, as the ETag header carries it. */
  etag: string;
  contentType: string;
}

interface StoredObject extends Blob {
  key: string;
  filename: string;
}

interface UploadSession {
  timestamp: string;
  uploadId: string | null;
  key: string;
  entity: Link;
  field: string | null;
  filename: string;
  uploadType: 'Attachment' | 'Thumbnail';
  multipart: boolean;
  parts: Map<number, Blob>;
  single: Blob | undefined;
}

type SignatureCheck = 'ok' | 'expired' | 'bad';

const CONTENT_TYPES: Record<string, string> = {
  '.mov': 'video/quicktime',
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.exr': 'image/x-exr',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.json': 'application/json',
};

function contentTypeOf(filename: string, sent: string | undefined): string {
  if (sent && sent !== 'application/octet-stream') return sent;
  const ext = filename.toLowerCase().match(/\.[a-z0-9]+$/)?.[0] ?? '';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}

function md5(chunks: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const c of chunks) hash.update(c);
  return hash.digest();
}

function blob(chunks: Buffer[], contentType: string): Blob {
  return {
    chunks,
    size: chunks.reduce((n, c) => n + c.length, 0),
    etag: `"${md5(chunks).toString('hex')}"`,
    contentType,
  };
}

/** `20240502T101112Z` (the X-Amz-Date form). */
function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function amzDateMs(value: string): number {
  const m = value.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function s3Error(res: http.ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Reads a request body as its chunks, refusing more than `max` bytes. */
function readChunks(req: http.IncomingMessage, max: number): Promise<Buffer[] | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : chunks));
    req.on('error', reject);
  });
}

/** The byte window a `Range` header asks for; undefined for the whole object, null when unsatisfiable. */
function byteRange(header: string | undefined, size: number): { start: number; end: number } | undefined | null {
  const m = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!header || !m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number, end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? null : { start, end };
}

export class StorageService {
  private readonly secret = randomBytes(32);
  private readonly objects = new Map<string, StoredObject>();
  /** `Type:id:field` → object key, for downloads. */
  private readonly files = new Map<string, string>();
  private readonly sessions = new Map<string, UploadSession>();
  private readonly log: StorageRequest[] = [];
  private faults: Array<Required<Omit<StorageFault, 'method'>> & { method?: string }> = [];
  private lastTimestamp = 0;
  private server: http.Server | undefined;
  private hostUrl = '';

  constructor(private readonly opts: StorageOptions) {}

  get kind(): StorageKind {
    return this.opts.kind;
  }

  // ---- storage host (s3) ------------------------------------------------------------------

  /** Starts the storage host (s3 only) on its own port of 127.0.0.1, whatever the site binds. */
  async listen(): Promise<void> {
    if (this.opts.kind !== 's3' || this.server) return;
    const server = http.createServer((req, res) => void this.handleHost(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.hostUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** `http://127.0.0.1:PORT` of the storage host (s3), '' otherwise. */
  get url(): string {
    return this.hostUrl;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handleHost(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://storage.invalid');
    const entry = this.record('storage', method, url.pathname, req.headers);
    res.on('finish', () => {
      entry.status = res.statusCode;
      this.opts.log(`storage ${method} ${url.pathname} ${res.statusCode}`);
    });
    try {
      const chunks = method === 'PUT' ? await readChunks(req, MAX_PUT_BYTES) : [];
      const key = url.pathname.startsWith(`/${BUCKET}/`)
        ? decodeURIComponent(url.pathname.slice(BUCKET.length + 2))
        : '';
      const check = this.verify(method, url);
      if (check === 'expired') return s3Error(res, 403, 'AccessDenied', 'Request has expired');
      if (check === 'bad')
        return s3Error(
          res,
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided.',
        );
      const fault = this.takeFault(method);
      if (fault)
        return s3Error(
          res,
          fault,
          fault >= 500 ? 'InternalError' : 'InvalidRequest',
          'Injected by the simulator storage faults',
        );
      if (method === 'PUT') {
        if (chunks === 'too-large')
          return s3Error(
            res,
            400,
            'EntityTooLarge',
            `Your proposed upload exceeds the maximum allowed size (${MAX_PUT_BYTES} bytes in the simulator)`,
          );
        const part = url.searchParams.get('partNumber');
        const stored = this.putBytes(
          key,
          url.searchParams.get('uploadId'),
          part === null ? undefined : Number(part),
          chunks,
          req.headers['content-type'],
        );
        res.writeHead(200, { etag: stored.etag, 'content-length': '0' });
        res.end();
        return;
      }
      if (method === 'GET' || method === 'HEAD') {
        const object = this.objects.get(key);
        if (!object) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        this.serve(object, req, res);
        return;
      }
      s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    } catch (err) {
      if (err instanceof SimError) s3Error(res, err.status, 'InvalidRequest', err.message);
      else s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
  }

  // ---- request log and faults -------------------------------------------------------------

  /** Every storage request so far, oldest first. */
  requests(): StorageRequest[] {
    return this.log.map((r) => ({ ...r, headers: { ...r.headers } }));
  }

  /** Records a storage request (the sg site routes call this too). */
  record(
    host: StorageRequest['host'],
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders,
  ): StorageRequest {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
    const entry: StorageRequest = { host, method, path, headers: flat, status: 0 };
    this.log.push(entry);
    return entry;
  }

  /** The next matching storage requests (part PUTs, file GETs) fail with `status`. */
  failNext(fault: StorageFault): void {
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599)
      throw new RangeError(`failNext: status must be 400..599, got ${String(fault.status)}`);
    this.faults.push({ status: fault.status, times: fault.times ?? 1, method: fault.method?.toUpperCase() });
  }

  takeFault(method: string): number | undefined {
    const fault = this.faults.find((f) => f.times > 0 && (!f.method || f.method === method));
    if (!fault) return undefined;
    fault.times--;
    this.faults = this.faults.filter((f) => f.times > 0);
    return fault.status;
  }

  // ---- signed URLs ------------------------------------------------------------------------

  private signature(method: string, pathname: string, params: URLSearchParams): string {
    const sorted = [...params]
      .filter(([k]) => k !== 'X-Amz-Signature' && k !== 'signature')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return createHmac('sha256', this.secret)
      .update(`${method}\n${pathname}\n${new URLSearchParams(sorted).toString()}`)
      .digest('hex');
  }

  private signed(method: string, origin: string, pathname: string, params: Record<string, string>): string {
    const now = Date.now();
    const q = new URLSearchParams(params);
    if (this.opts.kind === 's3') {
      q.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
      q.set('X-Amz-Date', amzDate(now));
      q.set('X-Amz-Expires', String(this.opts.urlTtlSeconds));
      q.set('X-Amz-SignedHeaders', 'host');
      q.set('X-Amz-Signature', this.signature(method, pathname, q));
    } else {
      q.set('expiration', String(Math.floor(now / 1000) + this.opts.urlTtlSeconds));
      q.set('signature', this.signature(method, pathname, q));
    }
    return `${origin}${pathname}?${q.toString()}`;
  }

  /** Checks a signed URL: the method, path and every parameter must be the ones signed, in time. */
  verify(method: string, url: URL): SignatureCheck {
    const q = url.searchParams;
    const given = q.get('X-Amz-Signature') ?? q.get('signature') ?? '';
    const want = this.signature(method === 'HEAD' ? 'GET' : method, url.pathname, q);
    if (given.length !== want.length || !timingSafeEqual(Buffer.from(given), Buffer.from(want))) return 'bad';
    const expiresAt = q.has('X-Amz-Date')
      ? amzDateMs(q.get('X-Amz-Date') ?? '') + Number(q.get('X-Amz-Expires')) * 1000
      : Number(q.get('expiration')) * 1000;
    return Number.isFinite(expiresAt) && Date.now() < expiresAt ? 'ok' : 'expired';
  }

  // ---- upload sessions --------------------------------------------------------------------

  /** A timestamp no other upload has: the completion body's `timestamp` names its session. */
  private uniqueTimestamp(): string {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    return new Date(this.lastTimestamp).toISOString();
  }

  start(entity: Link, field: string | null, filename: string, multipart: boolean): UploadSession {
    if (multipart && this.opts.kind === 'sg') {
      throw badRequest('Multi-part is not supported for this upload.', 103, {
        source: { multipart_upload: 'not supported for this storage service (sg).' },
      });
    }
    const session: UploadSession = {
      timestamp: this.uniqueTimestamp(),
      uploadId: multipart ? randomBytes(24).toString('base64url') : null,
      key: randomBytes(16).toString('hex'),
      entity,
      field,
      filename,
      uploadType: field === 'image' ? 'Thumbnail' : 'Attachment',
      multipart,
      parts: new Map(),
      single: undefined,
    };
    this.sessions.set(session.timestamp, session);
    return session;
  }

  /** Where to PUT the bytes (or part `partNumber`): the storage host (s3) or the site (sg). */
  uploadUrl(session: UploadSession, uploadPath: string, user: Link, partNumber?: number): string {
    if (this.opts.kind === 'sg') {
      return this.signed('PUT', this.opts.siteUrl(), uploadPath, {
        filename: session.filename,
        timestamp: session.timestamp,
        user_id: String(user.id),
        user_type: user.type,
      });
    }
    const params: Record<string, string> = {};
    if (session.multipart) {
      params.partNumber = String(partNumber ?? 1);
      params.uploadId = session.uploadId ?? '';
    }
    return this.signed('PUT', this.hostUrl, `/${BUCKET}/${session.key}`, params);
  }

  /** The session an `upload_info` names (its timestamp), for this record and field. */
  session(info: Record<string, unknown>, entity: Link, field: string | null): UploadSession {
    const s = typeof info.timestamp === 'string' ? this.sessions.get(info.timestamp) : undefined;
    if (!s || s.entity.type !== entity.type || s.entity.id !== entity.id || s.field !== field) {
      throw notFound('Upload not found: upload_info does not name an open upload of this record and field', 104);
    }
    return s;
  }

  /** Stores bytes PUT to a signed URL (s3 host, or the sg site route). */
  putBytes(
    key: string,
    uploadId: string | null,
    partNumber: number | undefined,
    chunks: Buffer[],
    contentType: string | undefined,
  ): Blob {
    const session = [...this.sessions.values()].find((s) => s.key === key);
    if (!session) throw notFound('No upload is open for this URL', 104);
    const stored = blob(chunks, contentTypeOf(session.filename, contentType));
    if (session.multipart) {
      if (uploadId !== session.uploadId)
        throw notFound('NoSuchUpload: the upload id is unknown or the upload is finished', 104);
      if (!Number.isInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > MAX_PARTS) {
        throw badRequest(`partNumber must be an integer from 1 to ${MAX_PARTS}`);
      }
      session.parts.set(partNumber as number, stored);
    } else {
      session.single = stored;
    }
    return stored;
  }

  /** sg storage: the bytes of the site PUT; answers the upload id the completion must carry. */
  putSiteBytes(
    url: URL,
    body: Buffer,
    contentType: string | undefined,
    entity: Link,
    field: string | null,
  ): UploadSession {
    const timestamp = url.searchParams.get('timestamp') ?? '';
    const session = this.session({ timestamp }, entity, field);
    this.putBytes(session.key, null, undefined, body.length ? [body] : [], contentType);
    session.uploadId ??= randomBytes(16)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    return session;
  }

  /**
   * The object a completion would make: checks what arrived (single bytes, or every listed part
   * with its ETag, each but the last ≥ 5 MiB). Changes nothing; `keep` stores it. A failed
   * completion leaves the upload open, as S3 does, so the client must abort it.
   */
  assemble(session: UploadSession, info: Record<string, unknown>): StoredObject {
    let chunks: Buffer[];
    let contentType: string;
    let etag: string | undefined;
    if (session.multipart) {
      const etags = info.etags;
      if (!Array.isArray(etags) || !etags.length || !etags.every((e) => typeof e === 'string')) {
        throw badRequest('upload_info.etags must list the ETag of every part, in part order', 103, {
          source: { upload_info: { etags: ['is required'] } },
        });
      }
      const parts = (etags as string[]).map((etag, i) => {
        const part = session.parts.get(i + 1);
        if (!part || part.etag.replace(/"/g, '') !== etag.replace(/"/g, '')) {
          throw badRequest(`InvalidPart: part ${i + 1} was not uploaded or its ETag does not match`, 103, {
            source: { upload_info: { etags: { [i]: etag } } },
          });
        }
        if (i < etags.length - 1 && part.size < MIN_PART_BYTES) {
          throw badRequest(
            `EntityTooSmall: part ${i + 1} has ${part.size} bytes; every part but the last needs at least ${MIN_PART_BYTES}`,
            103,
            { source: { upload_info: { etags: { [i]: etag } } } },
          );
        }
        return part;
      });
      chunks = parts.flatMap((p) => p.chunks);
      contentType = parts[0].contentType;
      // S3's multipart ETag: the MD5 of the parts' MD5s, and the part count.
      etag = `"${md5(parts.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex'))).toString('hex')}-${parts.length}"`;
    } else {
      if (!session.single)
        throw badRequest('No bytes were uploaded for this upload: PUT them to links.upload first', 103, {
          source: { upload_info: ['no bytes received'] },
        });
      if (this.opts.kind === 'sg' && info.upload_id !== session.uploadId) {
        throw badRequest('upload_info.upload_id must be the upload_id the upload PUT answered', 103, {
          source: { upload_info: { upload_id: info.upload_id ?? null } },
        });
      }
      chunks = session.single.chunks;
      contentType = session.single.contentType;
    }
    const object: StoredObject = {
      chunks,
      size: chunks.reduce((n, c) => n + c.length, 0),
      etag: etag ?? `"${md5(chunks).toString('hex')}"`,
      contentType,
      key: session.key,
      filename: session.filename,
    };
    return object;
  }

  /** Stores a completed upload's object and closes the upload. */
  keep(session: UploadSession, object: StoredObject): void {
    this.objects.set(object.key, object);
    this.sessions.delete(session.timestamp);
  }

  /** Drops an upload and every byte stored for it. */
  abort(session: UploadSession): void {
    this.sessions.delete(session.timestamp);
  }

  /** Uploads with bytes stored (or an S3 multipart upload opened) that were neither completed nor aborted. */
  openUploads(): OpenUpload[] {
    return [...this.sessions.values()]
      .filter((s) => s.multipart || s.single)
      .map((s) => ({
        uploadId: s.uploadId,
        timestamp: s.timestamp,
        entity: { ...s.entity },
        field: s.field,
        filename: s.filename,
        multipart: s.multipart,
        parts: [...s.parts.keys()].sort((a, b) => a - b),
        bytes: s.single?.size ?? [...s.parts.values()].reduce((n, p) => n + p.size, 0),
      }));
  }

  // ---- stored files -----------------------------------------------------------------------

  /** Files an object under `Type:id:field` for downloads. */
  attach(owner: Link, field: string, key: string): void {
    this.files.set(`${owner.type}:${owner.id}:${field}`, key);
  }

  fileOf(owner: Link, field: string): StoredObject | undefined {
    const key = this.files.get(`${owner.type}:${owner.id}:${field}`);
    return key === undefined ? undefined : this.objects.get(key);
  }

  /** Stored objects (completed uploads), oldest first, without their bytes. */
  list(): Array<{ key: string; filename: string; size: number; contentType: string; etag: string }> {
    return [...this.objects.values()].map((o) => ({
      key: o.key,
      filename: o.filename,
      size: o.size,
      contentType: o.contentType,
      etag: o.etag,
    }));
  }

  /** A signed GET URL of an object: the storage host (s3) or the site's /file_serve (sg). */
  downloadUrl(object: StoredObject): string {
    return this.opts.kind === 's3'
      ? this.signed('GET', this.hostUrl, `/${BUCKET}/${object.key}`, {})
      : this.signed('GET', this.opts.siteUrl(), `/file_serve/${object.key}`, {});
  }

  objectByKey(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  /** Sends an object's bytes, or the window a Range header asks for (206 / 416). */
  serve(object: StoredObject, req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      etag: object.etag,
      'accept-ranges': 'bytes',
      'content-disposition': `attachment; filename="${object.filename.replace(/["\\\r\n]/g, '_')}"`,
    };
    const range = byteRange(req.headers.range, object.size);
    if (range === null) {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${object.size}`, 'content-length': '0' });
      res.end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: object.size - 1 };
    const length = object.size === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${object.size}`;
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': String(length) });
    if (req.method === 'HEAD' || !length) {
      res.end();
      return;
    }
    let offset = 0;
    for (const chunk of object.chunks) {
      const from = Math.max(start - offset, 0),
        to = Math.min(end + 1 - offset, chunk.length);
      if (from < to) res.write(chunk.subarray(from, to));
      offset += chunk.length;
      if (offset > end) break;
    }
    res.end();
  }
}
