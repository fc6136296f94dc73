import type { Batch, JsonValue, ReaderSession, RecordKind, Shard, SyncRecord, WriterSession } from '../sdk';
import { CancelledError, DirtyLimitError, GoshiftError, ReadError, RejectedError, WriteError } from '../errors';
import type { BatchConverter } from '../records/bridge';
import { addCounters, Counters } from '../meta/counters';
import { filterEntries } from './entry-filter';

/** Counters of one shard, reported per batch and returned at the end. */
export interface ShardCounters extends Counters {
  /** Progress deltas only: ms from the batch's newest source change ({@link Batch.changedAt}) until it was written. */
  lagMs?: number;
}

/** One record the target refused (see {@link RejectedError}), skipped under a dirty-record budget. */
export interface DirtyRecord {
  /** The record's key (the `pk.src` values), or null when the task names no key. */
  key: JsonValue;
  /** The target's own words. */
  reason: string;
  record: SyncRecord;
}

/** A dirty-record budget (`params.error_limit`): isolate refused records instead of failing. */
export interface DirtyBudget {
  /** Most dirty records the run may skip (> 0; Infinity when only a percent is set). */
  limit: number;
  /** The key of a record of `kind`, for the reject store. */
  keyOf(record: SyncRecord, kind: RecordKind): JsonValue;
  /**
   * Store dirty records as they are found (before any limit check). Awaited: the shard goes on,
   * and can save the position of their batch, only once they are stored.
   */
  store(found: DirtyRecord[]): Promise<void>;
  /** Message when this shard alone found more than `limit`. */
  exceeded(count: number): string;
}

/**
 * A durable point of a shard: everything read up to `position` is in the target. Its counters are
 * this attempt's up to that point (dirty records skipped before it are not read again after it).
 */
export interface DurablePoint extends Pick<Counters, 'rowsRead' | 'rowsWritten' | 'bytes' | 'rowsDirty'> {
  /** The last durable batch's position; null when the shard has none yet (or its reader gives none). */
  position: JsonValue | null;
  /** The whole shard is in the target. */
  done: boolean;
}

/** Options of {@link runShard}. */
export interface ShardRunOptions {
  /** Records per read. */
  readBatch: number;
  /** Records per write call. */
  writeBatch: number;
  /** Fires on cancel (or stop, for an unbounded shard). */
  signal: AbortSignal;
  /** Where, for messages: `task 5 shard pk-3`. */
  where: string;
  /** Continue strictly after this durable position (resume or retry). Default: the start. */
  from?: JsonValue;
  /**
   * The first batch may already be in the target (the attempt before was cut off after writing it
   * but before saving its position): it is marked `replayed` for the writer.
   */
  replayFirst: boolean;
  /** Flush and save a position at most this often, in ms (`params.checkpoint_seconds`). 0 = after every batch. */
  checkpointMs: number;
  /** Save a durable point (after the writer flushed). Awaited: the copy goes on only once it is saved. */
  save(point: DurablePoint): Promise<void>;
  /** Turn a read batch into what the writer takes (record kinds), or undefined when they match. */
  convert?: BatchConverter;
  /** Wait for the run's rate limit to let a batch of this many rows and bytes through. */
  throttle?: (rows: number, bytes: number) => Promise<void>;
  /** `--key`: write only entries with one of these keys (UTF-8 text). Default: every record. */
  keys?: Set<string>;
  /** `--key`: filled with the named keys handed to the writer. */
  keysWritten?: Set<string>;
  /** A dirty-record budget (`params.error_limit`); undefined = a refused batch fails the shard (the default). */
  dirty?: DirtyBudget;
  /** Apply a change feed's deletes ({@link Batch.deletes}) to the target; false drops them. Default true. */
  propagateDeletes?: boolean;
  /**
   * Ask the reader for the next batch while the previous one is written (one batch ahead). Only
   * for copies: a change feed's no-stale-write guarantee and an acknowledging reader's claims rely
   * on reading only after the previous write, so it is ignored for unbounded shards and for readers
   * with `ack`. Default false.
   */
  readAhead?: boolean;
}

/**
 * Copy one shard: stream batches from the reader (after `from`), write them in `writeBatch` chunks,
 * and every `checkpointMs` flush the writer and save the latest position (the Airbyte rule: a
 * position only after its data is durable). Acknowledges each batch to an at-least-once reader
 * after the writer flushed it. A cancelled bounded shard saves its position and throws
 * CancelledError; a stopped unbounded shard saves its position and returns.
 */
