import type { Pool } from 'mysql2/promise';
import type { Batch, PluginContext, WriterFactory, WriterSession } from '../../src/contract';
import { TaskError, WriteError } from '../../src/errors';
import { MysqlConnection, MysqlWriteMode, mysqlWriteModes } from './config';
import { openPool, withPool } from './connection';
import { tableColumns } from './schema-info';
import { buildLoadData, payloadStream } from './load-data';
import { literal, qualifiedTable, quoteIdent } from './sql';

/** Server errors meaning "LOAD DATA LOCAL is disabled here": fall back to INSERT statements. */
const localInfileRefused = new Set([1148, 3948, 2068]);

/** Warning code of a duplicate key, expected (and harmless) in `ignore` mode. */
const duplicateKeyWarning = 1062;

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
  const mapped = ctx.params.column_map[source];
  if (mapped) return mapped;
  if (ctx.params.pk.src && ctx.params.pk.dest && source === ctx.params.pk.src) return ctx.params.pk.dest;
  return source;
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
 * `max_statement_bytes`.
 */
export class MysqlWriterSession implements WriterSession {
  private readonly table: string;
  private readonly mode: MysqlWriteMode;
  private readonly shapes = new Map<string, StatementShape>();
  private readonly maxBytes: number;
  private useLoadData: boolean;
  private closed = false;

  constructor(private readonly pool: Pool, private readonly ctx: PluginContext) {
    this.table = qualifiedTable(ctx.task.to_db, ctx.task.to_table, `task ${ctx.task.id} target`);
    this.mode = writeMode(ctx);
    this.maxBytes = Number(ctx.params.max_statement_bytes) || 4 * 1024 * 1024;
    // LOAD DATA has no ON DUPLICATE KEY UPDATE: upsert always uses INSERT statements.
    this.useLoadData = ctx.params.load_data !== false && this.mode !== 'upsert';
  }

  async write(batch: Batch): Promise<number> {
    if (this.closed) throw new WriteError('mysql writer session is closed');
    const records = batch.records;
    if (records.length === 0) return 0;
    const columns = batch.columns ?? Object.keys(records[0]);
    const shape = this.shape(columns);
    if (this.useLoadData) {
      const loaded = await this.loadData(records, columns, shape);
      if (loaded !== undefined) return loaded;
    }
    let values: string[] = [];
    let size = 0;
    let written = 0;
    for (const record of records) {
      let row = '(';
      for (let i = 0; i < columns.length; i++) row += (i ? ',' : '') + literal(record[columns[i]]);
      row += ')';
      if (values.length && size + row.length > this.maxBytes) {
        written += await this.send(shape, values);
        values = [];
        size = 0;
      }
      values.push(row);
      size += row.length + 1;
    }
    written += await this.send(shape, values);
    return written;
  }

  private async send(shape: StatementShape, values: string[]): Promise<number> {
    try {
      await this.pool.query(shape.head + values.join(',') + shape.tail);
    } catch (err) {
      throw this.writeError(err, values.length);
    }
    return values.length;
  }

