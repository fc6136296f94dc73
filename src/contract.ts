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
  /** Id unique in one plan, used in messages and progress (e.g. `pk-3`). */
  id: string;
  /** Human readable description printed by `plan`. */
  label: string;
  /** Row estimate used for percent and ETA; omit when unknown. */
  estimatedRows?: number;
  /**
   * Plugin-specific, plain JSON. Its canonical JSON is the shard's fingerprint: a resume matches
   * saved positions to shards by fingerprint, so the spec must name exactly what the shard covers.
   */
  spec: Record<string, unknown>;
  /**
   * A change feed that runs until the run is stopped (a stream shard). Excluded from percent and
   * ETA; stopping the run drains it, saves its position and ends the run as `stopped`. Default false.
   */
  unbounded?: boolean;
  /**
   * Ids of shards that must finish before this one starts (a stream's child shard after its
   * parents). Ids not in the plan are ignored. Default: none.
   */
  after?: string[];
}

/** Any plain JSON value (what positions and shard specs are made of). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The three record kinds a batch can carry:
 * - `row`: column -> value (MySQL rows, DynamoDB items, NDJSON/CSV lines),
 * - `entry`: one key-value entry, a {@link KvEntry} (Redis keys),
 * - `object`: a stored object, an {@link ObjectRecord} (S3 objects, files).
 * The core maps between kinds (row <-> entry through a key template and columns, entry <-> object
 * through the portable envelope); a plugin only ever sees the kinds it declared.
 */
export type RecordKind = 'row' | 'entry' | 'object';

/** Data types of a key-value entry. */
export type EntryType = 'string' | 'hash' | 'list' | 'set' | 'zset' | 'stream';

/**
 * A store-neutral key-value entry (record kind `entry`). Binary exact: keys, fields and values are
 * Buffers. Values by type: string `Buffer`; hash `[field, value][]`; list and set `Buffer[]`;
 * zset `[member, score][]` (score as text, exact); stream `[id, [field, value][]][]`.
 */
export interface KvEntry {
  key: Buffer;
  type: EntryType;
  value: Buffer | Buffer[] | [Buffer, Buffer][] | [Buffer, string][] | [string, [Buffer, Buffer][]][];
  /** Absolute expiry in epoch milliseconds, or null when the entry never expires. */
  expireAt: number | null;
  /**
   * Optional opaque payload in the reader plugin's {@link Plugin.nativeFormat} (Redis: a DUMP
   * payload), set only when `ctx.peerNative` says the writer takes that format. When set, `value`
   * may be left empty and the writer restores the payload instead; the core never looks inside it
   * and the envelope codec refuses such an entry. Default: none.
   */
  native?: Buffer;
  /**
   * Optional: this entry is one page of a big collection, set only when `ctx.peerNative`. Pages of
   * one key share `id`, come in `index` order (0, 1, ...), and `value` holds that page's elements;
   * the writer builds the key from every page and completes it when `last` arrives, so the key is
   * never seen half-copied. Default: the entry is whole.
   */
  chunk?: { id: string; index: number; last: boolean };
}

/** A stored object (record kind `object`): key, bytes and metadata. */
export interface ObjectRecord {
  key: string;
  body: Buffer;
  /** User metadata (S3 `x-amz-meta-*`), content type and the like. */
  metadata?: Record<string, string>;
}

/** One record: a row object, a {@link KvEntry} or an {@link ObjectRecord}, as the batch's kind says. */
export type SyncRecord = Record<string, unknown>;

/**
 * A batch of records read together. `bytes` is an approximate payload size for the bytes/s figure.
 * Readers may attach a `columns` list when every record has the same keys (lets writers skip work).
 */