export async function runShard(
  reader: ReaderSession,
  writer: WriterSession,
  shard: Shard,
  opts: ShardRunOptions,
  report: (delta: ShardCounters) => void,
): Promise<ShardCounters> {
  const total: ShardCounters = { rowsRead: 0, rowsWritten: 0, rowsFailed: 0, bytes: 0, rowsExpired: 0, rowsDirty: 0, rowsDeleted: 0 };
  let durable: DurablePoint = { position: opts.from ?? null, rowsRead: 0, rowsWritten: 0, bytes: 0, done: false };
  let pending: JsonValue | undefined;
  let lastSave = Date.now();
  let first = true;
  const checkpoint = async (): Promise<void> => {
    if (pending === undefined) return;
    try {
      await writer.flush(shard);
    } catch (err) {
      throw wrap(err, WriteError, `${opts.where}: write failed`);
    }
    durable = { position: pending, rowsRead: total.rowsRead, rowsWritten: total.rowsWritten, bytes: total.bytes, rowsDirty: total.rowsDirty, done: false };
    pending = undefined;
    lastSave = Date.now();
    await opts.save(durable);
  };
  // Stopped: keep what is durable. A reader may end its stream early when the signal fires, so a
  // stream that ends after the signal is never taken for a finished shard.
  const stop = async (): Promise<ShardCounters> => {
    await checkpoint();
    if (shard.unbounded) return total;
    throw new CancelledError(`${opts.where}: cancelled`);
  };
  const iterator = reader.read(shard, { batchSize: opts.readBatch, signal: opts.signal, from: opts.from })[Symbol.asyncIterator]();
  const batches = opts.readAhead && !shard.unbounded && !reader.ack ? oneAhead(iterator) : iterator;
  try {
    for (;;) {
      if (opts.signal.aborted) return stop();
      let next: IteratorResult<Batch>;
      try {
        next = await batches.next();
      } catch (err) {
        throw wrap(err, ReadError, `${opts.where}: read failed`);
      }
      if (next.done) break;
      // A native payload is handed on whole, whatever write_batch (the writer takes it as one
      // transaction; the reader bounds its size); anything that looks at single records reads them first.
      const read = next.value.native && (opts.keys || opts.convert)
        ? await withRecords(next.value, opts.where)
        : next.value;
      const recordCount = recordsIn(read);
      if (opts.throttle && recordCount > 0) await opts.throttle(recordCount, read.bytes);
      // Entries are filtered where the batch is entries: as read, or after the row -> entry mapping.
      const now = Date.now();
      const before = filterEntries(read, opts.keys, now);
      const converted = opts.convert ? opts.convert(before.batch) : { batch: before.batch, skipped: 0 };
      const after = converted.batch === before.batch ? { batch: before.batch, expired: 0, kept: [] } : filterEntries(converted.batch, opts.keys, now);
      const expired = before.expired + after.expired;
      const kept = (read.kind ?? 'row') === 'entry' ? before.kept : after.kept;
      const mapped = after.batch;
      const deletes = opts.propagateDeletes === false ? [] : mapped.deletes ?? [];
      const upserts: Batch = mapped.deletes ? { ...mapped, deletes: undefined } : mapped;
      const batch: Batch = first && opts.replayFirst ? { ...upserts, replayed: true } : upserts;
      first = false;
      // A delete read counts as a record read, and as written once the target applied it.
      const readCount = recordCount + (read.deletes?.length ?? 0);
      let written = 0;
      let deleted = 0;
      const dirty: DirtyRecord[] = [];
      try {
        for (const chunk of chunks(batch, opts.writeBatch)) {
          written += opts.dirty ? await writeIsolating(writer, chunk, shard, opts.dirty, dirty) : await writer.write(chunk, shard);
        }
        if (deletes.length) {
          if (!writer.delete) throw new WriteError(`${opts.where}: the target cannot delete records; set params.propagate_deletes to false to keep deleted records there`);
          for (const chunk of chunks({ kind: batch.kind, records: deletes, bytes: 0 }, opts.writeBatch)) deleted += await writer.delete(chunk, shard);
        }
        // Deletes the task keeps (propagate_deletes false) are handled: counted as written.
        written += deleted + ((read.deletes?.length ?? 0) - deletes.length);
        if (dirty.length && total.rowsDirty! + dirty.length > opts.dirty!.limit) {
          throw new DirtyLimitError(opts.dirty!.exceeded(total.rowsDirty! + dirty.length));
        }
        if (reader.ack) {
          await writer.flush(shard);
          await reader.ack(read);
        }
      } catch (err) {
        report({ rowsRead: readCount, rowsWritten: written, rowsFailed: readCount - written, bytes: read.bytes, rowsDirty: dirty.length });
        addCounters(total, { rowsRead: readCount, rowsWritten: written, rowsFailed: readCount - written, rowsDirty: dirty.length });
        throw wrap(err, WriteError, `${opts.where}: write failed`);
      }
      // Records another shard also reads are counted there (see Batch.recounted).
      const recounted = Math.min(read.recounted ?? 0, written);
      const delta: ShardCounters = {
        rowsRead: readCount - recounted, rowsWritten: written - recounted, rowsFailed: converted.skipped + dirty.length, bytes: read.bytes,
        rowsExpired: expired, rowsDirty: dirty.length, rowsDeleted: deleted,
        ...(read.changedAt !== undefined ? { lagMs: Math.max(0, Date.now() - read.changedAt) } : {}),
      };
      addCounters(total, delta);
      for (const k of kept) opts.keysWritten?.add(k);
      report(delta);
      if (read.position !== undefined) pending = read.position;
      if (Date.now() - lastSave >= opts.checkpointMs) await checkpoint();
    }
  } finally {
    // Leaving early (a failure, a cancel) lets the reader release what it holds (a connection, a
    // paused result stream) before a retry opens another; not awaited: a read still in flight ends first.
    closeQuietly(batches);
  }
  if (opts.signal.aborted) return stop();
  try {
    await writer.flush(shard);
    await writer.end?.(shard);
  } catch (err) {
    throw wrap(err, WriteError, `${opts.where}: write failed`);
  }
  await opts.save({ position: pending ?? durable.position, rowsRead: total.rowsRead, rowsWritten: total.rowsWritten, bytes: total.bytes, rowsDirty: total.rowsDirty, done: true });
  return total;
}

