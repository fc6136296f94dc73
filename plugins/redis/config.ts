import type { ConnectionConfig, PluginContext } from '../../src/sdk';
import { KeyTemplate, positiveInt, stringList } from '../../src/sdk';

/** A Cluster seed node. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** A validated `from.redis.<entry>` / `to.redis.<entry>` connection entry. */
export interface RedisConnection {
  host: string;
  port: number;
  /** Logical database; `null` = the task's `from_db`/`to_db` when it is a number, else 0. */
  db: number | null;
  username: string;
  password: string;
  /** `false`, `true` (host/port is a seed node) or a list of seed nodes. */
  cluster: boolean | NodeAddress[];
  tls: boolean;
  connect_timeout_ms: number;
  command_timeout_ms: number;
}

function parseNode(value: unknown): NodeAddress | null {
  if (typeof value === 'string') {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value.trim());
    return m ? { host: m[1], port: Number(m[2]) } : null;
  }
  if (value && typeof value === 'object') {
    const { host, port } = value as Record<string, unknown>;
    if (typeof host === 'string' && host && Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536) return { host, port: port as number };
  }
  return null;
}

/** Normalise the `cluster` setting: a list of seed nodes, or `null` for a standalone server. */
export function clusterSeeds(conn: RedisConnection): NodeAddress[] | null {
  if (conn.cluster === false) return null;
  if (conn.cluster === true) return [{ host: conn.host, port: conn.port }];
  return conn.cluster.map((n) => parseNode(n) as NodeAddress);
}

/** convict schema of one redis connection entry. */
export const redisConnectionSchema = {
  host: { doc: 'Server host (or the first seed node of a Cluster). Default is 127.0.0.1.', format: String, default: '127.0.0.1' },
  port: { doc: 'Server port. Default is 6379.', format: 'port', default: 6379 },
  db: {
    doc: 'Logical database 0..n. Default: the task\'s from_db/to_db when it is a number, else 0. Must be 0 in Cluster mode.',
    format: 'optional-nat',
    default: null as number | null,
  },
  username: { doc: 'ACL user name (Redis 6+). Default: none.', format: String, default: '' },
  password: { doc: 'Password (AUTH). Default: none.', format: String, default: '', sensitive: true },
  cluster: {
    doc: 'Redis Cluster: true (host/port is a seed node) or a list of seed nodes ["10.0.0.1:7000", {"host":..,"port":..}]. Default is false.',
    format: (v: unknown) => {
      if (typeof v === 'boolean') return;
      if (!Array.isArray(v) || v.length === 0 || v.some((n) => parseNode(n) === null)) {
        throw new Error(`must be true, false or a non-empty list of "host:port" nodes, got ${JSON.stringify(v)}`);
      }
    },
    default: false as boolean | unknown[],
  },
  tls: { doc: 'Connect with TLS. Default is false.', format: Boolean, default: false },
  connect_timeout_ms: { doc: 'Give up connecting after this many ms. Default is 5000.', format: 'nat', default: 5000 },
  command_timeout_ms: { doc: 'Fail a command that gets no reply in this many ms; 0 = no limit. Default is 60000.', format: 'nat', default: 60000 },
};

/** Params keys of the redis plugin (merged with the core keys of `src/params.ts`). */
export interface RedisParams {
  mode: 'scan' | 'dirty_set';
  dirty_set: string;
  dirty_processing_set: string;
  key_prefixes: string[];
  exclude_prefixes: string[];
  types: string[];
  copy_method: 'auto' | 'dump' | 'typed';
  collection_page: number;
  enable_notifications: boolean;
  rescan_seconds: number;
  stream_queue_keys: number;
}

const REDIS_TYPES = ['string', 'hash', 'list', 'set', 'zset', 'stream'];

