import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { Batch, mappedColumn, NativeBatch, PluginContext, RejectedError, Shard, SyncRecord, TaskError, writeBatchOf, WriteError, WriterFactory, WriterSessionBase } from '../../src/sdk';
import { MysqlConnection, MysqlWriteMode, mysqlWriteModes } from './config';
import { openPool, withPool } from './connection';
import { detectKey, floatColumns, isIntegerColumn, isTransactional, tableColumns } from './schema-info';
import { buildLoadData, payloadStream } from './load-data';
import { nativeLoadStatement, NativeRowsInfo } from './native-rows';
import { integerText, literal, qualifiedTable, quoteIdent } from './sql';
import { splitByTarget, TargetKey } from './upsert-split';

/** Server errors meaning "LOAD DATA LOCAL is disabled here": fall back to INSERT statements. */
const localInfileRefused = new Set([1148, 3948, 2068]);

/** After this many batches whose split upsert had to be redone, a session stops reading the target first. */
const maxSplitConflicts = 8;

/**
 * After a split upsert found most of its batch changed (reading the target first then costs more
 * than it saves: ~20% in the bench's every-row-changed copy), this many batches are upserted
 * directly before the next one reads the target again.
 */
const directBatchesAfterChanged = 8;

/** Warning code of a duplicate key, expected (and harmless) in `ignore` mode. */
const duplicateKeyWarning = 1062;

/** Warning code of a deprecated syntax (MySQL 8 flags `VALUES()` in upserts): not about the data. */
const deprecationWarning = 1287;

/**
 * Server errors about a batch's data, not the connection or the server: value too long (1406),
 * out of range (1264), NULL into NOT NULL (1048), no default (1364), truncated (1265), incorrect
 * value (1366, 1367, 1292, 1411), duplicate key (1062, 1586), foreign key (1452), CHECK constraint
 * (4025, 3819). The batch is rolled back and reported as {@link RejectedError}.
 */
const dataErrnos = new Set([1406, 1264, 1048, 1364, 1265, 1366, 1367, 1292, 1411, 1062, 1586, 1452, 4025, 3819]);

/** A statement's warnings that would change a value: the batch is rolled back as rejected data. */
class DataWarningError extends Error {}

/** An insert of rows the target seemed to lack met a duplicate key: the batch is upserted instead. */
class DuplicateKeyConflict extends Error {}

/** How one batch is written: its mode (a replayed `insert` batch is written as `ignore`) and statement. */
interface BatchWrite {
  mode: MysqlWriteMode;
  shape: StatementShape;
  /** Count every row as written (a replayed batch: rows an earlier attempt wrote are in the target too). */
  countAll: boolean;
  /** A duplicate key is no data error but a sign the target holds the row: throw {@link DuplicateKeyConflict}. */
  duplicateIsConflict?: boolean;
}

/** The statement prefix and suffix for one set of source columns. */
export interface StatementShape {
  /** `INSERT INTO t (a,b)` (or `REPLACE` / `INSERT IGNORE`). */
  into: string;
  /** `into` followed by ` VALUES `. */
  head: string;
  /** ` ON DUPLICATE KEY UPDATE ...` in upsert mode, else empty. */
  tail: string;
  /** Quoted target column names, in source column order. */
  targets: string[];
}

/** Statement shape of a write mode for a list of source columns (mapped to target names). */
export function statementShape(ctx: PluginContext, table: string, mode: MysqlWriteMode, columns: string[]): StatementShape {
  const targets = columns.map((c) => quoteIdent(targetColumnName(ctx, c), 'target column'));
  const verb = mode === 'replace' ? 'REPLACE' : mode === 'ignore' ? 'INSERT IGNORE' : 'INSERT';
  const into = `${verb} INTO ${table} (${targets.join(',')})`;
  let tail = '';
  if (mode === 'upsert') {
    const keys = new Set([ctx.params.pk.dest].filter(Boolean).map((k) => quoteIdent(k, 'params.pk.dest')));
    const updates = targets.filter((c) => !keys.has(c)).map((c) => `${c}=VALUES(${c})`);
    tail = ` ON DUPLICATE KEY UPDATE ${updates.length ? updates.join(',') : `${targets[0]}=${targets[0]}`}`;
  }
  return { into, head: `${into} VALUES `, tail, targets };
}

