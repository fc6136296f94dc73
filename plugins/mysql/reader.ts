import type { Connection as CoreConnection } from 'mysql2';
import type { Pool } from 'mysql2/promise';
import { Batch, JsonValue, PluginContext, ReaderFactory, ReadError, ReaderSessionBase, ReadOptions, Shard, sourceKeyColumns, TaskError } from '../../src/sdk';
import type { MysqlConnection } from './config';
import { entryPath, openPool, serverAddress, withPool } from './connection';
import { detectKey, estimateRows, floatColumns, isIntegerColumn, tableColumns } from './schema-info';
import { NativeReader } from './native-read';
import { NativeColumn, nativeColumns } from './native-rows';
import { IntegerKeyRange, integerKeyRange, MysqlShardSpec, planKeyRanges } from './split';
import { literal, qualifiedTable, quoteIdent, toKeyValue, tupleCompare } from './sql';
import { checkBinlogSource } from './binlog-check';
import { followBinlog } from './binlog-feed';
import { feedStart, isBinlogShard, pinStart, planStream } from './binlog-plan';

/** The source table of a task and what a read of it selects. */
export interface SourceShape {
  /** Quoted `schema`.`table`. */
  table: string;
  /** Key columns (raw names) used for ranges and paging; empty when the table has none. */
  key: string[];
  keyQuoted: string[];
  /** Selected columns (raw names), key columns included. */
  columns: string[];
  /** Quoted select list (FLOAT columns as the DOUBLE they convert to exactly). */
  select: string;
}

/** Resolve key and column list of the source table, checking every name against the table. */
export async function sourceShape(pool: Pool, ctx: PluginContext): Promise<SourceShape> {
  const { task, params } = ctx;
  const table = qualifiedTable(task.from_db, task.from_table, `task ${task.id} source`);
  const columns = await tableColumns(pool, task.from_db, task.from_table);
  if (columns.length === 0) {
    throw new ReadError(`source table ${task.from_db}.${task.from_table} does not exist (task ${task.id}, from.mysql.${task.from_app}_${task.from_db})`);
  }
  const known = new Set(columns);
  const missing = (names: string[], what: string) => {
    const bad = names.filter((n) => !known.has(n));
    if (bad.length) throw new TaskError(`task ${task.id}: ${what} ${bad.map((b) => `"${b}"`).join(', ')} not found in source table ${task.from_db}.${task.from_table} (columns: ${columns.join(', ')})`);
  };
  const declaredKey = sourceKeyColumns(params);
  missing(declaredKey, 'params.pk.src column');
  missing(params.columns, 'params.columns column');
  missing(Object.keys(params.column_map), 'params.column_map column');
  if (params.diff_column.src) missing([params.diff_column.src], 'params.diff_column.src column');
  const key = declaredKey.length ? declaredKey : await detectKey(pool, task.from_db, task.from_table);
  const wanted = params.columns.length ? [...params.columns, ...key.filter((k) => !params.columns.includes(k))] : columns;
  const keyQuoted = key.map((k) => quoteIdent(k, 'key column'));
  // A FLOAT's text has 6 significant digits (3.40282e38 is not the largest float): its DOUBLE is exact.
  const floats = await floatColumns(pool, task.from_db, task.from_table);
  const select = wanted.map((c) => {
    const quoted = quoteIdent(c, 'column');
    return floats.has(c) ? `CAST(${quoted} AS DOUBLE) AS ${quoted}` : quoted;
  });
  return { table, key, keyQuoted, columns: wanted, select: select.join(', ') };
}

/** WHERE conditions of a shard: its key range, `params.where`, and the incremental watermark. */
export function shardFilters(shape: SourceShape, spec: MysqlShardSpec, ctx: PluginContext): string[] {
  const filters: string[] = [];
  if (spec.lower) filters.push(tupleCompare(shape.keyQuoted, '>=', spec.lower));
  if (spec.upper) filters.push(tupleCompare(shape.keyQuoted, '<', spec.upper));
  if (ctx.params.where) filters.push(`(${ctx.params.where})`);
  const watermark = ctx.runState.watermark;
  if (ctx.mode === 'incr' && typeof watermark === 'string') {
    filters.push(`${quoteIdent(ctx.params.diff_column.src, 'params.diff_column.src')} >= ${literal(watermark)}`);
  }
  return filters;
}

