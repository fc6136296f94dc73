/**
 * Rows out of NDJSON/CSV content and into position-carrying batches: shared by the file reader and
 * the S3 reader's file mode, which differ only in where the bytes come from.
 */
import type { Batch } from '../batch';
import type { ReadOptions } from '../context';
import { ReadError } from '../errors';
import type { SyncRecord } from '../records';
import type { JsonValue } from '../shard';
import { linesOf } from './lines';
import { decodeNdjsonLine } from './ndjson';

/** A decoded row and the content offset just after it. */
export interface RowAt {
  record: SyncRecord;
  end: number;
}

/**
 * Position of a file-like shard: the byte offset in the (decompressed) content just after the
 * batch's last row, and the rows read up to there.
 */
export interface ContentPosition {
  [key: string]: JsonValue;
  offset: number;
  rows: number;
}

/** The rows of NDJSON `content` that starts at content offset `start`; blank lines are skipped. */
export async function* ndjsonRows(content: AsyncIterable<Buffer>, start: number): AsyncGenerator<RowAt> {
  for await (const line of linesOf(content, start)) {
    let record: SyncRecord | undefined;
    try {
      record = decodeNdjsonLine(line.bytes.toString('utf8'));
    } catch (err) {
      throw new Error(`the line ending at byte ${line.end} is not a JSON object: ${(err as Error).message}`);
    }
    if (record) yield { record, end: line.end };
  }
}

/**
 * `rows` in batches of `opts.batchSize`, each with the position after its last row, continuing the
 * count of `from`. A failure that is not already a ReadError becomes `fail(err, rows read so far)`.
 */
export async function* rowBatches(
  rows: AsyncIterable<RowAt>, from: ContentPosition | undefined, opts: ReadOptions, fail: (err: Error, rowsSoFar: number) => ReadError,
): AsyncGenerator<Batch> {
  let count = from?.rows ?? 0;
  let end = from?.offset ?? 0;
  let last = end;
  let batch: SyncRecord[] = [];
  const emit = (): Batch => {
    count += batch.length;
    const out: Batch = { kind: 'row', records: batch, bytes: end - last, position: { offset: end, rows: count } satisfies ContentPosition };
    batch = [];
    last = end;
    return out;
  };
  try {
    for await (const r of rows) {
      batch.push(r.record);
      end = r.end;
      if (batch.length >= opts.batchSize) {
        yield emit();
        if (opts.signal.aborted) return;
      }
    }
  } catch (err) {
    if (err instanceof ReadError) throw err;
    throw fail(err as Error, count + batch.length);
  }
  if (batch.length) yield emit();
}

/** Columns of a batch without a `columns` list: every key, in first-seen order. */
export function columnsOf(batch: Batch): string[] {
  const seen = new Set<string>();
  for (const r of batch.records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}
