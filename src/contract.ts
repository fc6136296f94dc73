/**
 * The plugin contract: everything a store plugin (`plugins/<type>/index.ts`) implements and
 * everything the core hands it. Plugins import only this file (and `errors.ts`), never the runner.
 *
 * A plugin default-exports a {@link Plugin}. The runner plans shards with the reader in the main
 * thread, then every worker thread opens one reader session and one writer session (lazily, on its
 * first shard) and reuses them for every shard it is given.
 */
import type { Logger } from 'winston';
import type { TaskRow } from './meta/task-row';
import type { TaskParams } from './params';

/** Plain JSON connection settings of one config entry, e.g. `from.mysql.local_dw_blog`. */
export type ConnectionConfig = Record<string, unknown>;

/**
 * One unit of parallel work, planned in the main thread and sent to a worker thread.
 * It must be plain JSON (structured-clone safe): no class instances, no functions.
 *
 * @example { id: 'pk-3', label: 'id in [15001, 20001)', spec: { lower: ['15001'], upper: ['20001'] } }
 */
export interface Shard {
  /** Stable id, unique in one plan; used for progress and checkpoints. */
  id: string;
  /** Human readable description printed by `plan`. */
  label: string;
  /** Row estimate used for percent and ETA; omit when unknown. */
  estimatedRows?: number;
  /** Plugin-specific, plain JSON. */
  spec: Record<string, unknown>;
}

/** One record: a MySQL row object, a Redis `{key,type,value,ttl_ms}`, an S3 object, a DynamoDB item. */
export type SyncRecord = Record<string, unknown>;

/**
 * A batch of records read together. `bytes` is an approximate payload size for the bytes/s figure.
 * Readers may attach a `columns` list when every record has the same keys (lets writers skip work).
 */
export interface Batch {
  records: SyncRecord[];
  bytes: number;
  columns?: string[];
}

/** What a plugin is given: the task, its validated params, the connection entry, a logger, a signal. */
export interface PluginContext {
  /** The task row being run. */
  task: TaskRow;
  /** Validated params with defaults applied (see `src/params.ts`). */
  params: TaskParams;
  /** The connection entry this side uses (source for readers, target for writers). */
  connection: ConnectionConfig;
  /** The other side's store type, so a writer can tell a same-store copy from a mapping. */
  peerType: string;
  /** Run mode: `init` (full copy, the default) or `incr` (only rows changed since the last run). */
  mode: string;
  /** Shared per-run values computed in the main thread (e.g. an incremental watermark). */
  runState: Record<string, unknown>;
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
}

/** A reader session: opened once per worker thread, reused for every shard it runs. */
export interface ReaderSession {
  /** Stream the shard's records, `batchSize` at a time. Must not load the whole shard. */
  read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch>;
  /**
   * Optional at-least-once hook: called after every record of `batch` was written and the writer
   * flushed. Sources that consume what they read (a Redis dirty set, a stream position) commit here,
   * never earlier. Default: nothing.
   */
  ack?(batch: Batch): Promise<void>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;
}

/** A writer session: opened once per worker thread, reused for every shard it runs. */
export interface WriterSession {
  /**
   * Write a batch (the runner already cut it to `write_batch` records) and resolve to the number
   * of records really written, so counters never overstate.
   */
  write(batch: Batch): Promise<number>;
  /** Persist anything buffered. Called at the end of each shard. */
  flush(): Promise<void>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;
}

/** Reader side of a plugin. */
export interface ReaderFactory {
  /** Split the source into shards. Runs once per run, in the main thread. An empty source gives `[]`. */
  plan(ctx: PluginContext): Promise<Shard[]>;
  /** Open a session. Called once per worker thread. */
  open(ctx: PluginContext): Promise<ReaderSession>;
  /** Optional check before planning (does the table exist, do mapped columns exist, ...). */
  validate?(ctx: PluginContext): Promise<void>;
  /**
   * Optional: work the main thread does once before planning a real run (compute a watermark,
   * recover claimed work of a crashed run). Never called by `plan`, so it may change the source.
   */
  prepare?(ctx: PluginContext): Promise<Record<string, unknown>>;
}

/** Writer side of a plugin. */
export interface WriterFactory {
  /** Open a session. Called once per worker thread. */
  open(ctx: PluginContext): Promise<WriterSession>;
  /** Optional check before any data moves (target exists, mapped columns exist, ...). */
  validate?(ctx: PluginContext): Promise<void>;
  /** Optional statements run once before the first shard (e.g. `pre_sql`). */
  before?(ctx: PluginContext): Promise<void>;
  /** Optional statements run once after the last shard succeeded (e.g. `post_sql`). */
  after?(ctx: PluginContext): Promise<void>;
}

/** Counters of a shard copied directly inside the store. */
export interface DirectCopyCounters {
  rowsRead: number;
  rowsWritten: number;
  bytes: number;
}

/** A direct-copy session: opened once per worker thread, reused for every shard it runs. */
export interface DirectCopySession {
  /** Copy one shard inside the store (e.g. one `INSERT ... SELECT` over the shard's key range). */
  copy(shard: Shard, opts: { signal: AbortSignal }): Promise<DirectCopyCounters>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Optional same-store fast path: when source and target live in the same server, shards are
 * copied there and records never travel through goshift. Used only when the task's reader and
 * writer are the same plugin, `supports` says yes, and `params.direct_copy` is not false.
 */
export interface DirectCopyFactory {
  /** Whether this source and target can be copied directly. Runs once, in the main thread. */
  supports(reader: PluginContext, writer: PluginContext): Promise<boolean>;
  /** Open a session. Called once per worker thread. */
  open(reader: PluginContext, writer: PluginContext): Promise<DirectCopySession>;
}

/**
 * A store plugin, default-exported by `plugins/<type>/index.ts`.
 *
 * @example
 * const plugin: Plugin = { type: 'mysql', connectionSchema: mysqlConnectionSchema, reader, writer };
 * export default plugin;
 */
export interface Plugin {
  /** Store type as written in `from_db_type` / `to_db_type`, lower case. */
  type: string;
  /** convict schema of one connection entry; `sensitive: true` marks secrets. */
  connectionSchema: Record<string, unknown>;
  /**
   * Optional convict schema of the params keys this plugin understands (merged with the core keys
   * of `src/params.ts`); unknown keys are rejected, so a typo never passes silently.
   */
  paramsSchema?: Record<string, unknown>;
  /** Present when the store can be a source. */
  reader?: ReaderFactory;
  /** Present when the store can be a target. */
  writer?: WriterFactory;
  /** Present when the store can copy inside itself (see {@link DirectCopyFactory}). */
  direct?: DirectCopyFactory;
}