/** Reads one worker thread's shards with keyset pagination, `read_batch` rows per query. */
export class MysqlReaderSession extends ReaderSessionBase {
  protected readonly description = 'mysql reader session';

  /** @param native reads batches natively (see {@link NativeReader}); undefined = records only */
  constructor(private readonly pool: Pool, private readonly shape: SourceShape, private readonly ctx: PluginContext, private readonly native?: NativeReader) {
    super();
  }

  async *read(shard: Shard, opts: ReadOptions): AsyncIterable<Batch> {
    this.assertOpen();
    if (isBinlogShard(shard)) {
      const { task } = this.ctx;
      yield* followBinlog(this.ctx, { schema: task.from_db, table: task.from_table, key: this.shape.key, columns: this.shape.columns }, feedStart(this.ctx, opts.from), opts);
      return;
    }
    const spec = shard.spec as MysqlShardSpec;
    const { table, keyQuoted, select } = this.shape;
    const filters = shardFilters(this.shape, spec, this.ctx);
    const order = keyQuoted.length ? ` ORDER BY ${keyQuoted.join(', ')}` : '';
    if (keyQuoted.length === 0) {
      yield* this.readUnkeyed(`SELECT ${select} FROM ${table}${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''}`, opts);
      return;
    }
    // Resume: continue strictly after the key a durable batch ended on.
    let cursor: unknown[] | null = Array.isArray(opts.from) ? (opts.from as unknown[]) : null;
    const keyNames = this.shape.key;
    while (!opts.signal.aborted) {
      if (this.native?.due()) {
        const next = await this.native.next(filters, cursor, opts.batchSize);
        if (!next) return;
        cursor = next.batch.position as unknown[];
        yield next.batch;
        if (next.last) return;
        continue;
      }
      const where = cursor ? [...filters, tupleCompare(keyQuoted, '>', cursor)] : filters;
      // Rows read because a writer declined native batches (a target that holds them: a rerun) are
      // read in half batches, so a shard's batch read ahead while one is written costs no more
      // memory than one batch did.
      const limit = this.native?.halfBatches() ? Math.max(1, Math.ceil(opts.batchSize / 2)) : opts.batchSize;
      const sql = `SELECT ${select} FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${order} LIMIT ${limit}`;
      const [rows] = await this.pool.query(sql);
      const records = rows as Record<string, unknown>[];
      if (records.length === 0) return;
      this.native?.readRecords(records.length);
      const last = records[records.length - 1];
      cursor = keyNames.map((k) => toKeyValue(last[k]));
      yield { kind: 'row', records, bytes: approxBytes(records), position: cursor as JsonValue };
      if (records.length < limit) return;
    }
  }

  /** A table without a usable key: one streamed, unordered pass. */
  private async *readUnkeyed(sql: string, opts: ReadOptions): AsyncIterable<Batch> {
    const conn = await this.pool.getConnection();
    try {
      const stream = (conn.connection as unknown as CoreConnection).query(sql).stream({ highWaterMark: opts.batchSize });
      let records: Record<string, unknown>[] = [];
      for await (const row of stream) {
        records.push(row as Record<string, unknown>);
        if (records.length >= opts.batchSize) {
          yield { kind: 'row', records, bytes: approxBytes(records) };
          records = [];
        }
        if (opts.signal.aborted) {
          stream.destroy();
          break;
        }
      }
      if (records.length) yield { kind: 'row', records, bytes: approxBytes(records) };
    } finally {
      conn.release();
    }
  }

  protected async release(): Promise<void> {
    await this.pool.end();
  }
}

