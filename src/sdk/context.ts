/** What the core hands a plugin: its context and the options of one read. */
import type { Logger } from 'winston';
import type { TaskRow } from '../meta/task-row';

export type { TaskRow };
import type { ConnectionConfig, JsonValue } from './shard';
import type { TaskParams } from './task-params';

/** What a plugin is given: the task, its validated params, the connection entry, a logger, a signal. */
export interface PluginContext {
  /** The task row being run. */
  task: TaskRow;
  /** Validated params with defaults applied (see `src/params.ts`). */
  params: TaskParams;
  /** The connection entry this side uses (source for readers, target for writers). */
  connection: ConnectionConfig;
  /**
   * True when the other side declares the same {@link Plugin.nativeFormat} as this plugin: the
   * reader may then emit native payloads and chunked entries ({@link KvEntry.native},
   * {@link KvEntry.chunk}) that only such a writer understands. Plugins never learn which store
   * the other side is. Default is false.
   */
  peerNative: boolean;
  /**
   * True when the writer appends ({@link Plugin.appends}): a record read twice would land twice,
   * so the reader must plan shards that never read a record twice, even at a shard boundary, at
   * the cost of parallelism (Redis: one SCAN segment per server). Default is false.
   */
  readOnce: boolean;
  /** Run mode: `init` (full copy, the default), `incr` (rows changed since the last run) or `stream`. */
  mode: string;
  /**
   * Connections this worker thread may hold per store side: its share of `worker_num` (the threads'
   * shares add up to `worker_num`; a thread may run one shard more at once than its share, and that
   * shard waits for a connection). Size connection pools by this, not by `worker_num`, and hold at
   * most one connection per shard at a time. Default is `params.worker_num` outside the pool.
   */
  shardsPerThread: number;
  /** Shared per-run values computed in the main thread (e.g. an incremental watermark). */
  runState: Record<string, unknown>;
  /**
   * Keys the run copies (`--key`, UTF-8 text), or empty = everything (the default). A reader that
   * can read keys directly (redis) plans just them; for any other source the runtime keeps only the
   * entries with one of these keys (after the row -> entry mapping), so a plugin may ignore it.
   * @example ['user:42', 'user:43']
   */
  keys: string[];
  /** Child logger tagged with task id and side. */
  logger: Logger;
  /** Fires when the run is cancelled: stop between batches. */
  signal: AbortSignal;
}

/** Options for one `read` call. */
export interface ReadOptions {
  /** Records per batch. Default is `params.read_batch` (5000). */
  batchSize: number;
  /** Stop reading when it fires. */
  signal: AbortSignal;
  /** Continue strictly after this position (one a batch of this shard carried). Default: the start. */
  from?: JsonValue;
}
