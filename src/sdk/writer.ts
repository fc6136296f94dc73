/** Writer side of a plugin: the factory and the session a worker thread writes with. */
import type { Batch } from './batch';
import type { PluginContext } from './context';
import type { TableShape } from './reader';
import type { Shard } from './shard';
import type { TaskParams } from './task-params';

/**
 * A writer session: opened once per worker thread, reused for every shard it runs, several shards
 * at once. Extend {@link WriterSessionBase} for an idempotent `close()` that refuses later use.
 */
export interface WriterSession {
  /**
   * Write a batch of `shard` (the runner already cut it to `write_batch` records) and resolve to the
   * number of records really written, so counters never overstate.
   *
   * When the target refuses the batch because of its data (a value too long, NULL into NOT NULL, a
   * duplicate under `write_mode: insert`, an item over the store's size limit), reject with
   * `RejectedError` (src/errors.ts) having written nothing of the batch (roll it back, or check
   * before sending). Under `params.error_limit` the runtime then writes halves of the batch, down
   * to single records, and stores the refused ones as dirty (`goshift dirty`); so a
   * writer that cannot undo a partial batch must throw a plain `WriteError` instead. Any other
   * error (connection, server) is never `RejectedError`. Default: no writer throws it, and a
   * refused batch fails the run.
   * @example throw new RejectedError(`writing 500 rows to db.t failed: ${err.message}`, { cause: err, reason: err.message })
   */
  write(batch: Batch, shard: Shard): Promise<number>;
  /**
   * Optional: remove records from the target by key (a change feed's deletes, and
   * `verify --repair --delete-extra` across stores, under the shard `verify-repair`). `batch.records` are of `batch.kind` and carry at least their key (see
   * {@link Batch.deletes}); removing a record the target does not hold is not an error. Durable
   * under the same `flush` rule as `write`. Resolve to the number of records handled.
   * Declare {@link WriterFactory.deletes} when sessions implement it. Default: the writer cannot
   * delete, a stream task that propagates deletes is refused before it starts, and
   * `verify --delete-extra` keeps extra records and says so in a note.
   */
  delete?(batch: Batch, shard: Shard): Promise<number>;
  /**
   * Make everything written for `shard` so far durable. When it resolves the runtime may save the
   * shard's position. Called at most every `params.checkpoint_seconds` and at the shard's end.
   * Default (base class): nothing, every write is durable when it resolves.
   */
  flush(shard: Shard): Promise<void>;
  /** Optional: the shard's last batch is in and flushed (complete a multipart upload, move a part file into place). */
  end?(shard: Shard): Promise<void>;
  /** Release connections. Idempotent. */
  close(): Promise<void>;
}

/** What every writer has: open sessions, and the optional hooks around a run. */
export interface WriterCore {
  /** Open a session. Called once per worker thread. */
  open(ctx: PluginContext): Promise<WriterSession>;
  /** Optional check before any data moves (target exists, mapped columns exist, ...). */
  validate?(ctx: PluginContext): Promise<void>;
  /**
   * True when sessions implement {@link WriterSession.delete}; a function decides by the task's
   * params (s3: object mode only, part files cannot drop a row). Default is false.
   */
  deletes?: boolean | ((params: TaskParams) => boolean);
  /** Optional statements run once before the first shard (e.g. `pre_sql`). */
  before?(ctx: PluginContext): Promise<void>;
  /** Optional statements run once after the last shard succeeded (e.g. `post_sql`). */
  after?(ctx: PluginContext): Promise<void>;
  /**
   * Optional: the settings this writer really uses, defaults resolved, for `plan`.
   * @example settings(ctx) // { write_mode: 'upsert (INSERT ... ON DUPLICATE KEY UPDATE)' }
   */
  settings?(ctx: PluginContext): Record<string, string>;
  /**
   * Optional: records per {@link WriterSession.write} call when a task's params leave `write_batch`
   * unset (mysql: 5000, since one transaction per read batch costs the server least). Default is
   * 500. Read it through `writeBatchOf` (src/sdk/params.ts).
   */
  defaultWriteBatch?: number;
}

/** Optional capability, the other half of "create target": the writer creates a missing target and names its columns. */
export interface CreateTargetCapability {
  /**
   * Optional: create the target from the source's shape when it does not exist
   * (`params.create_target`). Runs in the main thread before `validate`.
   * @returns the statement it ran (or, with `dryRun`, would run); undefined when the target exists
   */
  createTarget?(ctx: PluginContext, shape: TableShape, opts: { dryRun: boolean }): Promise<string | undefined>;
  /**
   * Optional: the target's column names when it has a fixed set (a table), so the runtime can
   * check before any data moves that every column the task copies exists there (with a source
   * that can `describe` itself). Undefined when the target takes any column.
   */
  columns?(ctx: PluginContext): Promise<string[] | undefined>;
}

/** Writer side of a plugin. */
export interface WriterFactory extends WriterCore, CreateTargetCapability {}