function oneOf(name: string, allowed: string[]): (v: unknown) => void {
  return (v) => {
    if (typeof v !== 'string' || !allowed.includes(v)) throw new Error(`params.${name} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
  };
}

/**
 * convict schema of the redis params keys. The row <-> entry mapping keys (key_template,
 * value_format, key_column, value_column, ttl_column, ttl_seconds) are core keys: `src/records/params.ts`.
 */
export const redisParamsSchema = {
  mode: { doc: 'Redis source mode: "scan" (every key matching from_table) or "dirty_set" (keys listed in a set). Default is "scan".', format: oneOf('mode', ['scan', 'dirty_set']), default: 'scan' },
  dirty_set: { doc: 'dirty_set mode: the set applications add changed keys to. Default: from_table.', format: String, default: '' },
  dirty_processing_set: { doc: 'dirty_set mode: where keys wait until their write committed. Default: "{<dirty_set>}:processing".', format: String, default: '' },
  key_prefixes: { doc: 'Only keys starting with one of these prefixes. Default: all.', format: stringList('key_prefixes'), default: [] as string[] },
  exclude_prefixes: { doc: 'Skip keys starting with one of these prefixes. Default: none.', format: stringList('exclude_prefixes'), default: [] as string[] },
  types: {
    doc: `Only keys of these types (${REDIS_TYPES.join(', ')}). Default: all.`,
    format: (v: unknown) => {
      stringList('types')(v);
      const bad = (v as string[]).filter((t) => !REDIS_TYPES.includes(t));
      if (bad.length) throw new Error(`params.types must list Redis types (${REDIS_TYPES.join(', ')}), got ${JSON.stringify(bad)}`);
    },
    default: [] as string[],
  },
  copy_method: { doc: 'redis->redis: "auto" (strings by value, other types by DUMP/RESTORE), "dump" (DUMP/RESTORE for every key) or "typed" (typed commands only; use across incompatible versions). Default is "auto".', format: oneOf('copy_method', ['auto', 'dump', 'typed']), default: 'auto' },
  enable_notifications: { doc: '-mode stream: set notify-keyspace-events on each server (master) so it publishes the keyspace notifications the feed follows (CONFIG SET, not saved to redis.conf). false only checks and refuses a server that does not publish them. Default is false.', format: Boolean, default: false },
  rescan_seconds: { doc: '-mode stream: copy every key again this often, closing any gap lost notifications left (pub/sub is fire-and-forget); 0 = only after a reconnect or a queue overflow. Default is 0.', format: 'nat', default: 0 },
  stream_queue_keys: { doc: '-mode stream: changed keys a feed holds before copying them; a notification beyond it triggers a re-scan instead of being dropped. Default is 100000.', format: positiveInt('stream_queue_keys'), default: 100000 },
  collection_page: { doc: 'Hashes, lists, sets, sorted sets and streams with more elements than this are copied in pages of this size. Default is 5000.', format: positiveInt('collection_page'), default: 5000 },
};

/** The redis params of a context (validated by the runner with {@link redisParamsSchema}). */
export function redisParams(ctx: PluginContext): RedisParams {
  return ctx.params as unknown as RedisParams;
}

/** The connection entry of a context. */
export function redisConnection(ctx: PluginContext): RedisConnection {
  return ctx.connection as unknown as RedisConnection;
}

/** Which side a context is: the reader's source or the writer's target. */
export type Side = 'source' | 'target';

/** The logical db a side uses: connection `db`, else the task's numeric from_db/to_db, else 0. */
export function resolveDb(conn: ConnectionConfig, taskDb: string | null | undefined): number {
  const db = (conn as unknown as RedisConnection).db;
  if (typeof db === 'number') return db;
  const text = String(taskDb ?? '').trim();
  return /^\d+$/.test(text) ? Number(text) : 0;
}

/** `from.redis.<app>_<db>` / `to.redis.<app>_<db>`: where the user finds this side's entry. */
export function entryPath(ctx: PluginContext, side: Side): string {
  const t = ctx.task;
  return side === 'source' ? `from.redis.${t.from_app}_${t.from_db}` : `to.redis.${t.to_app}_${t.to_db}`;
}

/** The key pattern of a task: from_table, else the pattern of params.key_template (`user:{id}` -> `user:*`), else everything. */
export function keyPattern(ctx: PluginContext): string {
  const t = (ctx.task.from_table ?? '').trim();
  if (t) return t;
  const template = ctx.params.key_template;
  if (typeof template === 'string' && template) return new KeyTemplate(template).matchPattern();
  return '*';
}
