import { format } from 'mysql2';
import mysql from 'mysql2/promise';
import type { PluginContext } from '../../src/sdk';
import { ReadError, WriteError } from '../../src/sdk';
import type { MysqlConnection } from './config';

/**
 * Session settings both sides use so values cross unchanged: UTC for TIMESTAMP, no auto-id on 0,
 * strict, and a pinned sql_mode without NO_BACKSLASH_ESCAPES / ANSI_QUOTES: goshift's literals use
 * backslash escapes and its names backticks, so they must mean the same whatever the server's
 * global mode is.
 */
const sessionSql = [
  "SET SESSION time_zone = '+00:00'",
  "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
];

/** Extra settings of writer sessions: shards land in any order, so foreign keys are not checked. */
const writerSql = ['SET SESSION foreign_key_checks = 0'];

/** Where a side's connection entry lives, for messages: `from.mysql.local_dw_blog`. */
export function entryPath(ctx: PluginContext, side: 'from' | 'to'): string {
  const app = side === 'from' ? ctx.task.from_app : ctx.task.to_app;
  const db = side === 'from' ? ctx.task.from_db : ctx.task.to_db;
  return `${side}.mysql.${app}_${db}`;
}

/**
 * A mysql2 pool configured for exact copies: every value as text (BIGINT, DECIMAL, dates, JSON),
 * binary as Buffer, utf8mb4, UTC sessions. Opens one connection to fail fast on bad credentials.
 * @param extraSql session statements of this pool's own, run on every connection after the common ones
 * @throws ReadError / WriteError naming the host and the config entry
 */
export async function openPool(conn: MysqlConnection, ctx: PluginContext, side: 'from' | 'to', connectionLimit: number, extraSql: string[] = []): Promise<mysql.Pool> {
  const pool = mysql.createPool({
    host: conn.socketPath ? undefined : conn.host,
    port: conn.port,
    socketPath: conn.socketPath || undefined,
    user: conn.user,
    password: conn.password,
    database: conn.db || undefined,
    connectTimeout: conn.connectTimeout,
    connectionLimit,
    maxIdle: connectionLimit,
    charset: 'utf8mb4_general_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: 'Z',
    multipleStatements: false,
    // mysql2 scans every statement for `?` placeholders, even without values; the writer's
    // multi-row statements are megabytes of literals, so only statements with values are formatted.
    queryFormat: (sql: string, values?: unknown) => (Array.isArray(values) && values.length > 0 ? format(sql, values) : sql),
  });
  const extra = [...(side === 'to' ? writerSql : []), ...extraSql];
  // mysql2 queues commands per connection, so these run before any statement of goshift's; a
  // connection that refuses one is destroyed rather than used with the server's own settings.
  pool.pool.on('connection', (c) => {
    for (const sql of [...sessionSql, ...extra]) {
      c.query(sql, (err: unknown) => {
        if (err) c.destroy();
      });
    }
  });
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw connectError(err, conn, ctx, side);
  }
  return pool;
}

/** Where an entry points, for messages: `127.0.0.1:3306` or `socket /run/mysqld/mysqld.sock`. */
export function serverAddress(conn: MysqlConnection): string {
  return conn.socketPath ? `socket ${conn.socketPath}` : `${conn.host}:${conn.port}`;
}

/** One clear line for a failed connect (unreachable host, wrong password, unknown schema). */
export function connectError(err: unknown, conn: MysqlConnection, ctx: PluginContext, side: 'from' | 'to'): Error {
  const Cls = side === 'from' ? ReadError : WriteError;
  const where = serverAddress(conn);
  const e = err as { code?: string; message?: string };
  const reason = e.code === 'ER_ACCESS_DENIED_ERROR'
    ? `access denied for user "${conn.user}" (check the password)`
    : e.code === 'ECONNREFUSED'
      ? 'connection refused: nothing listens there (is the server running, is the port right?)'
      : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
        ? `host name not found (${e.code})`
        : e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH'
          ? `host unreachable (${e.code})`
          : e.message ?? String(err);
  return new Cls(`cannot connect to mysql at ${where} (${entryPath(ctx, side)}, task ${ctx.task.id}): ${reason}`, { cause: err });
}

/** Run `fn` on a one-connection pool of a side's entry (validation, planning, pre/post SQL), then close it. */
export async function withPool<T>(ctx: PluginContext, side: 'from' | 'to', fn: (pool: mysql.Pool) => Promise<T>): Promise<T> {
  const pool = await openPool(ctx.connection as unknown as MysqlConnection, ctx, side, 1);
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}