/** Source column -> target column: `pk.src`->`pk.dest`, then `column_map`. */
export function targetColumnName(ctx: PluginContext, source: string): string {
  return mappedColumn(ctx.params, source);
}

/** The validated `write_mode` of a mysql target (default upsert). */
export function writeMode(ctx: PluginContext): MysqlWriteMode {
  const mode = ctx.params.write_mode || 'upsert';
  if (!(mysqlWriteModes as readonly string[]).includes(mode)) {
    throw new TaskError(`task ${ctx.task.id}: params.write_mode must be one of ${mysqlWriteModes.join(', ')} for a mysql target, got "${mode}"`);
  }
  return mode as MysqlWriteMode;
}

/**
 * Writes multi-row statements: `INSERT` / `INSERT IGNORE` / `REPLACE` / `INSERT ... ON DUPLICATE KEY
 * UPDATE` (upsert, the default: a rerun leaves the target identical), split so no statement exceeds
 * `max_statement_bytes`, or `LOAD DATA LOCAL INFILE`.
 * An upsert into a table with a unique key first reads the target's rows for the batch's keys:
 * rows the target lacks are loaded with plain `LOAD DATA`, rows it holds with other values are
 * upserted, and rows it holds exactly are left alone. The end state is the one the upsert
 * statement alone would give, for a fraction of the target server's work.
 */
export class MysqlWriterSession extends WriterSessionBase {
  protected readonly description = 'mysql writer session';
  private readonly table: string;
  private readonly mode: MysqlWriteMode;
  private readonly shapes = new Map<string, StatementShape>();
  private readonly maxBytes: number;
  private useLoadData: boolean;
  /** Batches whose split upsert met a duplicate key and was redone as a plain upsert. */
  private conflicts = 0;
  /** Upsert batches written by this session, and the first one that may read the target again. */
  private upsertBatches = 0;
  private nextSplitBatch = 0;
  /** Whether this session loaded a native batch yet (said once in the log). */
  private loadedNative = false;

  /** @param targetKey the target's unique key, when upserts may read the target first (else always upsert statements) */
  constructor(private readonly pool: Pool, private readonly ctx: PluginContext, private readonly targetKey?: TargetKey) {
    super();
    this.table = qualifiedTable(ctx.task.to_db, ctx.task.to_table, `task ${ctx.task.id} target`);
    this.mode = writeMode(ctx);
    this.maxBytes = Number(ctx.params.max_statement_bytes) || 4 * 1024 * 1024;
    // LOAD DATA has no ON DUPLICATE KEY UPDATE: an upsert loads only the rows the target lacks.
    this.useLoadData = ctx.params.load_data !== false;
  }

