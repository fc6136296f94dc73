/**
 * `-mode stream` for a mysql source: the snapshot (the key-range shards of `-mode init`) and one
 * unbounded binlog shard that runs after them, replaying from the position pinned before the
 * snapshot read anything (see docs/mysql-stream.md for why the overlap is harmless).
 */
import type { Pool } from 'mysql2/promise';
import { PluginContext, ReadError, Shard } from '../../src/sdk';
import { entryPath } from './connection';
import { BinlogPosition, currentPosition, isBinlogPosition } from './binlog-position';

/** Shard spec of the binlog shard (no position in it: the fingerprint stays the same across runs). */
export interface BinlogShardSpec {
  [key: string]: unknown;
  kind: 'binlog';
  schema: string;
  table: string;
}

/** The run-state key the pinned start position travels under (saved with the copy's positions). */
export const streamStartKey = 'stream_start';

/** Whether a shard is the binlog shard. */
export function isBinlogShard(shard: Shard): boolean {
  return (shard.spec as Partial<BinlogShardSpec>).kind === 'binlog';
}

/** The plan: the snapshot's shards, then the binlog shard after every one of them. */
export function planStream(ctx: PluginContext, snapshot: Shard[]): Shard[] {
  const spec: BinlogShardSpec = { kind: 'binlog', schema: ctx.task.from_db, table: ctx.task.from_table };
  return [...snapshot, {
    id: 'binlog',
    label: `binlog of ${ctx.task.from_db}.${ctx.task.from_table}: from the position pinned before the snapshot, then every change`,
    unbounded: true,
    after: snapshot.map((s) => s.id),
    spec,
  }];
}

/**
 * Pin where the binlog stands before the snapshot reads anything (a real run's prepare).
 * @throws ReadError when the server writes no binlog
 */
export async function pinStart(pool: Pool, ctx: PluginContext): Promise<Record<string, unknown>> {
  const at = await currentPosition(pool);
  if (!at) throw new ReadError(`task ${ctx.task.id}: mysql source ${entryPath(ctx, 'from')} shows no binlog position (SHOW MASTER STATUS is empty): is log_bin on?`);
  return { [streamStartKey]: at };
}

/** Where the binlog shard starts: after its saved position, else at the pinned start. */
export function feedStart(ctx: PluginContext, from: unknown): BinlogPosition {
  if (isBinlogPosition(from)) return from;
  const pinned = ctx.runState[streamStartKey];
  if (isBinlogPosition(pinned)) return pinned;
  throw new ReadError(`task ${ctx.task.id}: the binlog shard has no start position (the run's prepare did not pin one)`);
}
