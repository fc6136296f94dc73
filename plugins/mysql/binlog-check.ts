/** What a mysql source must offer before `-mode stream` can follow its binlog; each miss is one line. */
import type { Pool } from 'mysql2/promise';
import { PluginContext, ReadError, TaskError } from '../../src/sdk';
import { entryPath } from './connection';

/** Server settings the binlog feed needs, and the value each must have. */
const required: [variable: string, wanted: string, why: string][] = [
  ['log_bin', '1', 'the server writes no binlog; start it with log_bin'],
  ['binlog_format', 'ROW', 'row events carry the changed rows; set binlog_format=ROW'],
  ['binlog_row_image', 'FULL', 'updates must carry whole rows; set binlog_row_image=FULL'],
  ['binlog_row_metadata', 'FULL', 'events must carry their own column names so events written before an ALTER decode right; set binlog_row_metadata=FULL (MySQL 8, MariaDB 10.5+)'],
];

/**
 * Refuse a source whose binlog cannot be followed: binlog off, not ROW, not FULL image or
 * metadata, no REPLICATION SLAVE / REPLICATION CLIENT grant, a table without a primary key.
 * @throws TaskError naming the server entry, the setting and its value
 */
export async function checkBinlogSource(pool: Pool, ctx: PluginContext, key: string[]): Promise<void> {
  const where = `mysql source ${entryPath(ctx, 'from')}`;
  for (const [variable, wanted, why] of required) {
    let value: string;
    try {
      const [rows] = await pool.query({ sql: `SELECT @@GLOBAL.${variable}`, rowsAsArray: true });
      value = String((rows as unknown[][])[0][0]).toUpperCase();
    } catch (err) {
      throw new TaskError(`task ${ctx.task.id}: -mode stream needs ${variable}=${wanted} on ${where}, which has no such setting (MySQL 8 or MariaDB 10.5+ needed)`, { cause: err });
    }
    const ok = variable === 'log_bin' ? value === '1' || value === 'ON' : value === wanted;
    if (!ok) throw new TaskError(`task ${ctx.task.id}: -mode stream reads the binlog, but ${where} has ${variable}=${value}: ${why}`);
  }
  const grants = await currentGrants(pool);
  const has = (...names: string[]) => grants.some((g) => g.includes('ALL PRIVILEGES ON *.*') || names.some((n) => g.includes(n)));
  if (!has('REPLICATION SLAVE', 'REPLICATION REPLICA')) throw new TaskError(`task ${ctx.task.id}: -mode stream reads the binlog, but the user of ${where} lacks the REPLICATION SLAVE grant (GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ...)`);
  if (!has('REPLICATION CLIENT', 'BINLOG MONITOR')) throw new TaskError(`task ${ctx.task.id}: -mode stream reads binlog positions, but the user of ${where} lacks the REPLICATION CLIENT grant (GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ...)`);
  if (key.length === 0) throw new TaskError(`task ${ctx.task.id}: -mode stream needs a primary key on ${ctx.task.from_db}.${ctx.task.from_table} to apply updates and deletes, and it has none (or set params.pk.src)`);
}

/** The grant lines of the connected user, upper case. */
async function currentGrants(pool: Pool): Promise<string[]> {
  try {
    const [rows] = await pool.query({ sql: 'SHOW GRANTS', rowsAsArray: true });
    return (rows as unknown[][]).map((r) => String(r[0]).toUpperCase());
  } catch (err) {
    throw new ReadError('could not read the grants of the mysql source user (SHOW GRANTS)', { cause: err });
  }
}
