import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { messageOf } from '../../util/errors';
import { ByteSourceError, type ByteSource } from '../client/byte-source';
import { FileInputError } from './file-input-error';

/** The bytes of an upload: a file read from disk part by part, or a Buffer from a message. */
export interface UploadSource {
  readonly length: number;
  /** Bytes `start` (inclusive) to `end` (exclusive), read afresh for every attempt. */
  slice(start: number, end: number): ByteSource;
}

/** A file on disk, never loaded whole: each slice streams its own window of the file. */
export async function fileSource(path: string): Promise<UploadSource> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new FileInputError(`${path} is not a file`);
    size = info.size;
  } catch (err) {
    if (err instanceof FileInputError) throw err;
    throw new FileInputError(`Could not read the file to upload: ${messageOf(err)}`);
  }
  return {
    length: size,
    slice: (start, end) => ({
      length: end - start,
      open: () => Readable.from(readWindow(path, start, end), { objectMode: false }),
    }),
  };
}

async function* readWindow(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  if (end <= start) return;
  let read = 0;
  try {
    for await (const chunk of createReadStream(path, { start, end: end - 1 })) {
      read += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (err) {
    throw new ByteSourceError(`Could not read the file to upload: ${messageOf(err)}`);
  }
  if (read !== end - start)
    throw new ByteSourceError(
      `${path} changed while it was uploaded (${end - start} bytes expected from byte ${start}, ${read} read)`,
    );
}

export function bufferSource(bytes: Buffer): UploadSource {
  return {
    length: bytes.length,
    slice: (start, end) => ({
      length: end - start,
      open: () => Readable.from([bytes.subarray(start, end)], { objectMode: false }),
    }),
  };
}

/** The same bytes, reporting every chunk as it is read (progress); `onOpen` marks a fresh attempt. */
export function counted(source: ByteSource, onOpen: () => void, onChunk: (bytes: number) => void): ByteSource {
  return {
    length: source.length,
    open: () => {
      onOpen();
      const inner = source.open();
      return Readable.from(
        (async function* () {
          for await (const chunk of inner) {
            onChunk((chunk as Buffer).length);
            yield chunk as Buffer;
          }
        })(),
        { objectMode: false },
      );
    },
  };
}
