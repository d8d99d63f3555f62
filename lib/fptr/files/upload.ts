import { messageOf } from '../../util/errors';
import type { ByteSource } from '../client/byte-source';
import { FptrError } from '../client/fptr-error';
import { contentTypeFor } from './content-type';
import { counted, type UploadSource } from './sources';
import type { SiteAnswer } from '../client/api';
import { FileInputError } from './file-input-error';
import { MAX_PART_MB, MB, MIN_PART_MB } from './transfer-settings';
import { sitePathOf, type FileTransport } from './transport';

/**
 * Uploads a file into a file field (docs/fptr-api.md §2.12): start → PUT the bytes → complete, then
 * read the field back. `sg` storage takes the bytes on the site (with the token, through the
 * site's own requests); `s3` takes them on pre-signed URLs, used as given, without it. Above a
 * threshold the bytes go in parts, a few at a time, each retried on its own; a failed upload is
 * aborted so nothing is left open on the storage.
 */

const MIN_PART_BYTES = MIN_PART_MB * MB;
const MAX_PART_BYTES = MAX_PART_MB * MB;
/** FPTR requires multipart above this size (docs/fptr-api.md §2.12). */
const MULTIPART_REQUIRED_ABOVE = 500 * MB;
const MAX_PARTS = 10_000;
const DEFAULT_CONCURRENCY = 3;

