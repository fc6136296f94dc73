/** Content bytes as lines with exact offsets, and gzip content from an offset on: shared by every reader of NDJSON/CSV bytes. */
import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';

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
