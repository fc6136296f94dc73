/** The object a plugin default-exports. */
import type { PluginContext } from './context';
import type { DirectCopyFactory } from './direct';
import type { ReaderFactory } from './reader';
import type { RecordKind } from './records';
import type { TaskParams } from './task-params';
import type { ReadBack, VerifyFactory } from './verify';
import type { WriterFactory } from './writer';

/** What every store plugin has: its type, its schemas, the kinds it moves and its two sides. */
export interface PluginBase {
  /** Store type as written in `from_db_type` / `to_db_type`, lower case. */
  type: string;
  /** convict schema of one connection entry; `sensitive: true` marks secrets. */
  connectionSchema: Record<string, unknown>;
  /**
   * Optional convict schema of the params keys this plugin understands (merged with the core keys
   * of `src/params.ts`); unknown keys are rejected, so a typo never passes silently.
   */
  paramsSchema?: Record<string, unknown>;
  /** Record kinds the reader emits (every kind it can, whatever the params). Default is `['row']`. */
  reads?: RecordKind[];
  /**
   * Optional: the kinds the reader emits for one task's params, when they depend on them (S3 emits
   * rows in file mode, objects otherwise). Must be a subset of {@link Plugin.reads}. Default: `reads`.
   *
   * @example readsFor: (params) => (params.format === 'ndjson' || params.format === 'csv' ? ['row'] : ['object'])
   */
  readsFor?(params: TaskParams): RecordKind[];
  /** Record kinds the writer accepts. Default is `['row']`. */
  writes?: RecordKind[];
  /**
   * True when writing a record twice is not harmless: files append it again, an `insert` write
   * mode fails on the duplicate. Readers are then told to read each record once
   * ({@link PluginContext.readOnce}). A function decides by the task's params (s3: file mode only;
   * mysql: `write_mode: insert`). Writers that upsert by key leave it unset. Default is false.
   */
  appends?: boolean | ((params: TaskParams) => boolean);
  /**
   * Whether an error of this store is passing trouble (lost connection, deadlock, a server
   * restarting) that a retry of the shard from its last position can fix. Default: none is.
   */
  isTransient?(err: unknown): boolean;
  /**
   * Optional connection check for `goshift conn test`: connect with `ctx.connection` as the
   * `side` entry, do one harmless read, close, and resolve to a short description of what answered
   * (product, version, address). Rejects with the same one-line error a run would give. Without
   * it, `conn test` says the store type cannot be checked.
   * @example 'MariaDB 10.11.6 at 127.0.0.1:3306, database blog'
   */
  check?(ctx: PluginContext, side: 'from' | 'to'): Promise<string>;
  /** Present when the store can be a source. */
  reader?: ReaderFactory;
  /** Present when the store can be a target. */
  writer?: WriterFactory;
}

/** Optional capability: the reader follows changes (`-mode stream`). */
export interface StreamCapability {
  /**
   * True when the reader follows changes under `-mode stream` (ctx.mode === 'stream'): it plans
   * unbounded shards (a change feed, after a catch-up) that carry {@link Batch.deletes} and
   * {@link Batch.changedAt}. A stream task whose reader does not is refused. Default is false.
   */
  streams?: boolean;
}

/** Optional capability: a store-specific record format shared by this store's reader and writer. */
export interface NativeFormatCapability {
  /**
   * Optional name of a store-specific record format this plugin's reader can emit and writer can
   * take besides the portable kinds (e.g. `redis`: DUMP payloads and chunked big collections).
   * When reader and writer declare the same name, both contexts get `peerNative: true`.
   * Default: none.
   *
   * @example nativeFormat: 'redis'
   */
  nativeFormat?: string;
}

/** Optional capability: compare and repair a task whose source and target are both this store. */
export interface VerifyCapability {
  /** Optional: `goshift verify` for tasks whose source and target are both this store. Default: none. */
  verify?: VerifyFactory;
  /** Optional: how verify reads a target of this store back across stores (see {@link ReadBack}). Default: the target's table as it is, no filter to reset, no rewrite. */
  readBack?: ReadBack;
}

/** Optional capability: copy shards inside the store. */
export interface DirectCopyCapability {
  /** Present when the store can copy inside itself (see {@link DirectCopyFactory}). */
  direct?: DirectCopyFactory;
}

/**
 * A store plugin, default-exported by `plugins/<type>/index.ts`.
 *
 * @example
 * const plugin: Plugin = { type: 'mysql', connectionSchema: mysqlConnectionSchema, reader, writer };
 * export default plugin;
 */
export interface Plugin extends PluginBase, StreamCapability, NativeFormatCapability, VerifyCapability, DirectCopyCapability {}
