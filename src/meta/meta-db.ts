import mysql from 'mysql2/promise';
import type { GoshiftConfig } from '../config/schema';
import { ConfigError, TaskError } from '../errors';

/** A connection pool to the metadata schema named by `task_meta`. */
export type MetaDb = mysql.Pool;

/**
 * Open the metadata database. With `createSchema` the schema is created when missing (init-db).
 * @throws ConfigError when the server cannot be reached or refuses the login
 */
export async function openMetaDb(config: GoshiftConfig, createSchema = false): Promise<MetaDb> {
  const m = config.task_meta;
  const base = {
    host: m.socketPath ? undefined : m.host,
    port: m.port,
    socketPath: m.socketPath || undefined,
    user: m.user,
    password: m.password,
    charset: 'utf8mb4_general_ci',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10000,
  };
  const where = m.socketPath ? `socket ${m.socketPath}` : `${m.host}:${m.port}`;
  try {
    if (createSchema) {
      const admin = await mysql.createConnection(base);
      await admin.query(`SET SESSION sql_mode = '${metaSessionMode}'`);
      await admin.query(`CREATE DATABASE IF NOT EXISTS ${quoteMetaDb(m.db)} DEFAULT CHARACTER SET utf8mb4`);
      await admin.end();
    }
    const pool = mysql.createPool({ ...base, database: m.db, connectionLimit: 3 });
    pinSessionMode(pool);
    await pool.query('SELECT 1');
    return pool;
  } catch (err) {
    const e = err as { code?: string; message: string };
    if (e.code === 'ER_BAD_DB_ERROR') {
      throw new TaskError(`metadata schema "${m.db}" does not exist on ${where}: run \`goshift init-db -e <env>\` (config ${config.source})`, { cause: err });
    }
    throw new ConfigError(`cannot reach metadata database task_meta at ${where} as ${m.user}: ${e.message} (config ${config.source})`, { cause: err });
  }
}

/**
 * The sql_mode of every metadata session. mysql2 escapes values on the client with backslashes and
 * goshift quotes names with backticks, so a server whose global mode has NO_BACKSLASH_ESCAPES or
 * ANSI_QUOTES would read a quote inside an error text as the end of the string. Pinning the mode
 * per session makes every statement mean the same on any server.
 */
export const metaSessionMode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';

/**
 * Set {@link metaSessionMode} on each new connection before any statement of goshift's runs on it
 * (mysql2 queues commands per connection). A connection that refuses it is destroyed, so nothing
 * runs under the server's own mode.
 */
function pinSessionMode(pool: mysql.Pool): void {
  pool.pool.on('connection', (conn) => {
    conn.query(`SET SESSION sql_mode = '${metaSessionMode}'`, (err: unknown) => {
      if (err) conn.destroy();
    });
  });
}

function quoteMetaDb(name: string): string {
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) throw new ConfigError(`task_meta.db "${name}" is not a valid schema name`);
  return `\`${name}\``;
}
