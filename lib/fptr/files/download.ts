import type { Readable } from 'node:stream';
import { messageOf } from '../../util/errors';
import { FptrError } from '../client/fptr-error';
import { FileInputError } from './file-input-error';
import { VARIANTS, type Variant } from './transfer-settings';
import { writeAtomically } from './atomic-file';
import { fieldPath } from './upload';
import { type FileTransport } from './transport';

/**
 * Downloads the file a field holds (docs/fptr-api.md §2.12): FPTR answers a redirect to a signed URL,
 * which is followed without the site's credentials — also when it points at the site itself.
 */

export interface DownloadOptions {
  entityType: string;
  entityId: number;
  field: string;
  variant: Variant;
  /** Bytes received so far, and the size when the storage says it. */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
}

export interface Downloaded {
  /** Content-Type of the stored file, when the storage says it. */
  contentType: string | undefined;
  size: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Into memory, refusing files larger than `maxBytes` before reading them when the size is known. */
export async function downloadToBuffer(
  t: FileTransport,
  opts: DownloadOptions,
  maxBytes: number,
): Promise<Downloaded & { bytes: Buffer }> {
  const file = await openDownload(t, opts);
  const tooLarge = (): FileInputError =>
    new FileInputError(
      `The file is larger than ${Math.floor(maxBytes / (1024 * 1024))} MB, too large to hold in a message; download it to a file instead`,
    );
  if (file.length !== undefined && file.length > maxBytes) {
    discard(file.body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of received(file, opts)) {
    size += chunk.length;
    if (size > maxBytes) {
      discard(file.body);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks, size), contentType: file.contentType, size };
}

/** To `path`, atomically: a failed download leaves no partial file and an existing file untouched. */
export async function downloadToFile(
  t: FileTransport,
  opts: DownloadOptions,
  path: string,
): Promise<Downloaded & { path: string }> {
  if (typeof path !== 'string' || path.trim() === '')
    throw new FileInputError('The file path to download to is missing');
  const file = await openDownload(t, opts);
  let size: number;
  try {
    size = await writeAtomically(path, received(file, opts));
  } catch (err) {
    discard(file.body);
    if (err instanceof FptrError) throw err;
    throw new FileInputError(`Could not write the download to ${path}: ${messageOf(err)}`);
  }
  return { path, contentType: file.contentType, size };
}

/** Closes an unread body: undici reports an unread body's end as an error, which nobody waits for here. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

interface OpenFile {
  body: Readable;
  length: number | undefined;
  contentType: string | undefined;
  /** `GET origin/path` for messages (never the signed query). */
  request: string;
}

async function openDownload(t: FileTransport, opts: DownloadOptions): Promise<OpenFile> {
  if (!VARIANTS.includes(opts.variant)) {
    throw new FileInputError(`The variant must be original or thumbnail, got ${String(opts.variant)}`);
  }
  const path = `${fieldPath(opts.entityType, opts.entityId, opts.field)}?alt=${opts.variant}`;
  const answer = await t.siteRequest({
    method: 'GET',
    path,
    idempotent: true,
    redirects: 'answer',
    signal: opts.signal,
  });
  const location = answer.headers.location;
  if (!REDIRECTS.has(answer.status) || typeof location !== 'string' || location === '') {
    throw new FptrError(
      `FPTR answered the download of ${opts.entityType} ${opts.entityId} ${opts.field} with ${answer.status} instead of a redirect to the file`,
      { kind: 'http', status: answer.status },
    );
  }
  const url = new URL(location, t.siteUrl);
  const res = await t.requestUrl({ method: 'GET', url: url.toString(), signal: opts.signal });
  const declared = Number(res.headers['content-length']);
  const type = res.headers['content-type'];
  return {
    body: res.body,
    length: Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined,
    contentType: typeof type === 'string' ? type : undefined,
    request: `GET ${url.origin}${url.pathname}`,
  };
}

/** The body's chunks, failing when fewer bytes arrive than the storage announced. */
async function* received(file: OpenFile, opts: DownloadOptions): AsyncGenerator<Buffer> {
  let size = 0;
  try {
    for await (const chunk of file.body) {
      size += (chunk as Buffer).length;
      opts.onProgress?.(size, file.length);
      yield chunk as Buffer;
    }
  } catch (err) {
    throw new FptrError(`The download from ${file.request} broke off after ${size} bytes (${messageOf(err)})`, {
      kind: 'network',
      request: file.request,
    });
  }
  if (file.length !== undefined && size !== file.length) {
    throw new FptrError(`The download from ${file.request} ended after ${size} of ${file.length} bytes`, {
      kind: 'network',
      request: file.request,
    });
  }
}
