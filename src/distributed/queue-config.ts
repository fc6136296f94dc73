import type { RedisOptions } from 'bullmq';
import { ConfigError } from '../errors';
import { GoshiftConfig, validateWithSchema } from '../config/schema';
import { shapeProblem } from '../config/shape';

/** The validated `queue` section of `etc/<env>.json`: where shard jobs wait for `goshift worker`s. */
export interface QueueConfig {
  host: string;
  port: number;
  /** Logical Redis database of the queue. Default is 0. */
  db: number;
  username: string;
  password: string;
  tls: boolean;
  /** Queue name: coordinators and workers of one queue share it. Default is `goshift`. */
  name: string;
  /**
   * How often workers look for shard jobs whose worker died (BullMQ's stalled check), and how long
   * a worker's lock on a job lasts without renewal, in ms. A SIGKILLed worker's shard moves to
   * another worker within about twice this. Default is 30000.
   */
  stalled_interval_ms: number;
  /** Times a shard job may be taken over after its worker died before the coordinator re-enqueues it. Default is 2. */
  max_stalled_count: number;
  connect_timeout_ms: number;
}

/** convict schema of the `queue` section. */
export const queueConfigSchema = {
  host: { doc: 'Redis host of the queue. Default is 127.0.0.1.', format: String, default: '127.0.0.1' },
  port: { doc: 'Redis port. Default is 6379.', format: 'port', default: 6379 },
  db: { doc: 'Logical database. Default is 0.', format: 'nat', default: 0 },
  username: { doc: 'ACL user name (Redis 6+). Default: none.', format: String, default: '' },
  password: { doc: 'Password (AUTH). Default: none.', format: String, default: '', sensitive: true },
  tls: { doc: 'Connect with TLS. Default is false.', format: Boolean, default: false },
  name: {
    doc: 'Queue name (letters, digits, _ . -). Default is goshift.',
    format: (v: unknown) => {
      if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(v)) throw new Error(`must be 1-100 letters, digits, _ . or -, got ${JSON.stringify(v)}`);
    },
    default: 'goshift',
  },
  stalled_interval_ms: { doc: 'Stalled-job check interval and job lock duration, in ms (at least 1000). Default is 30000.', format: 'nat', default: 30_000 },
  max_stalled_count: { doc: 'Take-overs of a job whose worker died before it fails (and the coordinator re-enqueues the shard). Default is 2.', format: 'nat', default: 2 },
  connect_timeout_ms: { doc: 'Give up connecting after this many ms. Default is 5000.', format: 'nat', default: 5000 },
};

/**
 * The config's `queue` section, validated.
 * @param why what needs it, for the error line (`--distributed`, `goshift worker`)
 * @throws ConfigError naming the config file and the key when the section is missing or invalid
 */
export function queueConfigOf(config: GoshiftConfig, why: string): QueueConfig {
  if (!config.queue) {
    throw new ConfigError(`config ${config.source} has no "queue" section: ${why} needs one (queue.host, queue.port, queue.db, queue.name; see "Scale-out" in the README)`);
  }
  const shape = shapeProblem(queueConfigSchema, config.queue, 'queue');
  if (shape) throw new ConfigError(`config ${config.source}: ${shape}`);
  let q: QueueConfig;
  try {
    q = validateWithSchema<QueueConfig>(queueConfigSchema, config.queue);
  } catch (err) {
    const lines = (err as Error).message.split('\n').map((l) => l.trim()).filter(Boolean);
    const named = lines.map((l) => l.replace(/^configuration param '(.+)' not declared in the schema$/, '$1: unknown key (use host, port, db, username, password, tls, name, stalled_interval_ms, max_stalled_count, connect_timeout_ms)'));
    throw new ConfigError(`config ${config.source}: queue is invalid: ${named.map((l) => `queue.${l}`).join('; ')}`);
  }
  if (q.stalled_interval_ms < 1000) throw new ConfigError(`config ${config.source}: queue.stalled_interval_ms must be at least 1000, got ${q.stalled_interval_ms}`);
  return q;
}

/** ioredis options of the queue's Redis (BullMQ's blocking connections need `maxRetriesPerRequest: null`). */
export function queueRedisOptions(q: QueueConfig): RedisOptions {
  return {
    host: q.host, port: q.port, db: q.db, username: q.username || undefined, password: q.password || undefined,
    tls: q.tls ? {} : undefined, connectTimeout: q.connect_timeout_ms, maxRetriesPerRequest: null,
  };
}

/** `host:port/db` of the queue, for messages (no secrets). */
export function queueWhere(q: QueueConfig): string {
  return `redis ${q.host}:${q.port}/${q.db} queue "${q.name}"`;
}
