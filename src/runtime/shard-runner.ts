import type { Batch, ReaderSession, Shard, WriterSession } from '../contract';
import { CancelledError, GoshiftError, ReadError, WriteError } from '../errors';

/** Counters of one shard, reported per batch and returned at the end. */
export interface ShardCounters {
  rowsRead: number;
  rowsWritten: number;
  /** Records of batches whose write failed. */
  rowsFailed: number;
  bytes: number;
}

/**
 * Copy one shard: stream batches from the reader, write them in `writeBatch` chunks, acknowledge
 * each batch to the reader after the writer flushed (at-least-once sources), report deltas.
 */
export async function runShard(
  reader: ReaderSession,
  writer: WriterSession,
  shard: Shard,
  opts: { readBatch: number; writeBatch: number; signal: AbortSignal; where: string },
  report: (delta: ShardCounters) => void,
): Promise<ShardCounters> {
  const total: ShardCounters = { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0 };
  const batches = reader.read(shard, { batchSize: opts.readBatch, signal: opts.signal })[Symbol.asyncIterator]();
  for (;;) {
    if (opts.signal.aborted) throw new CancelledError(`${opts.where}: cancelled`);
    let next: IteratorResult<Batch>;
    try {
      next = await batches.next();
    } catch (err) {
      throw wrap(err, ReadError, `${opts.where}: read failed`);
    }
    if (next.done) break;
    const batch = next.value;
    let written = 0;
    try {
      for (const chunk of chunks(batch, opts.writeBatch)) written += await writer.write(chunk);
      if (reader.ack) {
        await writer.flush();
        await reader.ack(batch);
      }
    } catch (err) {
      report({ rowsRead: batch.records.length, rowsWritten: written, rowsFailed: batch.records.length - written, bytes: batch.bytes });
      throw wrap(err, WriteError, `${opts.where}: write failed`);
    }
    const delta = { rowsRead: batch.records.length, rowsWritten: written, rowsFailed: 0, bytes: batch.bytes };
    total.rowsRead += delta.rowsRead;
    total.rowsWritten += delta.rowsWritten;
    total.bytes += delta.bytes;
    report(delta);
  }
  try {
    await writer.flush();
  } catch (err) {
    throw wrap(err, WriteError, `${opts.where}: write failed`);
  }
  return total;
}

/** Cut a batch into write-sized chunks without copying when it already fits. */
function* chunks(batch: Batch, size: number): Generator<Batch> {
  const n = batch.records.length;
  if (n <= size) {
    if (n > 0) yield batch;
    return;
  }
  for (let i = 0; i < n; i += size) {
    const records = batch.records.slice(i, i + size);
    yield { records, bytes: Math.round((batch.bytes * records.length) / n), columns: batch.columns };
  }
}

function wrap(err: unknown, Cls: typeof ReadError | typeof WriteError, prefix: string): GoshiftError {
  if (err instanceof GoshiftError) return err;
  return new Cls(`${prefix}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
