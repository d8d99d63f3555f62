import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes chunks to `path` so that readers see the old file or the whole new one, never a part:
 * into a temporary name in the same directory (same file system, so the rename is atomic),
 * flushed to disk, then renamed over `path`. On any failure the temporary file is removed and
 * `path` is left as it was. Answers the number of bytes written.
 */
export async function writeAtomically(path: string, chunks: AsyncIterable<Buffer>): Promise<number> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
  const file = await open(temp, 'wx');
  let written = 0;
  try {
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length;) {
        const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
      written += chunk.length;
    }
    await file.sync();
    await file.close();
    await rename(temp, path);
    return written;
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}