export interface UploadOptions {
  entityType: string;
  entityId: number;
  /** A file field, e.g. `sg_uploaded_movie`, or `image` for the thumbnail. */
  field: string;
  source: UploadSource;
  /** The name FPTR keeps for the file. */
  filename: string;
  displayName?: string;
  /** Multipart for sources larger than this (and always above 500 MB, as FPTR requires). */
  multipartAboveBytes: number;
  /** At least 5 MB; raised when the file would need more than 10 000 parts. */
  partSizeBytes: number;
  /** Parts in flight at once; default 3. */
  concurrency?: number;
  /** Bytes sent so far (parts being retried count from their start again). */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface UploadResult {
  /** The field as FPTR returns it after the upload: the Attachment, or a URL for `image`. */
  value: unknown;
  storage: 'sg' | 's3';
  /** 1 for a single PUT. */
  parts: number;
  /** Bytes sent. */
  size: number;
}

interface Started {
  data: Record<string, unknown>;
  storage: 'sg' | 's3';
  multipart: boolean;
  upload: string;
  /** Site path of `links.complete_upload`. */
  complete: string;
  next: string | undefined;
}

export async function uploadFile(t: FileTransport, opts: UploadOptions): Promise<UploadResult> {
  const target = fieldPath(opts.entityType, opts.entityId, opts.field);
  const filename = checkFilename(opts.filename);
  const size = opts.source.length;
  const partSize = partSizeFor(opts.partSizeBytes, size);
  const wantParts =
    size > Math.min(checkThreshold(opts.multipartAboveBytes), MULTIPART_REQUIRED_ABOVE) && size > partSize;
  // Not cancelled once sent: the start may open an S3 multipart upload that only its answer
  // names, so a stop waits for that answer and aborts the upload it names.
  const started = await start(t, target, filename, wantParts);
  const progress = new Progress(size, opts.onProgress);
  const uploadData = opts.displayName ? { display_name: opts.displayName } : {};
  let uploadInfo: Record<string, unknown> = started.data;
  let bytesStored = false;
  let parts = 1;
  try {
    if (started.multipart) {
      bytesStored = true;
      if (opts.signal?.aborted) throw new FptrError('The upload was cancelled', { kind: 'closed' });
      const etags = await putParts(
        t,
        started,
        opts.source,
        partSize,
        opts.concurrency ?? DEFAULT_CONCURRENCY,
        filename,
        progress,
        opts.signal,
      );
      parts = etags.length;
      uploadInfo = { ...started.data, etags };
    } else {
      const answer = await putSingle(t, started, opts.source, filename, progress, opts.signal);
      bytesStored = true;
      uploadInfo = { ...started.data, ...answer };
    }
    await t.siteRequest({
      method: 'POST',
      path: started.complete,
      json: { upload_info: uploadInfo, upload_data: uploadData },
      idempotent: false,
      signal: opts.signal,
    });
  } catch (err) {
    if (!bytesStored) throw err;
    throw await abortAfter(t, started, { upload_info: uploadInfo, upload_data: uploadData }, err);
  }
  return {
    value: await readField(t, opts.entityType, opts.entityId, opts.field, opts.signal),
    storage: started.storage,
    parts,
    size,
  };
}

async function start(t: FileTransport, target: string, filename: string, multipart: boolean): Promise<Started> {
  const query = `filename=${encodeURIComponent(filename)}`;
  let answer: SiteAnswer;
  try {
    answer = await t.siteRequest({
      method: 'GET',
      path: `${target}/_upload?${query}${multipart ? '&multipart_upload=true' : ''}`,
      idempotent: true,
    });
  } catch (err) {
    // sg storage refuses multipart ("Multi-part is not supported for this upload."): one PUT then.
    if (!multipart || !(err instanceof FptrError) || err.status !== 400) throw err;
    return start(t, target, filename, false);
  }
  const body = objectOf(answer.body, 'the upload start');
  const data = objectOf(body.data, 'the upload start (data)');
  const links = objectOf(body.links, 'the upload start (links)');
  const storage = data.storage_service;
  if (storage !== 'sg' && storage !== 's3') {
    throw unexpected(
      `storage_service ${JSON.stringify(storage)} in the upload start, which this package does not know (expected "sg" or "s3")`,
    );
  }
  const upload = stringOf(links.upload, 'links.upload');
  const complete = sitePathOf(
    stringOf(links.complete_upload, 'links.complete_upload'),
    t.siteUrl,
    'the upload completion link',
  );
  const partwise = multipart && storage === 's3';
  const next = partwise ? stringOf(links.get_next_part, 'links.get_next_part') : undefined;
  return { data, storage, multipart: partwise, upload, complete, next };
}

/** One PUT of every byte: to the site with the token (sg), or to the signed URL without (s3). */
async function putSingle(
  t: FileTransport,
  s: Started,
  source: UploadSource,
  filename: string,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const bytes = progress.track(1, source.slice(0, source.length));
  const contentType = contentTypeFor(filename);
  if (s.storage === 's3') {
    const res = await t.requestUrl({
      method: 'PUT',
      url: s.upload,
      headers: { 'content-type': contentType },
      bytes,
      signal,
    });
    await res.body.dump();
    return {};
  }
  const path = sitePathOf(s.upload, t.siteUrl, 'an sg-storage upload link');
  const answer = await t.siteRequest({ method: 'PUT', path, bytes, contentType, idempotent: true, signal });
  // The completion must carry the upload_id (and original_filename) this PUT answers.
  const data = objectOf(objectOf(answer.body, 'the sg upload').data, 'the sg upload (data)');
  stringOf(data.upload_id, 'upload_id of the sg upload');
  return data;
}

/**
 * The parts, `concurrency` at a time. Each part's signed URL comes from the previous part's
 * `get_next_part` answer, fetched just before the part is sent so it cannot expire waiting. The
 * first part that fails for good stops the others.
 */
async function putParts(
  t: FileTransport,
  s: Started,
  source: UploadSource,
  partSize: number,
  concurrency: number,
  filename: string,
  progress: Progress,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const count = Math.ceil(source.length / partSize);
  const etags: string[] = new Array<string>(count);
  const stop = new AbortController();
  const partSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  let chain: Promise<{ upload: string; next: string | undefined }> = Promise.resolve({
    upload: s.upload,
    next: s.next,
  });
  const urlOf = (part: number): Promise<string> => {
    if (part > 1) chain = chain.then((previous) => nextPartLink(t, previous.next, partSignal));
    return chain.then((links) => links.upload);
  };
  let nextPart = 1;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && nextPart <= count) {
      const part = nextPart++;
      const url = await urlOf(part);
      const bytes = progress.track(part, source.slice((part - 1) * partSize, Math.min(part * partSize, source.length)));
      const res = await t.requestUrl({
        method: 'PUT',
        url,
        headers: { 'content-type': contentTypeFor(filename) },
        bytes,
        signal: partSignal,
      });
      await res.body.dump();
      const etag = res.headers.etag;
      if (typeof etag !== 'string' || etag === '')
        throw unexpected(`an answer without an ETag to part ${part} of the upload`);
      etags[part - 1] = etag;
    }
  };
  const workers = Array.from({ length: Math.min(Math.max(1, concurrency), count) }, () =>
    worker().catch((error: unknown) => {
      failure ??= { error };
      stop.abort();
    }),
  );
  await Promise.all(workers);
  if (failure) throw failure.error;
  return etags;
}

