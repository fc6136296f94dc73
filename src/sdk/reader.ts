/** Reader side of a plugin: the factory the main thread plans with and the session a worker thread reads with. */
import type { Batch } from './batch';
import type { PluginContext, ReadOptions } from './context';
import type { Shard } from './shard';

/** A reader session: opened once per worker thread, reused for every shard it runs. */
export interface ReaderSession {
  /**
   * Stream the shard's records, `batchSize` at a time, from the start or strictly after
   * `opts.from`. Must not load the whole shard. An unbounded shard's stream ends when
   * `opts.signal` fires, or when its feed has nothing more ever (a closed DynamoDB stream shard
   * read to its end: the shard is then done). An idle feed may yield empty batches (no records,
   * no position) now and then: the runtime saves positions only between batches, so this lets it
   * save the position of what it already wrote.
   */
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

/** A source's columns and key, so a writer can create a missing target (`params.create_target`). */
export interface TableShape {
  /**
   * Columns in source order. `type` is the source's own type text (mysql `decimal(30,10)`,
   * `datetime(6)`, `varbinary(64)`, ...); a writer maps what it does not know to a safe default.
   */
  columns: { name: string; type: string; nullable: boolean }[];
  /** Key columns (empty when the source has none). */
  key: string[];
  /**
   * The source's own DDL, given only when the peer shares the reader's native format
   * (`ctx.peerNative`): such a writer may reuse it whole (indexes included).
   */
  nativeDdl?: string;
}

/** What every reader has: plan shards, open sessions. */
export interface ReaderCore {
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
  /**
   * Optional: the settings this reader really uses, defaults resolved, for `plan` (never
   * placeholders such as 0 or ""). Keys are params names or short labels.
   * @example settings(ctx) // { shard_rows: '5000', read_batch: '5000' }
   */
  settings?(ctx: PluginContext): Record<string, string>;
}

/** Optional capability of a stream reader: a plan that grows while the run goes. */
export interface DiscoverCapability {
  /**
   * Optional, for plans that grow while the run goes (a stream whose shards split): called every
   * few seconds while unbounded shards run, with every shard known so far; returns only new ones.
   */
  discover?(ctx: PluginContext, known: Shard[]): Promise<Shard[]>;
}

/** Optional capability, one half of "create target": the reader describes the source's shape. */
export interface DescribeCapability {
  /** Optional: describe the source's columns and key (for `params.create_target`). */
  describe?(ctx: PluginContext): Promise<TableShape>;
}

/** Reader side of a plugin. */
export interface ReaderFactory extends ReaderCore, DiscoverCapability, DescribeCapability {}
