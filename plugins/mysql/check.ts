import type { PluginContext } from '../../src/sdk';
import { serverAddress, withPool } from './connection';
import type { MysqlConnection } from './config';

/** `goshift conn test` for a mysql entry: log in, read the server version, name the database. */
export async function checkMysql(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const conn = ctx.connection as unknown as MysqlConnection;
  return withPool(ctx, side, async (pool) => {
    const [rows] = await pool.query('SELECT VERSION() AS version, DATABASE() AS db');
    const { version, db } = (rows as { version: string; db: string | null }[])[0];
    const product = /mariadb/i.test(version) ? 'MariaDB' : 'MySQL';
    return `${product} ${version.replace(/-MariaDB.*$/i, '')} at ${serverAddress(conn)}${db ? `, database ${db}` : ''}`;
  });
}
