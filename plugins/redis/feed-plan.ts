import type { PluginContext, Shard } from '../../src/sdk';
import { KeyTemplate, TaskError } from '../../src/sdk';
import type { RedisHandle } from './client';
import { keyPattern, redisParams } from './config';
import { ensureNotifications } from './notify';

/** Shard spec of a feed shard. */
export interface FeedSpec {
  kind: 'feed';
  /** host:port of the servers (Cluster masters) it follows. */
  nodes: string[];
  /** How it catches up (and re-scans): every key of its servers, or the task's dirty set. */
  catchUp: 'scan' | 'dirty';
}

/**
 * `-mode stream` shards: one unbounded feed shard per server (Cluster master; with fewer
 * `worker_num` than masters, some shards follow several) that catches up with a full scan of its
 * servers, or, when the task uses a dirty set (whose keys live on any master),
 * one feed shard following every master that catches up from the dirty set.
 */
export function planFeed(ctx: PluginContext, handle: RedisHandle): Shard[] {
  const pattern = feedPattern(ctx);
  const masters = handle.masters().map((m) => m.address);
  const notes = `keyspace notifications${redisParams(ctx).rescan_seconds > 0 ? `, re-scan every ${redisParams(ctx).rescan_seconds}s` : ''}`;
  if (redisParams(ctx).mode === 'dirty_set') {
    const spec: FeedSpec = { kind: 'feed', nodes: masters, catchUp: 'dirty' };
    return [{
      id: 'feed',
      label: `change feed of "${pattern}" in db ${handle.db} on ${masters.join(', ')}: catch up from the dirty set, then follow ${notes}`,
      unbounded: true,
      spec: spec as unknown as Record<string, unknown>,
    }];
  }
  // Feeds never end, so every one must run at once: at most worker_num shards, masters spread over them.
  const n = Math.max(1, Math.min(ctx.params.worker_num, masters.length));
  const groups: string[][] = Array.from({ length: n }, () => []);
  masters.forEach((address, i) => groups[i % n].push(address));
  return groups.map((nodes, i) => {
    const spec: FeedSpec = { kind: 'feed', nodes, catchUp: 'scan' };
    return {
      id: !handle.cluster ? 'feed' : nodes.length === 1 ? `${nodes[0]}/feed` : `feed-${i + 1}-of-${n}`,
      label: `change feed of "${pattern}" in db ${handle.db} on ${nodes.join(', ')}: catch up with a full scan, then follow ${notes}`,
      unbounded: true,
      spec: spec as unknown as Record<string, unknown>,
    };
  });
}

/**
 * The keys a feed follows: the task's key pattern, except when from_table names the dirty set
 * (dirty_set mode without params.dirty_set): then the key template's pattern, else every key.
 */
export function feedPattern(ctx: PluginContext): string {
  const p = redisParams(ctx);
  if (p.mode !== 'dirty_set' || p.dirty_set) return keyPattern(ctx);
  const template = ctx.params.key_template;
  return typeof template === 'string' && template ? new KeyTemplate(template).matchPattern() : '*';
}

/**
 * Before a stream run (`validate`, also under `plan`): `--key` does not combine with it, and unless
 * `params.enable_notifications` will set them, every master must publish keyspace notifications.
 * @throws TaskError naming the server and how to enable them
 */
export async function checkFeed(ctx: PluginContext, handle: RedisHandle): Promise<void> {
  if (ctx.keys.length) throw new TaskError(`task ${ctx.task.id}: --key copies named keys once; it does not combine with -mode stream`);
  if (redisParams(ctx).enable_notifications) return;
  for (const { address, client } of handle.masters()) await ensureNotifications(client, where(address, handle), false, (line) => ctx.logger.warn(line));
}

/** `params.enable_notifications` in a real run (`prepare`, never under `plan`): set them on every master. */
export async function enableFeedNotifications(ctx: PluginContext, handle: RedisHandle): Promise<void> {
  for (const { address, client } of handle.masters()) await ensureNotifications(client, where(address, handle), true, (line) => ctx.logger.warn(line));
}

/** How messages name one server of the source. */
export function where(address: string, handle: RedisHandle): string {
  return `redis source ${address} (db ${handle.db})`;
}

/** `plan`'s effective settings of a stream run (none otherwise). */
export function feedSettings(ctx: PluginContext): Record<string, string> {
  if (ctx.mode !== 'stream') return {};
  const p = redisParams(ctx);
  return {
    follows: `keyspace notifications of "${feedPattern(ctx)}" after a catch-up from ${p.mode === 'dirty_set' ? 'the dirty set' : 'a full scan'}`,
    enable_notifications: p.enable_notifications ? 'true: notify-keyspace-events is set on every master (CONFIG SET)' : 'false: every master must already publish them (notify-keyspace-events KA)',
    rescan_seconds: p.rescan_seconds > 0 ? `${p.rescan_seconds}, and after a reconnect or a queue overflow` : '0: re-scan only after a reconnect or a queue overflow',
    stream_queue_keys: String(p.stream_queue_keys),
    propagate_deletes: String(ctx.params.propagate_deletes),
  };
}