  /**
   * Write one batch as one transaction: every statement of the batch runs on one connection, their
   * warnings are checked, and only then COMMIT. A value the target would change (NULL into NOT NULL,
   * a truncated string) or a duplicate key in `insert` mode rolls the whole batch back, so a batch
   * lands whole and exact or not at all. A batch refused for its data throws {@link RejectedError}
   * (nothing of it written), so the runtime can split it to find the dirty records.
   * @returns rows the target really took (in `ignore` mode, duplicates skipped are not counted)
   */
  async write(batch: Batch, _shard: Shard): Promise<number> {
    this.assertOpen();
    // A replayed batch may hold rows an interrupted attempt already wrote: `insert` takes them as
    // `ignore` would, and counts them (they are in the target either way).
    const mode: MysqlWriteMode = batch.replayed && this.mode === 'insert' ? 'ignore' : this.mode;
    if (batch.native) {
      const loaded = await this.writeNative(batch.native, mode);
      if (typeof loaded === 'number') return loaded;
      batch = { ...batch, native: undefined, records: await batch.native.records({ final: loaded === 'never' }) };
    }
    const records = batch.records;
    if (records.length === 0) return 0;
    const columns = batch.columns ?? Object.keys(records[0]);
    const write = { mode, shape: this.shape(columns, mode), countAll: mode !== this.mode };
    const keyIndexes = mode === 'upsert' ? this.keyIndexes(columns) : undefined;
    if (keyIndexes && this.conflicts < maxSplitConflicts && this.upsertBatches++ >= this.nextSplitBatch) {
      let conflict = false;
      const split = await this.inTransaction(records.length, async (conn) => {
        const done = await this.splitUpsert(conn, records, columns, keyIndexes, write);
        conflict = done === 'conflict';
        if (typeof done !== 'object') return undefined;
        if (done.changed * 2 > records.length) this.nextSplitBatch = this.upsertBatches + directBatchesAfterChanged;
        return done.written;
      });
      if (split !== undefined) return split;
      if (conflict && ++this.conflicts === maxSplitConflicts) {
        this.ctx.logger.info(`task ${this.ctx.task.id}: ${maxSplitConflicts} batches met duplicate keys the target's primary key did not show (another unique index or a case-insensitive key); this session upserts every row from now on`);
      }
    }
    if (this.useLoadData && mode !== 'upsert') {
      const loaded = await this.inTransaction(records.length, (conn) => this.loadData(conn, records, columns, write));
      if (loaded !== undefined) return loaded;
    }
    return (await this.inTransaction(records.length, (conn) => this.insertStatements(conn, records, columns, write)))!;
  }

  /**
   * Load a native batch (`LOAD DATA` lines the source server formatted) as it is, in one
   * transaction. An upsert does so only when the target holds no row in the batch's key range
   * (then plain inserts are what the upsert would do); a load that meets a duplicate key or warns
   * about a value is rolled back.
   * @returns rows written; 'later' when this batch must be written from its records (the target
   *   holds rows in its range, the load was refused or warned), 'never' when no native batch can be
   *   written by this session (LOAD DATA off or refused, the target's key is not the source's)
   */
  private async writeNative(native: NativeBatch, mode: MysqlWriteMode): Promise<number | 'later' | 'never'> {
    const info = native.info as NativeRowsInfo;
    if (!this.useLoadData) return 'never';
    const targetKey = targetColumnName(this.ctx, info.key);
    let emptyCheck: string | undefined;
    if (mode === 'upsert') {
      if (this.conflicts >= maxSplitConflicts) return 'never';
      // Without a unique key the target takes every row as new; with one, it must be the source's key.
      if (this.targetKey && !(this.targetKey.integer && this.targetKey.columns.length === 1 && this.targetKey.columns[0] === targetKey)) return 'never';
      if (this.targetKey) {
        if (!integerText.test(info.first) || !integerText.test(info.last)) return 'later';
        emptyCheck = `SELECT 1 FROM ${this.table} WHERE ${quoteIdent(targetKey, 'target key')} BETWEEN ${info.first} AND ${info.last} LIMIT 1`;
      }
    }
    const verb = mode === 'replace' ? ' REPLACE' : mode === 'ignore' ? ' IGNORE' : '';
    const write: BatchWrite = { mode: mode === 'upsert' ? 'insert' : mode, shape: this.shape(info.columns, mode), countAll: mode !== this.mode, duplicateIsConflict: mode === 'upsert' || mode === 'insert' };
    const written = await this.inTransaction(native.count, async (conn) => {
      if (emptyCheck) {
        const [held] = await conn.query(emptyCheck);
        if ((held as unknown[]).length > 0) return undefined;
      }
      const result = await this.runLoad(conn, nativeLoadStatement(this.table, write.shape.targets, info, verb), native.body);
      if (!result) return undefined;
      if (!this.loadedNative) {
        this.loadedNative = true;
        this.ctx.logger.info(`task ${this.ctx.task.id}: loading batches as the source server formatted them (params.native_copy)`);
      }
      // Plain and REPLACE loads account for every line; fewer means the file and the count disagree.
      if (write.mode !== 'ignore' && Number(result.affectedRows) < native.count) return undefined;
      try {
        return await this.checkedRows(conn, result, native.count, write);
      } catch (err) {
        if (err instanceof DuplicateKeyConflict) {
          if (mode === 'upsert') this.conflicts++;
          return undefined;
        }
        if (err instanceof DataWarningError) return undefined;
        throw err;
      }
    });
    if (written !== undefined) return written;
    return this.useLoadData ? 'later' : 'never';
  }

