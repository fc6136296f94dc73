/**
 * An RDB file as a source of `entry` batches (the file and s3 plugins, `params.format: "rdb"`):
 * values decoded into the store-neutral entries of the SCAN reader, so every target takes them.
 * A batch's position is the number of keys read so far; a resume parses the file again from its
 * start and skips that many keys (an RDB has no index to seek to).
 */
import type { Logger } from 'winston';
import type { Batch } from '../batch';
import type { JsonValue } from '../shard';
import type { SyncRecord } from '../records';
import { keyText, parseRdb } from './parse';

/** Position of an RDB shard: keys (entries and module keys) read so far. */
export interface RdbPosition {
  keys: number;
}

/** Options of {@link rdbBatches}. */
export interface RdbBatchOptions {
  batchSize: number;
  signal: AbortSignal;
  /** Continue after this position (an {@link RdbPosition}). Default: the start. */
  from?: JsonValue;
  /** Only keys of this db. Default: keys of every db. */
  db?: number | null;
  /** Where module keys are reported as skipped. */
  logger: Logger;
  /** The file as messages name it (`dump.rdb`, `s3://bucket/key`). */
  where: string;
}

/** Entry batches of the RDB stream `chunks`. */
export async function* rdbBatches(chunks: AsyncIterable<Buffer>, opts: RdbBatchOptions): AsyncGenerator<Batch> {
  const skip = (opts.from as RdbPosition | undefined)?.keys ?? 0;
  let seen = 0;
  let records: SyncRecord[] = [];
  let bytes = 0;
  let modules = 0;
  for await (const item of parseRdb(chunks, { signal: opts.signal })) {
    if (item.kind !== 'entry' && item.kind !== 'module') continue;
    seen++;
    if (seen <= skip) continue;
    if (opts.db !== undefined && opts.db !== null && item.db !== opts.db) continue;
    if (item.kind === 'module') {
      if (modules++ < 10) opts.logger.warn(`${opts.where}: key ${keyText(item.key)} has module type ${item.moduleId}, which has no portable form; skipped`);
      continue;
    }
    records.push(item.entry as unknown as SyncRecord);
    bytes += item.entry.key.length + item.dump.length;
    if (records.length >= opts.batchSize) {
      yield { kind: 'entry', records, bytes, position: { keys: seen } };
      records = [];
      bytes = 0;
    }
  }
  if (records.length > 0 || seen > skip) yield { kind: 'entry', records, bytes, position: { keys: seen } };
  if (modules > 10) opts.logger.warn(`${opts.where}: ${modules} module keys skipped in all`);
}