export interface Batch {
  /** What the records are. Default is `row`. */
  kind?: RecordKind;
  records: SyncRecord[];
  bytes: number;
  columns?: string[];
  /**
   * Opaque plain-JSON resume position: reading the same shard with `{ from: position }` continues
   * strictly after this batch (MySQL: the batch's last key; Redis: the scan cursor; DynamoDB:
   * `LastEvaluatedKey`; S3: `StartAfter`; a stream: a sequence number). The runtime saves it only
   * after the writer made every batch up to it durable. Omit when the reader cannot resume.
   */
  position?: JsonValue;
  /**
   * Set by the runtime on the first batch after a resume or retry: some of its records may already
   * be in the target (written by an attempt cut off before its position was saved). A writer whose
   * mode is not idempotent (`insert`) must accept those duplicates for this batch only.
   */
  replayed?: boolean;
  /**
   * Records of this batch that another shard of the run reads as well (a Redis SCAN segment's last
   * call runs a little past the segment's end). They are written like the others (rewriting the
   * same record is harmless for the stores that read twice) but counted once, by the other shard,
   * so `rows_read` / `rows_written` say what the target holds. Default is 0.
   */
  recounted?: number;
  /**
   * Records deleted (or expired) at the source, from a change feed (`-mode stream`): of the batch's
   * kind, each carrying at least its key (row: the key columns; entry: `key`, with `type` `string`
   * and an empty value; object: `key`). A key appears at most once across `records` and `deletes`
   * of one batch (the reader keeps only its latest change), so a writer may apply them in any
   * order. The runtime maps them like records and hands them to {@link WriterSession.delete}, or
   * drops them under `params.propagate_deletes: false`. Default: none.
   */
  deletes?: SyncRecord[];
  /**
   * Epoch milliseconds of the newest change in this batch at the source (a change feed: a
   * notification's arrival, a stream record's `ApproximateCreationDateTime`). The runtime shows the
   * run's lag as the time from there until the batch is written. Default: none.
   */
  changedAt?: number;
  /**
   * Optional: the whole batch as one payload in the reader plugin's {@link Plugin.nativeFormat},
   * set only when `ctx.peerNative` (mysql: the rows as `LOAD DATA` text formatted by the source
   * server). `records` is then empty; see {@link NativeBatch}. Default: none.
   */
  native?: NativeBatch;
}

/**
 * A batch carried as one opaque payload between a reader and a writer of the same native format,
 * so no record is ever built in JavaScript. Whoever needs the records (a writer that cannot take
 * the payload as it is, the runtime before a `--key` filter, a kind mapping, a smaller
 * `write_batch` or a dirty-record split) calls `records()`, which reads the same records again as
 * ordinary ones; a reader may take that call as a hint to send records for a while.
 *
 * @example { count: 5000, body: <Buffer ...>, info: { columns: ['id', 'name'], first: '1', last: '5000' }, records: () => readRange('1', '5000') }
 */
export interface NativeBatch {
  /** Records the payload holds (what the batch counts as read). */
  count: number;
  /** The payload, in the reader plugin's native format. */
  body: Buffer;
  /** Plain-JSON description only the plugin understands (its columns, the key range it covers). */
  info: Record<string, JsonValue>;
  /**
   * Read the payload's records as ordinary records of the batch's kind, in the reader's order.
   * `final: true` says the caller will never take this reader's payloads (its settings rule them
   * out), so the reader may stop making them. Default: this batch only.
   */
  records(opts?: { final?: boolean }): Promise<SyncRecord[]>;
}

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
  /**
   * Optional, for plans that grow while the run goes (a stream whose shards split): called every
   * few seconds while unbounded shards run, with every shard known so far; returns only new ones.
   */
  discover?(ctx: PluginContext, known: Shard[]): Promise<Shard[]>;
  /** Optional: describe the source's columns and key (for `params.create_target`). */
  describe?(ctx: PluginContext): Promise<TableShape>;
  /**
   * Optional: the settings this reader really uses, defaults resolved, for `plan` (never
   * placeholders such as 0 or ""). Keys are params names or short labels.
   * @example settings(ctx) // { shard_rows: '5000', read_batch: '5000' }
   */
  settings?(ctx: PluginContext): Record<string, string>;
}