  /**
   * Delete rows by key (a change feed's deletes): `DELETE ... WHERE (k1,k2) IN (...)` in one
   * transaction, over the target key (`pk.dest`, else the columns the records carry, mapped).
   * A row the target does not hold is not an error.
   * @returns the rows handled (deleted or already absent)
   */
  async delete(batch: Batch, _shard: Shard): Promise<number> {
    this.assertOpen();
    const records = batch.records;
    if (records.length === 0) return 0;
    const pk = this.ctx.params.pk.dest ? this.ctx.params.pk.dest.split(',').map((c) => c.trim()).filter(Boolean) : [];
    const sourceColumns = batch.columns ?? Object.keys(records[0]);
    const keyColumns = pk.length ? sourceColumns.filter((c) => pk.includes(targetColumnName(this.ctx, c))) : sourceColumns;
    if (keyColumns.length === 0) throw new WriteError(`deleting from ${this.ctx.task.to_db}.${this.ctx.task.to_table} (task ${this.ctx.task.id}): the deleted records carry no key column (${pk.join(',')})`);
    const targets = keyColumns.map((c) => quoteIdent(targetColumnName(this.ctx, c), 'target column'));
    const head = `DELETE FROM ${this.table} WHERE (${targets.join(',')}) IN (`;
    return (await this.inTransaction(records.length, async (conn) => {
      let values: string[] = [];
      let size = 0;
      const send = async (): Promise<void> => {
        if (values.length) await conn.query(`${head}${values.join(',')})`);
        values = [];
        size = 0;
      };
      for (const record of records) {
        const tuple = `(${keyColumns.map((c) => literal(record[c])).join(',')})`;
        if (values.length && size + tuple.length > this.maxBytes) await send();
        values.push(tuple);
        size += tuple.length + 1;
      }
      await send();
      return records.length;
    }))!;
  }

