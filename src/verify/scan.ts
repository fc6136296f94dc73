import type { Batch, Plugin, PluginContext, ReaderSession, Shard } from '../sdk';
import { ReadError } from '../errors';
import type { BatchConverter } from '../records/bridge';
import { filterEntries } from '../runtime/entry-filter';

/** Options of {@link scanStore}. */
export interface ScanOptions {
  /** Shards read at once, each on its own reader session. */
  concurrency: number;
  signal: AbortSignal;
  /** Maps each batch as a run would (record kinds); undefined = as read. */
  convert?: BatchConverter;
  /** Where, for messages: `source mysql blog.posts`. */
  where: string;
}

/**
 * Read every record of a store through its reader plugin: plan the shards, read each one (at most
 * `concurrency` at once), drop entries whose expiry passed and map the batch as a run would.
 * `onBatch` is awaited per batch; the original batch kind is passed along with the mapped one.
 * Never writes anything.
 * @throws ReadError naming `opts.where` and the shard when a read fails
 */
export async function scanStore(plugin: Plugin, ctx: PluginContext, opts: ScanOptions, onBatch: (batch: Batch, readKind: Batch['kind']) => Promise<void> | void): Promise<void> {
  const reader = plugin.reader!;
  const shards = await reader.plan(ctx);
  let next = 0;
  const lane = async (): Promise<void> => {
    let session: ReaderSession | undefined;
    try {
      while (next < shards.length) {
        const shard: Shard = shards[next++];
        session ??= await reader.open(ctx);
        try {
          for await (const read of session.read(shard, { batchSize: ctx.params.read_batch, signal: opts.signal })) {
            if (opts.signal.aborted) throw opts.signal.reason ?? new Error('verify interrupted');
            const now = Date.now();
            let batch = filterEntries(read, undefined, now).batch;
            if (opts.convert) batch = filterEntries(opts.convert(batch).batch, undefined, now).batch;
            await onBatch(batch, read.kind ?? 'row');
          }
        } catch (err) {
          if (err instanceof ReadError || opts.signal.aborted) throw err;
          throw new ReadError(`verify: reading the ${opts.where}, shard ${shard.id}: ${(err as Error).message}`, { cause: err });
        }
      }
    } finally {
      await session?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, shards.length)) }, lane));
}