/**
 * Write a chunk; when the target refuses it for its data ({@link RejectedError}: nothing of it was
 * written), write each half in its own call, down to single records, which are the dirty ones.
 * Every good record is written exactly once: a refused call wrote nothing.
 * @returns records written; the refused ones are appended to `dirty` (and stored)
 */
async function writeIsolating(writer: WriterSession, batch: Batch, shard: Shard, budget: DirtyBudget, dirty: DirtyRecord[]): Promise<number> {
  try {
    return await writer.write(batch, shard);
  } catch (err) {
    if (!(err instanceof RejectedError)) throw err;
    if (batch.native) return writeIsolating(writer, await withRecords(batch, `shard ${shard.id}`), shard, budget, dirty);
    const n = batch.records.length;
    if (n === 1) {
      const found = { key: budget.keyOf(batch.records[0], batch.kind ?? 'row'), reason: err.reason, record: batch.records[0] };
      dirty.push(found);
      await budget.store([found]);
      return 0;
    }
    const half = Math.ceil(n / 2);
    const part = (records: SyncRecord[]): Batch => ({ ...batch, records, bytes: Math.round((batch.bytes * records.length) / n) });
    return (await writeIsolating(writer, part(batch.records.slice(0, half)), shard, budget, dirty))
      + (await writeIsolating(writer, part(batch.records.slice(half)), shard, budget, dirty));
  }
}

/**
 * An iterator that asks `source` for its next batch as soon as it hands one out, so the read of
 * batch n+1 overlaps the write of batch n. A failed read surfaces at the `next()` that wanted it.
 */
export function oneAhead<T>(source: AsyncIterator<T>): AsyncIterator<T> {
  let ahead: Promise<IteratorResult<T>> | undefined;
  const fetch = (): Promise<IteratorResult<T>> => {
    const p = source.next();
    // Rejections are seen by the next caller of next(); none is left unhandled meanwhile.
    p.catch(() => undefined);
    return p;
  };
  return {
    async next(): Promise<IteratorResult<T>> {
      const current = await (ahead ?? fetch());
      ahead = current.done ? undefined : fetch();
      return current;
    },
    /** Finish the source once the read fetched ahead (if any) has settled. */
    async return(value?: unknown): Promise<IteratorResult<T>> {
      const pending = ahead;
      ahead = undefined;
      await pending?.catch(() => undefined);
      return source.return ? source.return(value) : { done: true, value: value as T };
    },
  };
}

/** Ask an iterator to finish (run its generator's `finally`), ignoring how that ends. */
function closeQuietly(iterator: AsyncIterator<unknown>): void {
  void iterator.return?.().catch(() => undefined);
}

/** Records a batch holds: its native payload's count, else its records. */
export function recordsIn(batch: Batch): number {
  return batch.native ? batch.native.count : batch.records.length;
}

/** The batch with its native payload read as ordinary records (see `NativeBatch` in the contract). */
async function withRecords(batch: Batch, where: string): Promise<Batch> {
  let records: SyncRecord[];
  try {
    records = await batch.native!.records();
  } catch (err) {
    throw wrap(err, ReadError, `${where}: read failed`);
  }
  return { ...batch, native: undefined, records };
}

/**
 * Cut a batch into write-sized chunks without copying when it already fits. A native payload
 * ({@link Batch.native}) is never cut: the runtime reads its records first when it is too big.
 */
export function* chunks(batch: Batch, size: number): Generator<Batch> {
  // 0 would loop forever: `params.write_batch` 0 means "the writer's default" (see writeBatchOf).
  if (!(size >= 1)) throw new Error(`write chunk size must be at least 1, got ${size}`);
  if (batch.native) {
    if (batch.native.count > 0) yield batch;
    return;
  }
  const n = batch.records.length;
  if (n <= size) {
    if (n > 0) yield batch;
    return;
  }
  for (let i = 0; i < n; i += size) {
    const records = batch.records.slice(i, i + size);
    yield { ...batch, records, bytes: Math.round((batch.bytes * records.length) / n) };
  }
}

function wrap(err: unknown, Cls: typeof ReadError | typeof WriteError, prefix: string): GoshiftError {
  if (err instanceof GoshiftError) return err;
  return new Cls(`${prefix}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