  /**
   * Run `fn` inside BEGIN ... COMMIT on one pooled connection; ROLLBACK when it throws or returns
   * undefined (LOAD DATA refused: nothing was written, the caller falls back).
   */
  private async inTransaction(rows: number, fn: (conn: PoolConnection) => Promise<number | undefined>): Promise<number | undefined> {
    const conn = await this.pool.getConnection();
    try {
      await conn.query('START TRANSACTION');
      const written = await fn(conn);
      if (written === undefined) await conn.query('ROLLBACK');
      else await conn.query('COMMIT');
      return written;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => conn.destroy());
      if (err instanceof WriteError) throw err;
      throw this.writeError(err, rows);
    } finally {
      conn.release();
    }
  }

  /** Where the target key's columns sit among a batch's source columns; undefined when one is missing. */
  private keyIndexes(columns: string[]): number[] | undefined {
    if (!this.targetKey) return undefined;
    const indexes = this.targetKey.columns.map((k) => columns.findIndex((c) => targetColumnName(this.ctx, c) === k));
    return indexes.every((i) => i >= 0) ? indexes : undefined;
  }

  /**
   * An upsert batch after reading the target's rows for its keys: fresh rows by plain LOAD DATA
   * (by the upsert statement when LOAD DATA is off), changed rows by the upsert statement,
   * unchanged rows not at all (counted as written: the target holds them exactly).
   * @returns rows written and how many were changed; 'conflict' when the load met a duplicate key (another unique index, a
   *   collation that matches keys the comparison did not, a concurrent writer); 'redo' when LOAD
   *   DATA was refused or warned about a value. Either way the caller rolls back and upserts the
   *   whole batch with statements, whose errors name a bad value exactly.
   */
  private async splitUpsert(conn: PoolConnection, records: SyncRecord[], columns: string[], keyIndexes: number[], write: BatchWrite): Promise<{ written: number; changed: number } | 'conflict' | 'redo'> {
    const { fresh, changed, unchanged } = await splitByTarget(conn, {
      table: this.table, targets: write.shape.targets, columns, keyIndexes, integerKey: this.targetKey!.integer, maxBytes: this.maxBytes,
      floatTargets: this.targetKey!.floats,
    }, records);
    let written = unchanged;
    const upserts = this.useLoadData ? changed : [...changed, ...fresh];
    if (this.useLoadData && fresh.length) {
      const insert: BatchWrite = { mode: 'insert', shape: write.shape, countAll: false, duplicateIsConflict: true };
      try {
        const loaded = await this.loadData(conn, fresh, columns, insert);
        if (loaded === undefined) return 'redo';
        written += loaded;
      } catch (err) {
        if (err instanceof DuplicateKeyConflict) return 'conflict';
        if (err instanceof DataWarningError) return 'redo';
        throw err;
      }
    }
    if (upserts.length) written += await this.insertStatements(conn, upserts, columns, write);
    return { written, changed: changed.length };
  }

  /** Multi-row INSERT / REPLACE / upsert statements, each at most `max_statement_bytes`. */
  private async insertStatements(conn: PoolConnection, records: SyncRecord[], columns: string[], write: BatchWrite): Promise<number> {
    let values: string[] = [];
    let size = 0;
    let written = 0;
    for (const record of records) {
      let row = '(';
      for (let i = 0; i < columns.length; i++) row += (i ? ',' : '') + literal(record[columns[i]]);
      row += ')';
      if (values.length && size + row.length > this.maxBytes) {
        written += await this.send(conn, write, values);
        values = [];
        size = 0;
      }
      values.push(row);
      size += row.length + 1;
    }
    written += await this.send(conn, write, values);
    return written;
  }

  private async send(conn: PoolConnection, write: BatchWrite, values: string[]): Promise<number> {
    const [result] = await conn.query(write.shape.head + values.join(',') + write.shape.tail);
    return this.checkedRows(conn, result as ResultSetHeader, values.length, write);
  }

  /**
   * Write a batch with `LOAD DATA LOCAL INFILE` (the server parses it faster than INSERT text).
   * LOCAL turns data errors and duplicates into warnings after the rows are in, which is why the
   * caller holds a transaction open until the warnings are checked.
   * @returns rows written, or undefined when the server refuses LOCAL INFILE (caller falls back)
   */
  private async loadData(conn: PoolConnection, records: SyncRecord[], columns: string[], write: BatchWrite): Promise<number | undefined> {
    const { body, columnClause } = buildLoadData(records, columns, write.shape.targets);
    const verb = write.mode === 'replace' ? ' REPLACE' : write.mode === 'ignore' ? ' IGNORE' : '';
    const sql = `LOAD DATA LOCAL INFILE 'goshift-batch'${verb} INTO TABLE ${this.table} CHARACTER SET utf8mb4`
      + ` FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ${columnClause}`;
    const result = await this.runLoad(conn, sql, body);
    return result && this.checkedRows(conn, result, records.length, write);
  }

  /**
   * Send one `LOAD DATA LOCAL INFILE` statement with `body` as its file.
   * @returns its result, or undefined when the server refuses LOCAL INFILE (the session then
   *   stops using LOAD DATA and says so once)
   */
  private async runLoad(conn: PoolConnection, sql: string, body: Buffer): Promise<ResultSetHeader | undefined> {
    try {
      const [result] = await conn.query({ sql, infileStreamFactory: payloadStream(body) });
      return result as ResultSetHeader;
    } catch (err) {
      if (!localInfileRefused.has((err as { errno?: number }).errno ?? 0)) throw err;
      this.useLoadData = false;
      this.ctx.logger.warn(`task ${this.ctx.task.id}: the target refuses LOAD DATA LOCAL INFILE (${(err as Error).message}); writing with INSERT statements`);
      return undefined;
    }
  }

  /**
   * Rows one statement really wrote, after checking its warnings: any warning but a deprecation
   * notice, or a skipped duplicate in `ignore` mode, fails the batch (the caller rolls it back).
   * In `ignore` mode skipped duplicates are `rows - affectedRows`; REPLACE and upsert count a
   * changed row twice in `affectedRows`, so they report the rows sent.
   */
  private async checkedRows(conn: PoolConnection, result: ResultSetHeader, rows: number, write: BatchWrite): Promise<number> {
    const ignore = write.mode === 'ignore';
    const inserted = ignore ? Number(result.affectedRows) : rows;
    const counted = write.countAll ? rows : inserted;
    const warnings = Number(result.warningStatus ?? 0);
    if (warnings === 0) return counted;
    const [list] = await conn.query('SHOW WARNINGS');
    const shown = list as { Code: number; Message: string }[];
    if (write.duplicateIsConflict && shown.some((w) => w.Code === duplicateKeyWarning)) throw new DuplicateKeyConflict();
    const serious = shown.filter((w) => w.Code !== deprecationWarning && !(ignore && w.Code === duplicateKeyWarning));
    if (serious.length) throw new DataWarningError(serious.slice(0, 3).map((w) => w.Message).join('; '));
    // SHOW WARNINGS lists at most max_error_count entries: count what the list cannot show.
    const explained = shown.filter((w) => w.Code === deprecationWarning).length + (ignore ? rows - inserted : 0);
    if (warnings > explained) throw new DataWarningError(`${warnings - explained} warnings beyond the ${shown.length} the server listed (a value would not be stored exactly)`);
    return counted;
  }

  private writeError(err: unknown, rows: number): WriteError {
    const e = err as { code?: string; errno?: number; message: string };
    const t = `${this.ctx.task.to_db}.${this.ctx.task.to_table}`;
    if (e.code === 'ER_NO_SUCH_TABLE') return new WriteError(`target table ${t} does not exist (task ${this.ctx.task.id})`, { cause: err });
    if (err instanceof DataWarningError || dataErrnos.has(e.errno ?? 0)) {
      return new RejectedError(`writing ${rows} rows to ${t} failed (task ${this.ctx.task.id}): ${e.message}`, { cause: err, reason: e.message });
    }
    return new WriteError(`writing ${rows} rows to ${t} failed (task ${this.ctx.task.id}): ${e.message}`, { cause: err });
  }

  private shape(columns: string[], mode: MysqlWriteMode): StatementShape {
    const cacheKey = `${mode}\u0000${columns.join('\u0000')}`;
    let shape = this.shapes.get(cacheKey);
    if (!shape) {
      shape = statementShape(this.ctx, this.table, mode, columns);
      this.shapes.set(cacheKey, shape);
    }
    return shape;
  }

  protected async release(): Promise<void> {
    await this.pool.end();
  }
}

