import type { Batch, PluginContext, ReaderFactory, ReaderSession, Shard, WriterFactory, WriterSession } from '../../src/sdk';
import { writeBatchOf } from '../../src/sdk';

/** Counters of one driven copy. */
export interface DriveResult {
  shards: Shard[];
  read: number;
  written: number;
  bytes: number;
  /** How many sessions were opened (the runner opens one per worker thread). */
  sessions: number;
}

/** Options of {@link drive}. */
export interface DriveOptions {
  /** Simulated worker threads: each opens one reader and one writer session. Default is 2. */
  threads?: number;
  /** Shards in flight at once over all threads. Default: `params.worker_num`. */
  concurrency?: number;
  /** Called after every batch was written (e.g. to change the source mid-run). */
  onBatch?: (batch: Batch, shard: Shard) => Promise<void> | void;
}

/**
 * A simplified copy of the runtime's read/write loop, for tests that deliberately call the redis
 * plugin's API directly (test/integration/redis-plugin.test.ts, redis-cluster.test.ts). It is not
 * the runtime: no pool, no positions, no kind bridge. The conformance suite runs the real runtime
 * (the built CLI) instead and must not use this.
 *
 * Drive a reader and a writer the way the runner does, in one process: validate, prepare and
 * plan on the "main thread", then a few "threads" that each open one reader and one writer
 * session and run several shards concurrently: read batches of `read_batch`, write them in
 * `write_batch` chunks, flush, ack.
 */
export async function drive(
  reader: ReaderFactory,
  readerCtx: PluginContext,
  writer: WriterFactory,
  writerCtx: PluginContext,
  opts: DriveOptions = {},
): Promise<DriveResult> {
  await reader.validate?.(readerCtx);
  const state = (await reader.prepare?.(readerCtx)) ?? {};
  Object.assign(readerCtx.runState, state);
  Object.assign(writerCtx.runState, state);
  const shards = await reader.plan(readerCtx);
  await writer.validate?.(writerCtx);
  await writer.before?.(writerCtx);
  const threads = Math.max(1, opts.threads ?? 2);
  const concurrency = Math.max(1, opts.concurrency ?? readerCtx.params.worker_num);
  const result: DriveResult = { shards, read: 0, written: 0, bytes: 0, sessions: 0 };
  const sessions: { r?: Promise<ReaderSession>; w?: Promise<WriterSession> }[] = Array.from({ length: threads }, () => ({}));
  const queue = [...shards];
  let next = 0;
  const runOne = async (shard: Shard, thread: number) => {
    const s = sessions[thread];
    if (!s.r) {
      s.r = reader.open(readerCtx);
      s.w = writer.open(writerCtx);
      result.sessions++;
    }
    const r = await s.r;
    const w = await s.w!;
    for await (const batch of r.read(shard, { batchSize: readerCtx.params.read_batch, signal: readerCtx.signal })) {
      result.read += batch.records.length;
      result.bytes += batch.bytes;
      const size = writeBatchOf(writerCtx.params, writer);
      for (let i = 0; i < batch.records.length; i += size) {
        const records = batch.records.length <= size ? batch.records : batch.records.slice(i, i + size);
        const n = await w.write({ kind: batch.kind, records, bytes: 0, columns: batch.columns }, shard);
        result.written += n;
      }
      await w.flush(shard);
      await r.ack?.(batch);
      await opts.onBatch?.(batch, shard);
    }
    await w.flush(shard);
    await w.end?.(shard);
  };
  const lanes = Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, async (_, lane) => {
    while (next < queue.length) {
      const shard = queue[next++];
      await runOne(shard, lane % threads);
    }
  });
  try {
    await Promise.all(lanes);
  } finally {
    for (const s of sessions) {
      if (s.r) await (await s.r.catch(() => undefined))?.close();
      if (s.w) await (await s.w.catch(() => undefined))?.close();
    }
  }
  await writer.after?.(writerCtx);
  return result;
}
