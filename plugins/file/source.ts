import fs from 'node:fs';
import { gunzipFrom } from '../../src/sdk/formats';

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
