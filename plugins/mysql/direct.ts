import type { Pool } from 'mysql2/promise';
import { DirectCopyCounters, DirectCopyFactory, DirectCopySession, PluginContext, SessionBase, Shard, WriteError } from '../../src/sdk';
import type { MysqlConnection } from './config';
import { openPool, withPool } from './connection';
import { shardFilters, SourceShape, sourceShape } from './reader';
import type { MysqlShardSpec } from './split';
import { qualifiedTable } from './sql';
import { statementShape, StatementShape, writeMode } from './writer';

/** What identifies a server process: two entries answering the same are one server. */
async function serverIdentity(pool: Pool): Promise<string> {
  const [rows] = await pool.query({ sql: 'SELECT @@hostname, @@port, @@datadir, @@version', rowsAsArray: true });
  return JSON.stringify((rows as unknown[][])[0]);
}

/** `Records: 5000  Duplicates: 12  Warnings: 0` of an INSERT ... SELECT. */
function parseInfo(info: string | undefined): { records: number; duplicates: number } {
  const records = Number(/Records:\s*(\d+)/.exec(info ?? '')?.[1] ?? 0);
  const duplicates = Number(/Duplicates:\s*(\d+)/.exec(info ?? '')?.[1] ?? 0);
  return { records, duplicates };
}

/**
 * Copies each shard with one `INSERT ... SELECT` (or `REPLACE ... SELECT`, `INSERT IGNORE ...
 * SELECT`, `... ON DUPLICATE KEY UPDATE`) run by the target's connection: rows never leave the
 * server, so values are exact by construction.
 */
export class MysqlDirectCopySession extends SessionBase implements DirectCopySession {
  protected readonly description = 'mysql direct-copy session';

  constructor(
    private readonly pool: Pool,
    private readonly shape: SourceShape,
    private readonly statement: StatementShape,
    private readonly readerCtx: PluginContext,
    /** Average row size from table statistics: the copy's bytes are estimated, never transferred. */
    private readonly avgRowBytes: number,
  ) {
    super();
  }

  async copy(shard: Shard, opts: { signal: AbortSignal }): Promise<DirectCopyCounters> {
    this.assertOpen();
    if (opts.signal.aborted) return { rowsRead: 0, rowsWritten: 0, bytes: 0 };
    const filters = shardFilters(this.shape, shard.spec as MysqlShardSpec, this.readerCtx);
    const where = filters.length ? ` WHERE ${filters.join(' AND ')}` : '';
    const sql = `${this.statement.into} SELECT ${this.shape.select} FROM ${this.shape.table}${where}${this.statement.tail}`;
    let result;
    try {
      [result] = await this.pool.query(sql);
    } catch (err) {
      const t = this.readerCtx.task;
      throw new WriteError(`copying shard ${shard.id} of ${t.from_db}.${t.from_table} into ${t.to_db}.${t.to_table} on the server failed (task ${t.id}): ${(err as Error).message}`, { cause: err });
    }
    const { records, duplicates } = parseInfo((result as { info?: string }).info);
    const ignored = writeMode(this.readerCtx) === 'ignore' ? duplicates : 0;
    return { rowsRead: records, rowsWritten: records - ignored, bytes: records * this.avgRowBytes };
  }

  protected async release(): Promise<void> {
    await this.pool.end();
  }
}

/** MySQL same-server fast path: both entries reach one server and the target user can read the source. */
export const mysqlDirectCopy: DirectCopyFactory = {
  async supports(reader, writer) {
    const [source, target] = await Promise.all([
      withPool(reader, 'from', (pool) => serverIdentity(pool)),
      withPool(writer, 'to', async (pool) => {
        const identity = await serverIdentity(pool);
        const table = qualifiedTable(reader.task.from_db, reader.task.from_table, 'source');
        try {
          await pool.query(`SELECT 1 FROM ${table} LIMIT 0`);
        } catch {
          return 'target user cannot read the source';
        }
        return identity;
      }),
    ]);
    return source === target;
  },

  async open(reader, writer) {
    const pool = await openPool(writer.connection as unknown as MysqlConnection, writer, 'to', writer.shardsPerThread);
    try {
      const shape = await sourceShape(pool, reader);
      const table = qualifiedTable(writer.task.to_db, writer.task.to_table, `task ${writer.task.id} target`);
      const [stats] = await pool.query('SELECT AVG_ROW_LENGTH AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [reader.task.from_db, reader.task.from_table]);
      const avgRowBytes = Number((stats as { n: string | null }[])[0]?.n ?? 0);
      return new MysqlDirectCopySession(pool, shape, statementShape(writer, table, writeMode(writer), shape.columns), reader, avgRowBytes);
    } catch (err) {
      await pool.end();
      throw err;
    }
  },
};