  /**
   * Write a batch with `LOAD DATA LOCAL INFILE` (the server parses it faster than INSERT text).
   * LOCAL turns data errors into warnings, so any warning but an expected duplicate fails the batch.
   * @returns rows written, or undefined when the server refuses LOCAL INFILE (caller falls back)
   */
  private async loadData(records: Batch['records'], columns: string[], shape: StatementShape): Promise<number | undefined> {
    const { body, columnClause } = buildLoadData(records, columns, shape.targets);
    const verb = this.mode === 'replace' ? ' REPLACE' : this.mode === 'ignore' ? ' IGNORE' : '';
    const sql = `LOAD DATA LOCAL INFILE 'goshift-batch'${verb} INTO TABLE ${this.table} CHARACTER SET utf8mb4`
      + ` FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ${columnClause}`;
    const conn = await this.pool.getConnection();
    try {
      const [result] = await conn.query({ sql, infileStreamFactory: payloadStream(body) });
      if ((result as { warningStatus?: number }).warningStatus) {
        const [warnings] = await conn.query('SHOW WARNINGS LIMIT 20');
        const serious = (warnings as { Code: number; Message: string }[]).filter((w) => !(this.mode === 'ignore' && w.Code === duplicateKeyWarning));
        if (serious.length) throw new Error(serious.slice(0, 3).map((w) => w.Message).join('; '));
      }
      return records.length;
    } catch (err) {
      if (localInfileRefused.has((err as { errno?: number }).errno ?? 0)) {
        this.useLoadData = false;
        this.ctx.logger.warn(`task ${this.ctx.task.id}: the target refuses LOAD DATA LOCAL INFILE (${(err as Error).message}); writing with INSERT statements`);
        return undefined;
      }
      throw this.writeError(err, records.length);
    } finally {
      conn.release();
    }
  }

  private writeError(err: unknown, rows: number): WriteError {
    const e = err as { code?: string; message: string };
    const t = `${this.ctx.task.to_db}.${this.ctx.task.to_table}`;
    if (e.code === 'ER_NO_SUCH_TABLE') return new WriteError(`target table ${t} does not exist (task ${this.ctx.task.id})`, { cause: err });
    return new WriteError(`writing ${rows} rows to ${t} failed (task ${this.ctx.task.id}): ${e.message}`, { cause: err });
  }

  private shape(columns: string[]): StatementShape {
    const cacheKey = columns.join('\u0000');
    let shape = this.shapes.get(cacheKey);
    if (!shape) {
      shape = statementShape(this.ctx, this.table, this.mode, columns);
      this.shapes.set(cacheKey, shape);
    }
    return shape;
  }

  async flush(): Promise<void> {
    // Every write is an autocommitted statement: nothing is buffered.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** MySQL writer: checks the target and mapped columns, runs pre/post SQL, opens writing sessions. */
export const mysqlWriter: WriterFactory = {
  async validate(ctx) {
    writeMode(ctx);
    await withPool(ctx, 'to', async (pool) => {
      const { task, params } = ctx;
      qualifiedTable(task.to_db, task.to_table, `task ${task.id} target`);
      const columns = await tableColumns(pool, task.to_db, task.to_table);
      if (columns.length === 0) {
        throw new WriteError(`target table ${task.to_db}.${task.to_table} does not exist (task ${task.id}, to.mysql.${task.to_app}_${task.to_db})`);
      }
      const wanted = [...Object.values(params.column_map), params.pk.dest, params.diff_column.dest].filter(Boolean);
      const bad = wanted.filter((c) => !columns.includes(c));
      if (bad.length) {
        throw new TaskError(`task ${task.id}: target column ${bad.map((b) => `"${b}"`).join(', ')} not found in ${task.to_db}.${task.to_table} (columns: ${columns.join(', ')})`);
      }
    });
  },

  async before(ctx) {
    if (ctx.params.pre_sql.length) await withPool(ctx, 'to', (pool) => runStatements(pool, ctx, ctx.params.pre_sql, 'pre_sql'));
  },

  async after(ctx) {
    if (ctx.params.post_sql.length) await withPool(ctx, 'to', (pool) => runStatements(pool, ctx, ctx.params.post_sql, 'post_sql'));
  },

  async open(ctx) {
    return new MysqlWriterSession(await openPool(ctx.connection as unknown as MysqlConnection, ctx, 'to', ctx.params.worker_num), ctx);
  },
};

async function runStatements(pool: Pool, ctx: PluginContext, statements: string[], what: string): Promise<void> {
  for (const [i, sql] of statements.entries()) {
    try {
      await pool.query(sql);
    } catch (err) {
      throw new WriteError(`task ${ctx.task.id}: params.${what}[${i}] failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
