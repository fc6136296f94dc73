import fs from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Bytes read from a file per chunk. */
const chunkBytes = 256 * 1024;

/**
 * The content of a file from byte `start` on, as a stream of chunks: a plain file is opened at
 * `start`; a gzipped one is decompressed from its beginning (concatenated gzip members included)
 * and its first `start` content bytes are dropped. Stops reading when the consumer stops.
 */
export async function* contentFrom(file: string, gzip: boolean, start: number): AsyncGenerator<Buffer> {
  if (!gzip) {
    yield* fs.createReadStream(file, { start, highWaterMark: chunkBytes }) as AsyncIterable<Buffer>;
    return;
  }
  yield* gunzipFrom(fs.createReadStream(file, { highWaterMark: chunkBytes }), start);
}

/**
 * The decompressed content of a gzip stream (concatenated members included) from content byte
 * `start` on: everything before is decompressed and dropped. Destroys `raw` when the consumer stops.
 */
export async function* gunzipFrom(raw: Readable, start: number): AsyncGenerator<Buffer> {
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  pipeline(raw, gunzip, () => undefined);
  let skip = start;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  } finally {
    raw.destroy();
    gunzip.destroy();
  }
}

/** One line of a file (without its `\n`) and the content offset just after it. */
export interface Line {
  bytes: Buffer;
  end: number;
}

/** Split content chunks into lines at `\n` bytes, tracking exact byte offsets from `start`. */
export async function* linesOf(chunks: AsyncIterable<Buffer>, start: number): AsyncGenerator<Line> {
  let carry: Buffer | undefined;
  let base = start;
  for await (const chunk of chunks) {
    const buf = carry?.length ? Buffer.concat([carry, chunk]) : chunk;
    let i = 0;
    for (let j = buf.indexOf(0x0a, i); j >= 0; j = buf.indexOf(0x0a, i)) {
      yield { bytes: buf.subarray(i, j), end: base + j + 1 };
      i = j + 1;
    }
    carry = buf.subarray(i);
    base += i;
  }
  if (carry?.length) yield { bytes: carry, end: base + carry.length };
}