/** Size estimate of a batch: sum of string and Buffer lengths (exact enough for bytes/s). */
export function approxBytes(records: Record<string, unknown>[]): number {
  let n = 0;
  for (const r of records) {
    for (const k in r) {
      const v = r[k];
      if (typeof v === 'string' || Buffer.isBuffer(v)) n += v.length;
      else n += 8;
    }
  }
  return n;
}

/** MySQL reader: validates the source, plans key ranges, opens keyset-paging sessions. */
export const mysqlReader: ReaderFactory = {
  async validate(ctx) {
    await withPool(ctx, 'from', async (pool) => {
      const shape = await sourceShape(pool, ctx);
      if (ctx.params.where) await checkWhere(pool, shape, ctx);
      if (ctx.mode === 'stream') await checkBinlogSource(pool, ctx, shape.key);
    });
  },

  settings(ctx) {
    const { params } = ctx;
    return {
      shard_rows: Number(params.shard_rows) ? String(params.shard_rows)
        : widerShards(ctx) ? `${params.read_batch} (read_batch); up to ${10 * params.read_batch} (10 batches) when the key is one integer column` : `${params.read_batch} (read_batch)`,
      read_batch: String(params.read_batch),
      ...(ctx.peerNative ? { native_copy: params.native_copy === false ? 'off: every batch travels as rows' : 'on: when the key is one integer column, the source server formats each batch as LOAD DATA text the writer loads as it is' } : {}),
      ...(params.where ? { where: params.where } : {}),
      ...(params.columns.length ? { columns: params.columns.join(', ') } : {}),
    };
  },

  async prepare(ctx) {
    if (ctx.mode === 'stream') return withPool(ctx, 'from', (pool) => pinStart(pool, ctx));
    const col = ctx.params.diff_column.src;
    if (ctx.mode !== 'incr') return {};
    if (!col) throw new TaskError(`task ${ctx.task.id}: -mode incr needs params.diff_column.src`);
    return withPool(ctx, 'from', async (pool) => {
      const table = qualifiedTable(ctx.task.from_db, ctx.task.from_table, 'source');
      const [rows] = await pool.query({ sql: `SELECT MAX(${quoteIdent(col, 'params.diff_column.src')}) FROM ${table}`, rowsAsArray: true });
      const max = (rows as unknown[][])[0]?.[0];
      return max === null || max === undefined ? {} : { next_watermark: String(max) };
    });
  },

  async plan(ctx) {
    const snapshot = await planSnapshot(ctx);
    return ctx.mode === 'stream' ? planStream(ctx, snapshot) : snapshot;
  },

  async open(ctx) {
    const pool = await openPool(ctx.connection as unknown as MysqlConnection, ctx, 'from', ctx.shardsPerThread, ctx.peerNative ? nativeSessionSql : []);
    try {
      const shape = await sourceShape(pool, ctx);
      return new MysqlReaderSession(pool, shape, ctx, await nativeReader(pool, shape, ctx));
    } catch (err) {
      await pool.end();
      throw err;
    }
  },
};

/** The source's columns as native lines carry them, when the task may read natively (see {@link nativeReader}). */
async function nativeSourceColumns(pool: Pool, shape: SourceShape, ctx: PluginContext): Promise<NativeColumn[] | undefined> {
  const { task } = ctx;
  if (!widerShards(ctx) || shape.key.length !== 1) return undefined;
  if (!(await isIntegerColumn(pool, task.from_db, task.from_table, shape.key[0]))) return undefined;
  return nativeColumns(pool, task.from_db, task.from_table, shape.columns);
}

/**
 * Refuse a `params.where` the server does not accept (an unknown column, a syntax error) before
 * anything runs, naming the param and the server: `LIMIT 0` resolves the names without reading.
 * @throws TaskError
 */
