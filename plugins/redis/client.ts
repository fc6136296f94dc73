import Redis, { Cluster } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { PluginContext } from '../../src/sdk';
import { ConfigError, GoshiftError, ReadError, WriteError } from '../../src/sdk';
import { keySlot } from './slot';
import { clusterSeeds, entryPath, NodeAddress, RedisConnection, redisConnection, resolveDb, Side } from './config';
import { isNoPasswordNeeded, silenceDriverNotices } from './driver-notices';

/** Server facts read once per connection. */
export interface ServerInfo {
  /** e.g. "7.0.15" (Valkey reports its own version here). */
  version: string;
  major: number;
  minor: number;
  /**
   * True when SCAN cursors carry the slot in their low 14 bits (one hash table per slot):
   * Redis 7.4+ and Valkey 8+ in Cluster mode.
   */
  slotCursors: boolean;
}

/** One server (standalone) or one Cluster master, with its address. */
export interface RedisNode {
  address: string;
  client: Redis;
}

/**
 * An open connection to one side: a standalone server or a Cluster. Hot paths talk to
 * `nodes` directly (each scanned/written key goes to the node that owns it); `client` is the
 * routing client for everything else.
 */
export class RedisHandle {
  private closed = false;

  constructor(
    readonly client: Redis | Cluster,
    readonly cluster: boolean,
    readonly db: number,
    readonly label: string,
    readonly info: ServerInfo,
    private readonly side: Side,
    private readonly where: string,
  ) {}

  /** Masters, each with its own connection (the server itself when standalone). */
  masters(): RedisNode[] {
    if (!this.cluster) return [{ address: this.label, client: this.client as Redis }];
    return (this.client as Cluster).nodes('master').map((client) => ({ address: nodeAddress(client), client }));
  }

  /** The master connection that owns a slot (Cluster only). */
  nodeForSlot(slot: number): Redis | undefined {
    const cluster = this.client as Cluster;
    const owner = cluster.slots[slot]?.[0];
    if (!owner) return undefined;
    let node = this.byAddress.get(owner);
    if (!node) {
      for (const n of cluster.nodes('all')) this.byAddress.set(nodeAddress(n), n);
      node = this.byAddress.get(owner);
    }
    return node;
  }

  private readonly byAddress = new Map<string, Redis>();

  /** Slot ranges [from, to] (inclusive) a Cluster master serves. */
  slotsOf(address: string): [number, number][] {
    const slots = (this.client as Cluster).slots;
    const out: [number, number][] = [];
    for (let s = 0; s < 16384; s++) {
      if (slots[s]?.[0] !== address) continue;
      const last = out[out.length - 1];
      if (last && last[1] === s - 1) last[1] = s;
      else out.push([s, s]);
    }
    return out;
  }

  /** The master connection that owns a key. */
  nodeForKey(key: Buffer | string): Redis {
    if (!this.cluster) return this.client as Redis;
    const node = this.nodeForSlot(keySlot(key));
    if (!node) throw this.error(`no Cluster node serves the slot of key "${String(key)}" (cluster is resharding or down)`);
    return node;
  }

  /** An error of this side's class (ReadError for the source, WriteError for the target), naming the server. */
  error(what: string, cause?: unknown): GoshiftError {
    const Cls = this.side === 'source' ? ReadError : WriteError;
    return new Cls(`redis ${this.side} ${this.label} (${this.where}): ${what}`, { cause });
  }

  /** Wrap a failed command into this side's error class, keeping the server's message. */
  wrap(err: unknown, doing: string): GoshiftError {
    if (err instanceof GoshiftError) return err;
    return this.error(`${doing} failed: ${(err as Error).message ?? String(err)}`, err);
  }