async function nextPartLink(
  t: FileTransport,
  next: string | undefined,
  signal: AbortSignal,
): Promise<{ upload: string; next: string | undefined }> {
  if (next === undefined) throw unexpected('no get_next_part link for the next part of the upload');
  const answer = await t.siteRequest({
    method: 'GET',
    path: sitePathOf(next, t.siteUrl, 'the next-part link'),
    idempotent: true,
    signal,
  });
  const links = objectOf(objectOf(answer.body, 'the next-part answer').links, 'the next-part answer (links)');
  return {
    upload: stringOf(links.upload, 'links.upload of the next part'),
    next: typeof links.get_next_part === 'string' ? links.get_next_part : undefined,
  };
}

/** `POST {complete_upload}/multipart_abort`, then the original failure, saying what became of the upload. */
async function abortAfter(t: FileTransport, s: Started, body: Record<string, unknown>, err: unknown): Promise<unknown> {
  const [path, query] = s.complete.split('?', 2);
  try {
    await t.siteRequest({
      method: 'POST',
      path: `${path}/multipart_abort${query === undefined ? '' : `?${query}`}`,
      json: body,
      idempotent: true,
    });
  } catch (abortErr) {
    return withNote(err, `(aborting the upload failed too: ${messageOf(abortErr)})`);
  }
  return withNote(err, '(the upload was aborted; nothing was kept)');
}

function withNote(err: unknown, note: string): unknown {
  if (err instanceof FptrError) return err.withNote(note);
  // Errors of this package's own making (an unreadable file): the note belongs to their message.
  if (err instanceof Error) err.message = `${err.message} ${note}`;
  return err;
}

async function readField(
  t: FileTransport,
  entityType: string,
  id: number,
  field: string,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const answer = await t.siteRequest({
    method: 'GET',
    path: `${recordPath(entityType, id)}?fields=${encodeURIComponent(field)}`,
    idempotent: true,
    signal,
  });
  const data = objectOf(objectOf(answer.body, 'the record read').data, 'the record read (data)');
  const attributes = data.attributes;
  if (typeof attributes !== 'object' || attributes === null) return null;
  return (attributes as Record<string, unknown>)[field] ?? null;
}

/** Bytes sent per part; a part that is sent again starts from zero again. */
class Progress {
  readonly #sent = new Map<number, number>();
  #total = 0;

  constructor(
    private readonly size: number,
    private readonly report: ((sentBytes: number, totalBytes: number) => void) | undefined,
  ) {}

  track(part: number, source: ByteSource): ByteSource {
    if (!this.report) return source;
    return counted(
      source,
      () => {
        this.#total -= this.#sent.get(part) ?? 0;
        this.#sent.set(part, 0);
      },
      (bytes) => {
        this.#sent.set(part, (this.#sent.get(part) ?? 0) + bytes);
        this.#total += bytes;
        this.report?.(this.#total, this.size);
      },
    );
  }
}

export function recordPath(entityType: string, id: number): string {
  if (typeof entityType !== 'string' || entityType.trim() === '') throw configError('The entity type is missing');
  if (!Number.isInteger(id) || id <= 0)
    throw configError(`The record id must be a positive whole number, got ${String(id)}`);
  return `/entity/${encodeURIComponent(entityType.trim())}/${id}`;
}

export function fieldPath(entityType: string, id: number, field: string): string {
  if (typeof field !== 'string' || field.trim() === '') throw configError('The file field is missing');
  return `${recordPath(entityType, id)}/${encodeURIComponent(field.trim())}`;
}

function checkFilename(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed === '') throw configError('The file name is missing');
  return trimmed;
}

function checkThreshold(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0)
    throw configError(`The multipart threshold must be a number ≥ 0, got ${String(bytes)}`);
  return bytes;
}

/** The part size asked for, raised so the file fits in 10 000 parts. */
function partSizeFor(bytes: number, size: number): number {
  if (!Number.isFinite(bytes) || bytes < MIN_PART_BYTES || bytes > MAX_PART_BYTES) {
    throw configError(
      `The part size must be from ${MIN_PART_MB} MB to ${MAX_PART_MB} MB, got ${Number.isFinite(bytes) ? `${Math.round((bytes / MB) * 100) / 100} MB` : String(bytes)}`,
    );
  }
  return Math.max(Math.floor(bytes), Math.ceil(size / MAX_PARTS));
}

function objectOf(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw unexpected(`${what} without the expected object`);
  return value as Record<string, unknown>;
}

function stringOf(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw unexpected(`no ${what}`);
  return value;
}

function unexpected(what: string): FptrError {
  return new FptrError(`FPTR answered with ${what}`, { kind: 'http' });
}

function configError(message: string): FileInputError {
  return new FileInputError(message);
}
