import type { Pool } from 'mysql2/promise';
import type { PluginContext, ReaderFactory, WriterFactory } from '../../src/sdk';
import { TaskError } from '../../src/sdk';
import type { MysqlConnection } from './config';
import { entryPath, serverAddress, withPool } from './connection';

/**
 * Share of a server's `max_connections` one task may hold: half, so the applications that use the
 * server keep the other half. Each shard in flight holds one connection per mysql side, so a task
 * needs `worker_num` connections per side, twice that when source and target are both mysql
 * (they may be one server).
 */
export const maxConnectionsShare = 0.5;

/** The server's `@@max_connections`. */
export async function serverMaxConnections(pool: Pool): Promise<number> {
  const [rows] = await pool.query({ sql: 'SELECT @@max_connections', rowsAsArray: true });
  return Number((rows as unknown[][])[0][0]);
}

/**
 * Refuse a task whose `worker_num` would take more than {@link maxConnectionsShare} of this side's
 * server's `max_connections`, before any shard runs (too many connections make the server refuse
 * everyone, goshift's own retries included).
 * @throws TaskError naming the task, the server, worker_num, the limit and what to do
 * @example await checkConnectionShare(ctx, 'from') // worker_num 100 on a server with max_connections 151: refused
 */
export async function checkConnectionShare(ctx: PluginContext, side: 'from' | 'to'): Promise<void> {
  const max = await withPool(ctx, side, serverMaxConnections);
  const workerNum = ctx.params.worker_num;
  // The peer shares mysql's native format only when it is mysql too (possibly the same server).
  const bothMysql = ctx.peerNative;
  const sides = bothMysql ? 2 : 1;
  const allowed = Math.floor(max * maxConnectionsShare);
  const needed = workerNum * sides;
  if (needed <= allowed) return;
  const conn = ctx.connection as unknown as MysqlConnection;
  const why = bothMysql ? `source and target are both mysql, so up to ${needed} connections` : `up to ${needed} connections`;
  const largest = Math.floor(allowed / sides);
  const fix = largest >= 1 ? `set params.worker_num to ${largest} or less, or raise max_connections on the server` : 'raise max_connections on the server';
  throw new TaskError(
    `task ${ctx.task.id}: params.worker_num ${workerNum} is too high for mysql at ${serverAddress(conn)} (${entryPath(ctx, side)}): `
    + `${why}, more than half of its max_connections ${max} (${allowed}); ${fix}`,
  );
}

/**
 * A reader or writer factory whose `validate` first checks the connection share of its side
 * ({@link checkConnectionShare}), then runs the factory's own checks.
 * @example reader: withConnectionShare(mysqlReader, 'from')
 */
export function withConnectionShare<F extends ReaderFactory | WriterFactory>(factory: F, side: 'from' | 'to'): F {
  return {
    ...factory,
    async validate(ctx: PluginContext): Promise<void> {
      await checkConnectionShare(ctx, side);
      await factory.validate?.(ctx);
    },
  };
}