async function checkWhere(pool: Pool, shape: SourceShape, ctx: PluginContext): Promise<void> {
  try {
    await pool.query(`SELECT 1 FROM ${shape.table} WHERE (${ctx.params.where}) LIMIT 0`);
  } catch (err) {
    const sqlMessage = (err as { sqlMessage?: string; fatal?: boolean }).sqlMessage;
    if (!sqlMessage || (err as { fatal?: boolean }).fatal) throw err;
    const conn = ctx.connection as unknown as MysqlConnection;
    throw new TaskError(`task ${ctx.task.id}: params.where ${JSON.stringify(ctx.params.where)} is refused by mysql at ${serverAddress(conn)} (${entryPath(ctx, 'from')}): ${sqlMessage}`);
  }
}

/** Whether a table keyed by one integer column is cut into shards of several batches (both sides mysql, native_copy on, every key). */
function widerShards(ctx: PluginContext): boolean {
  return ctx.peerNative && ctx.params.native_copy !== false && ctx.keys.length === 0 && ctx.mode !== 'stream';
}

/**
 * Default rows per shard between two mysql tables keyed by one integer column: a shard of one batch
 * pays a shard's fixed costs (a position saved, a task handed to a thread, a read with nothing to
 * overlap) per batch, and a native batch holds no records in memory, so shards of up to 10
 * batches; small tables keep about 4 shards per `worker_num` (by the key's span) for
 * parallelism. Bench (1M rows, native batches): 50,000-row shards copied in 3.6-4.4 s against
 * 4.4-5.4 s for 5,000, at the same peak memory.
 */
function nativeShardRows(ctx: PluginContext, span: number): number {
  const batch = ctx.params.read_batch;
  return Math.max(batch, Math.min(10 * batch, Math.ceil(span / (4 * ctx.params.worker_num))));
}

/**
 * How many key values the integer key spans over the selected rows (MAX - MIN + 1). The shard size
 * follows it rather than the row estimate, which InnoDB revises now and then: a rerun must plan
 * the same shards to find an interrupted copy's positions.
 */
function keySpan(range: IntegerKeyRange): number {
  return Number(range.max - range.min + 1n);
}

/** Reader sessions that may read natively: GROUP_CONCAT limited only by max_allowed_packet. */
const nativeSessionSql = ['SET SESSION group_concat_max_len = 1073741824'];

/**
 * A native reader when the batches may travel as `LOAD DATA` text: the writer is mysql too
 * (`ctx.peerNative`), `params.native_copy` is on, the run copies every key (no `--key`), the key is
 * one integer column and every selected column has a type the line format covers.
 */
async function nativeReader(pool: Pool, shape: SourceShape, ctx: PluginContext): Promise<NativeReader | undefined> {
  const columns = await nativeSourceColumns(pool, shape, ctx);
  if (!columns) return undefined;
  const [rows] = await pool.query({ sql: 'SELECT @@max_allowed_packet', rowsAsArray: true });
  const packetLimit = Number((rows as unknown[][])[0][0]);
  return new NativeReader(pool, { table: shape.table, key: shape.key[0], select: shape.select, columns }, packetLimit);
}

/** The key-range shards of a copy (`-mode init` and `incr`, and a stream's snapshot). */
async function planSnapshot(ctx: PluginContext): Promise<Shard[]> {
  return withPool(ctx, 'from', async (pool) => {
    const shape = await sourceShape(pool, ctx);
    const integerKey = shape.key.length === 1 && (await isIntegerColumn(pool, ctx.task.from_db, ctx.task.from_table, shape.key[0]));
    const estimatedRows = integerKey ? await estimateRows(pool, ctx.task.from_db, ctx.task.from_table) : 0;
    // params.where and the incremental watermark: shards follow the key span of the rows they select.
    const filters = shardFilters(shape, { key: shape.key, lower: null, upper: null }, ctx);
    const integerRange = integerKey ? await integerKeyRange(pool, shape.table, shape.keyQuoted[0], filters) : undefined;
    if (integerKey && !integerRange) return [];
    const shardRows = Number(ctx.params.shard_rows) || (integerRange && widerShards(ctx) ? nativeShardRows(ctx, keySpan(integerRange)) : ctx.params.read_batch);
    return planKeyRanges(pool, shape.table, shape.keyQuoted, shape.key, shardRows, ctx.signal, { estimatedRows, filters, integerRange });
  });
}