  /** Close every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function nodeAddress(client: Redis): string {
  const o = client.options;
  return `${o.host}:${o.port}`;
}

function baseOptions(ctx: PluginContext, db: number): RedisOptions {
  const conn = redisConnection(ctx);
  return {
    username: conn.username || undefined,
    password: conn.password || undefined,
    db,
    tls: conn.tls ? {} : undefined,
    connectTimeout: conn.connect_timeout_ms,
    lazyConnect: true,
    enableReadyCheck: true,
    // Fail fast and clearly instead of retrying forever; a dropped connection mid-run is retried a few times.
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => (times > 3 ? null : Math.min(200 * times, 1000)),
    connectionName: 'goshift',
  };
}

/** Parse the INFO server section. */
export function parseServerInfo(text: string, cluster: boolean): ServerInfo {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
  const valkey = field('valkey_version');
  const version = valkey ?? field('redis_version') ?? '0.0.0';
  const [major, minor] = version.split('.').map((n) => Number(n) || 0);
  const perSlotTables = valkey ? major >= 8 : major > 7 || (major === 7 && minor >= 4);
  return { version, major, minor, slotCursors: cluster && perSlotTables };
}

/**
 * Connect to one side of a task, failing with one clear line that names host:port and the config
 * entry (unreachable server, wrong password, not a Cluster, db in Cluster mode...).
 */
export async function openRedis(ctx: PluginContext, side: Side): Promise<RedisHandle> {
  const conn = redisConnection(ctx);
  const where = entryPath(ctx, side);
  const db = resolveDb(ctx.connection, side === 'source' ? ctx.task.from_db : ctx.task.to_db);
  const seeds = clusterSeeds(conn);
  const Cls = side === 'source' ? ReadError : WriteError;
  if (seeds && db !== 0) throw new ConfigError(`${where}: Redis Cluster has only db 0, got db ${db}`);

  silenceDriverNotices();
  if (!seeds) {
    const label = `${conn.host}:${conn.port}`;
    const client = new Redis({ ...baseOptions(ctx, db), host: conn.host, port: conn.port });
    let lastError: Error | undefined;
    // A failed AUTH stays the reason: with db != 0 the SELECT that follows answers NOAUTH, later.
    client.on('error', (err: Error) => { if (!(lastError && isAuthFailure(lastError))) lastError = err; });
    try {
      await client.connect();
      // Set only once connected: a ready check left unanswered by a refused login would keep its timer alive.
      if (conn.command_timeout_ms > 0) client.options.commandTimeout = conn.command_timeout_ms;
      const serverText = String(await client.info('server'));
      const info = parseServerInfo(serverText, false);
      if (/^redis_mode:cluster/m.test(serverText)) {
        client.disconnect();
        throw new ConfigError(`${where}: ${label} is a Redis Cluster node; set "cluster": true there (one node alone would miss keys or fail with MOVED/CROSSSLOT)`);
      }
      await warnUnusedPassword(ctx, client, conn, `${where}: the server ${label}`);
      return new RedisHandle(client, false, db, label, info, side, where);
    } catch (err) {
      client.disconnect();
      if (err instanceof ConfigError) throw err;
      const reason = lastError && isAuthFailure(lastError) ? lastError : isAuthFailure(err) ? (err as Error) : lastError ?? (err as Error);
      throw new Cls(`redis ${side} ${label} (${where}): cannot connect: ${explain(reason)}`, { cause: reason });
    }
  }

  const label = seeds.map((s) => `${s.host}:${s.port}`).join(',');
  const opts = baseOptions(ctx, 0);
  const cluster = new Cluster(seeds, {
    redisOptions: { ...opts, db: undefined, lazyConnect: false },
    lazyConnect: true,
    scaleReads: 'master',
    enableReadyCheck: true,
    maxRedirections: 16,
    clusterRetryStrategy: (times: number) => (times > 3 ? null : Math.min(200 * times, 1000)),
    slotsRefreshTimeout: conn.connect_timeout_ms,
  });
  cluster.on('error', () => undefined);
  try {
    await cluster.connect();
    if (conn.command_timeout_ms > 0) {
      cluster.options.redisOptions = { ...cluster.options.redisOptions, commandTimeout: conn.command_timeout_ms };
      for (const node of cluster.nodes('all')) node.options.commandTimeout = conn.command_timeout_ms;
    }
    const first = cluster.nodes('master')[0];
    const info = parseServerInfo(String(await first.info('server')), true);
    return new RedisHandle(cluster, true, 0, label, info, side, where);
  } catch (err) {
    cluster.disconnect();
    const reason = await diagnoseSeeds(ctx, seeds, opts);
    throw new Cls(`redis ${side} cluster ${label} (${where}): cannot connect: ${reason ?? explain(err as Error)}`, { cause: err });
  }
}

/**
 * A password set in the entry for a server that has none is ignored by the server; ioredis would
 * say so in its own words on stderr. Say it once, naming the entry, as a warning.
 */
async function warnUnusedPassword(ctx: PluginContext, client: Redis, conn: RedisConnection, what: string): Promise<void> {
  if (!conn.password) return;
  try {
    await client.call('AUTH', ...(conn.username ? [conn.username] : []), conn.password);
  } catch (err) {
    if (isNoPasswordNeeded(err)) ctx.logger.warn(`${what} needs no password, but the entry sets one: it is ignored`);
  }
}

/** Find out why no seed node worked: connect to each one alone and report the first clear reason. */
async function diagnoseSeeds(ctx: PluginContext, seeds: NodeAddress[], opts: RedisOptions): Promise<string | undefined> {
  const reasons: string[] = [];
  for (const seed of seeds) {
    const probe = new Redis({ ...opts, db: 0, host: seed.host, port: seed.port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    let lastError: Error | undefined;
    probe.on('error', (err: Error) => { lastError = err; });
    try {
      await probe.connect();
      const info = String(await probe.info('cluster'));
      if (!/cluster_enabled:1/.test(info)) reasons.push(`${seed.host}:${seed.port} is not a Cluster node (cluster support disabled; set "cluster": false)`);
      else reasons.push(`${seed.host}:${seed.port}: ${String(await probe.cluster('INFO')).match(/cluster_state:\w+/)?.[0] ?? 'cluster not ready'}`);
    } catch (err) {
      reasons.push(`${seed.host}:${seed.port} ${explain(lastError ?? (err as Error))}`);
    } finally {
      probe.disconnect();
    }
  }
  ctx.logger.debug(`cluster seed diagnosis: ${reasons.join('; ')}`);
  return reasons.length ? reasons.join('; ') : undefined;
}

/** A refused login (wrong password or user), as opposed to a missing one. */
function isAuthFailure(err: unknown): boolean {
  return /WRONGPASS|invalid password|invalid username-password/i.test(String((err as Error)?.message ?? ''));
}

function explain(err: Error): string {
  const msg = err.message ?? String(err);
  if (/ECONNREFUSED/.test(msg)) return 'connection refused (is the server running on that port?)';
  if (/ETIMEDOUT|connect ETIMEDOUT|timed out/i.test(msg)) return 'connection timed out';
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return 'unknown host';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) return 'authentication failed: wrong username or password';
  if (/NOAUTH/.test(msg)) return 'the server needs a password (set "password")';
  if (/NOPERM/.test(msg)) return `permission denied: ${msg}`;
  if (/DB index is out of range/i.test(msg)) return `db out of range: ${msg}`;
  return msg;
}