/** Writer side of a plugin. */
export interface WriterFactory {
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
  /**
   * Optional: the settings this writer really uses, defaults resolved, for `plan`.
   * @example settings(ctx) // { write_mode: 'upsert (INSERT ... ON DUPLICATE KEY UPDATE)' }
   */
  settings?(ctx: PluginContext): Record<string, string>;
  /**
   * Optional: records per {@link WriterSession.write} call when a task's params leave `write_batch`
   * unset (mysql: 5000, since one transaction per read batch costs the server least). Default is
   * 500. Read it through `writeBatchOf` (src/params.ts).
   */
  defaultWriteBatch?: number;
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
/** Options of a verify (`goshift verify`). */
export interface VerifyOptions {
  /** Re-copy the keys found missing or different, then check them again. Default is false. */
  repair: boolean;
  /** With `repair`: also delete the target rows the source does not have. Default is false. */
  deleteExtra: boolean;
  /** redis: largest TTL difference, in milliseconds, that still counts as equal. Default is 1000. */
  ttlToleranceMs?: number;
  /** Ranges checked at once (each holds one connection per side). Default: min(worker_num, 4). */
  concurrency: number;
  signal: AbortSignal;
}

/** What a verify found. Keys are in display form (`42`, `a,7`, `0xff00`). */
export interface VerifyReport {
  /** What `checked`/`equal`/`differing` count: key ranges (mysql) or keys (redis, and every task verified across stores). */
  unit: 'ranges' | 'keys';
  checked: number;
  equal: number;
  differing: number;
  sourceRows: number;
  targetRows: number;
  /** In the source, not in the target. */
  missing: string[];
  /** In the target, not in the source. */
  extra: string[];
  /** In both, with different values. */
  different: string[];
  /** Set when `repair` was asked. */
  repair?: {
    copied: number;
    deleted: number;
    /** Keys checked again after the repair. */
    rechecked: number;
    /** Keys that still differ after the repair (extra rows kept without `deleteExtra` count here). */
    stillDiffering: string[];
  };
  /**
   * One line each on what the verify could not do (a writer that cannot delete, a repair bound).
   * Default: none.
   */
  notes?: string[];
}

/**
 * Compares a task's source and target when both are the same store type, and repairs the
 * differences. Never writes to the source. Tasks whose stores have none are compared by
 * `src/verify/` (key sets plus a hash of each record, through both stores' readers).
 *
 * @example const report = await plugin.verify!.verify(readerCtx, writerCtx, { repair: false, deleteExtra: false, concurrency: 4, signal })
 */
export interface VerifyFactory {
  verify(source: PluginContext, target: PluginContext, opts: VerifyOptions): Promise<VerifyReport>;
}

export interface Plugin {
  /** Store type as written in `from_db_type` / `to_db_type`, lower case. */
  type: string;
  /** Optional: `goshift verify` for tasks whose source and target are both this store. Default: none. */
  verify?: VerifyFactory;
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
   * Optional name of a store-specific record format this plugin's reader can emit and writer can
   * take besides the portable kinds (e.g. `redis`: DUMP payloads and chunked big collections).
   * When reader and writer declare the same name, both contexts get `peerNative: true`.
   * Default: none.
   *
   * @example nativeFormat: 'redis'
   */
  nativeFormat?: string;
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
  /**
   * True when the reader follows changes under `-mode stream` (ctx.mode === 'stream'): it plans
   * unbounded shards (a change feed, after a catch-up) that carry {@link Batch.deletes} and
   * {@link Batch.changedAt}. A stream task whose reader does not is refused. Default is false.
   */
  streams?: boolean;
  /** Present when the store can be a source. */
  reader?: ReaderFactory;
  /** Present when the store can be a target. */
  writer?: WriterFactory;
  /** Present when the store can copy inside itself (see {@link DirectCopyFactory}). */
  direct?: DirectCopyFactory;
}

export { ReaderSessionBase, SessionBase, WriterSessionBase } from './session-base';
export { KeyTemplate } from './records/key-template';
