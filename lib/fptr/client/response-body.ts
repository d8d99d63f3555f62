import type { Readable } from 'node:stream';

export interface LimitedBody {
  /** At most `limit` bytes of the body. */
  bytes: Buffer;
  /** False when the body was longer than the limit (or said so): the rest was never read. */
  complete: boolean;
}

/**
 * Reads a response body up to `limit` bytes. A longer body (or one whose Content-Length says so)
 * is cut off and the stream destroyed, which closes the connection instead of downloading the
 * rest: a server cannot make the client hold more than `limit` bytes.
 */
export async function readLimited(
  body: Readable,
  limit: number,
  contentLength: string | string[] | undefined,
): Promise<LimitedBody> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy();
    return { bytes: Buffer.alloc(0), complete: false };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (size + bytes.length > limit) {
      chunks.push(bytes.subarray(0, limit - size));
      body.destroy();
      return { bytes: Buffer.concat(chunks, limit), complete: false };
    }
    chunks.push(bytes);
    size += bytes.length;
  }
  return { bytes: Buffer.concat(chunks, size), complete: true };
}