/** MySQL writer: checks the target and mapped columns, runs pre/post SQL, opens writing sessions. */
export const mysqlWriter: WriterFactory = {
  deletes: true,
  // One transaction per read batch: a LOAD DATA or an upsert of 5000 rows costs the server a
  // fifth less than ten of 500 (bench: `make bench BENCH_ARGS=mysql-cross`).
  defaultWriteBatch: 5000,

  async validate(ctx) {
    writeMode(ctx);
    await withPool(ctx, 'to', async (pool) => {
      const { task, params } = ctx;
      qualifiedTable(task.to_db, task.to_table, `task ${task.id} target`);
      const columns = await tableColumns(pool, task.to_db, task.to_table);
      if (columns.length === 0) {
        throw new WriteError(`target table ${task.to_db}.${task.to_table} does not exist (task ${task.id}, to.mysql.${task.to_app}_${task.to_db})`);
      }
      if (!(await isTransactional(pool, task.to_db, task.to_table))) {
        ctx.logger.warn(`task ${task.id}: target table ${task.to_db}.${task.to_table} uses an engine without transactions: a batch that fails half way cannot be rolled back`);
      }
      const wanted = [...Object.values(params.column_map), params.pk.dest, params.diff_column.dest].filter(Boolean);
      const bad = wanted.filter((c) => !columns.includes(c));
      if (bad.length) {
        throw new TaskError(`task ${task.id}: target column ${bad.map((b) => `"${b}"`).join(', ')} not found in ${task.to_db}.${task.to_table} (columns: ${columns.join(', ')})`);
      }
    });
  },

  settings(ctx) {
    const mode = writeMode(ctx);
    const how = mode === 'upsert' ? 'INSERT ... ON DUPLICATE KEY UPDATE'
      : ctx.params.load_data !== false ? 'LOAD DATA LOCAL INFILE, one transaction per batch' : mode === 'replace' ? 'REPLACE' : mode === 'ignore' ? 'INSERT IGNORE' : 'INSERT';
    return {
      write_mode: `${mode}${ctx.params.write_mode ? '' : ' (default)'}: ${how}`,
      ...(mode === 'upsert' ? { streamed_upsert: `each batch first reads the target's rows for its keys: ${ctx.params.load_data !== false ? 'new rows by LOAD DATA LOCAL INFILE, ' : ''}changed rows upserted, identical rows left alone` } : {}),
      write_batch: String(writeBatchOf(ctx.params, mysqlWriter)),
    };
  },

  async columns(ctx) {
    return withPool(ctx, 'to', (pool) => tableColumns(pool, ctx.task.to_db, ctx.task.to_table));
  },

  async before(ctx) {
    if (ctx.params.pre_sql.length) await withPool(ctx, 'to', (pool) => runStatements(pool, ctx, ctx.params.pre_sql, 'pre_sql'));
  },

  async after(ctx) {
    if (ctx.params.post_sql.length) await withPool(ctx, 'to', (pool) => runStatements(pool, ctx, ctx.params.post_sql, 'post_sql'));
  },

  async open(ctx) {
    const pool = await openPool(ctx.connection as unknown as MysqlConnection, ctx, 'to', ctx.shardsPerThread);
    try {
      return new MysqlWriterSession(pool, ctx, writeMode(ctx) === 'upsert' ? await targetKey(pool, ctx) : undefined);
    } catch (err) {
      await pool.end();
      throw err;
    }
  },
};

/** The target table's primary key (else first NOT NULL unique key); undefined when it has none. */
async function targetKey(pool: Pool, ctx: PluginContext): Promise<TargetKey | undefined> {
  const { to_db: schema, to_table: table } = ctx.task;
  const columns = await detectKey(pool, schema, table);
  if (columns.length === 0) return undefined;
  const floats = new Set([...(await floatColumns(pool, schema, table))].map((c) => quoteIdent(c, 'target column')));
  return { columns, integer: columns.length === 1 && (await isIntegerColumn(pool, schema, table, columns[0])), floats };
}

async function runStatements(pool: Pool, ctx: PluginContext, statements: string[], what: string): Promise<void> {
  for (const [i, sql] of statements.entries()) {
    try {
      await pool.query(sql);
    } catch (err) {
      throw new WriteError(`task ${ctx.task.id}: params.${what}[${i}] failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
