/**
 * `-mode stream` from Redis through the built CLI: the change feed mirrors a workload of sets,
 * updates, hash/list/set/zset changes, deletes and expiries into another Redis and into MySQL;
 * a subscriber killed mid-run (CLIENT KILL TYPE pubsub) is healed by the re-scan; SIGTERM stops
 * the run with exit 0 as `stopped`. The source is a redis-server of its own (its
 * notify-keyspace-events is changed and its clients killed), and so is the Redis target.
 */
import { randomUUID } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { RedisClusterHandle, RedisServerHandle, startRedisCluster, startRedisServer } from '../support/redis-cluster';
import { snapshotKey } from '../support/redis-data';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let env: GoshiftTestEnv;
let srcServer: RedisServerHandle;
let dstServer: RedisServerHandle;
let src: Redis;
let dst: Redis;
let prefix: string;

beforeAll(async () => {
  [srcServer, dstServer] = await Promise.all([startRedisServer(), startRedisServer()]);
});
afterAll(async () => {
  await Promise.all([srcServer?.stop(), dstServer?.stop()]);
});
beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gst:${randomUUID().slice(0, 8)}:`;
  src = new Redis({ port: srcServer.port });
  dst = new Redis({ port: dstServer.port });
  await src.config('SET', 'notify-keyspace-events', '');
  env.writeConfig({
    from: { redis: { t_0: { host: '127.0.0.1', port: srcServer.port } } },
    to: { redis: { t_0: { host: '127.0.0.1', port: dstServer.port } } },
  });
});
afterEach(async () => {
  await src.flushall();
  await dst.flushall();
  src.disconnect();
  dst.disconnect();
  await env.cleanup();
});

/** Every key of the prefix on one side: key -> type, value and whether it expires. */
async function contents(client: Redis): Promise<Record<string, unknown>> {
  const keys = (await client.keys(`${prefix}*`)).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const s = await snapshotKey(client, k);
    if (s.type !== 'none') out[k] = { type: s.type, value: s.value, expires: s.ttl >= 0 };
  }
  return out;
}

/** Poll until `check` passes (returns true) or `ms` pass; then run it once more for the assertion. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await sleep(50);
  }
  return Date.now() - start;
}

async function mirrored(): Promise<boolean> {
  return JSON.stringify(await contents(src)) === JSON.stringify(await contents(dst));
}

/** A workload over every type: new keys, updates, collection changes, deletes, a rename and expiries. */
async function workload(round: number): Promise<void> {
  const p = prefix;
  const m = src.multi();
  for (let i = 0; i < 50; i++) m.set(`${p}s:${i}`, `v${round}-${i}`);
  m.append(`${p}s:1`, '-appended').incrby(`${p}n`, 5);
  m.hset(`${p}h`, 'a', String(round), 'b', 'x').hdel(`${p}h`, 'gone');
  m.rpush(`${p}l`, `r${round}`, 'tail').lpop(`${p}l`);
  m.sadd(`${p}set`, `m${round}`, 'z').srem(`${p}set`, 'a');
  m.zadd(`${p}z`, round, `m${round}`).zincrby(`${p}z`, 2.5, 'm0');
  m.del(`${p}s:${round % 50}`);
  m.rename(`${p}s:${(round + 7) % 50}`, `${p}moved:${round}`);
  m.set(`${p}ttl:${round}`, 'long', 'EX', 3600);
  m.set(`${p}short:${round}`, 'soon gone', 'PX', 150);
  await m.exec();
}

test('redis -> redis: catch-up, then sets, updates, every type, deletes and expiries are mirrored; a killed subscriber is healed by a re-scan; SIGTERM stops with exit 0', async () => {
  // Keys before the run: the catch-up copies them.
  await src.set(`${prefix}old`, 'before');
  await src.hset(`${prefix}h`, 'gone', '1', 'keep', '2');
  await src.rpush(`${prefix}l`, 'a', 'b', 'c');
  await src.sadd(`${prefix}set`, 'a', 'b');
  await src.zadd(`${prefix}z`, 1, 'm0');
  await src.set(`${prefix}old:ttl`, 'x', 'EX', 3600);
  await dst.set(`${prefix}stale`, 'only in the target before');
  const id = await env.addTask({
    from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}*`, to_table: '',
    params: { enable_notifications: true, worker_num: 2, read_batch: 100 },
  });
  const { child, stderr, exited } = env.spawnRun(id, ['-mode', 'stream']);
  try {
    await eventually(async () => (await dst.get(`${prefix}old`)) === 'before', 30_000);
    expect(await dst.get(`${prefix}old`)).toBe('before');
    expect(await src.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', expect.stringMatching(/K/)]);

    for (let round = 1; round <= 5; round++) {
      await workload(round);
      await sleep(100);
    }
    await sleep(400); // the short TTLs pass
    await eventually(mirrored, 10_000);
    await dst.del(`${prefix}stale`);
    expect(await contents(dst)).toEqual(await contents(src));
    expect(await dst.exists(`${prefix}short:1`)).toBe(0);
    expect(await dst.pttl(`${prefix}ttl:1`)).toBeGreaterThan(3_000_000);

    // A single change arrives within a second (a little slack for a loaded test machine).
    await src.set(`${prefix}ping`, 'pong');
    const took = await eventually(async () => (await dst.get(`${prefix}ping`)) === 'pong', 5_000);
    expect(await dst.get(`${prefix}ping`)).toBe('pong');
    expect(took).toBeLessThan(1500);

    // Kill the subscriber and change keys while it is away: those notifications are lost.
    const gap = src.pipeline().client('KILL', 'TYPE', 'pubsub');
    for (let i = 0; i < 20; i++) gap.set(`${prefix}gap:${i}`, `lost-${i}`);
    gap.hset(`${prefix}h`, 'a', 'during the gap');
    await gap.exec();
    await eventually(async () => (await dst.get(`${prefix}gap:19`)) === 'lost-19' && (await dst.hget(`${prefix}h`, 'a')) === 'during the gap', 15_000);
    expect(await contents(dst)).toEqual(await contents(src));
    expect(stderr()).toMatch(/re-scanning \(notification connection to 127\.0\.0\.1:\d+ re-established\)/);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });
});

test('redis -> mysql: hashes mapped by key_template follow updates; deletes and expiries remove rows; a restart catches up what changed while stopped', async () => {
  await env.sql('CREATE TABLE users (id int PRIMARY KEY, name varchar(50) NOT NULL, score int NULL)');
  for (let i = 1; i <= 30; i++) await src.hset(`${prefix}user:${i}`, 'name', `user ${i}`, 'score', String(i));
  const id = await env.addTask({
    from_db_type: 'redis', from_db: '0', from_table: '', to_table: 'users',
    params: { pk: { src: 'id', dest: 'id' }, key_template: `${prefix}user:{id}`, enable_notifications: true, read_batch: 50 },
  });
  const expected = async (): Promise<Record<string, unknown>[]> => {
    const rows: Record<string, unknown>[] = [];
    for (const k of await src.keys(`${prefix}user:*`)) {
      const h = await src.hgetall(k);
      rows.push({ id: Number(k.slice(`${prefix}user:`.length)), name: h.name, score: h.score === undefined ? null : Number(h.score) });
    }
    return rows.sort((a, b) => (a.id as number) - (b.id as number));
  };
  const actual = () => env.sql('SELECT * FROM users ORDER BY id');
  const same = async () => JSON.stringify(await actual()) === JSON.stringify(await expected());
  const { child, stderr, exited } = env.spawnRun(id, ['-mode', 'stream']);
  try {
    await eventually(async () => (await actual()).length === 30, 30_000);
    expect(await actual()).toHaveLength(30);
    await src.hset(`${prefix}user:3`, 'name', 'renamed');
    await src.hdel(`${prefix}user:4`, 'score');
    await src.hset(`${prefix}user:31`, 'name', 'new', 'score', '31');
    await src.del(`${prefix}user:5`, `${prefix}user:6`);
    await src.pexpire(`${prefix}user:7`, 100);
    await src.set(`${prefix}other`, 'not a user: not copied');
    await sleep(300);
    await eventually(same, 10_000);
    expect(await actual()).toEqual(await expected());
    expect((await actual()).map((r) => r.id)).not.toContain(7);
    expect(stderr()).not.toMatch(/error/i);
    // The progress line (every 2 s under a feed) gives the feed's rate and lag.
    await eventually(async () => /\d+ events\/s, lag \d+\.\d s/.test(stderr()), 5_000);
    expect(stderr()).toMatch(/\d+ events\/s, lag \d+\.\d s/);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });

  // Changed while no feed ran: the next run's catch-up copies it, then follows again.
  await src.hset(`${prefix}user:8`, 'name', 'changed while stopped');
  const again = env.spawnRun(id, ['-mode', 'stream']);
  try {
    await eventually(async () => /following changes/.test(again.stderr()), 30_000);
    await src.hset(`${prefix}user:9`, 'name', 'after the restart');
    await eventually(same, 10_000);
    expect(await actual()).toEqual(await expected());
    expect((await actual()).find((r) => r.id === 8)).toMatchObject({ name: 'changed while stopped' });
  } finally {
    again.child.kill('SIGTERM');
  }
  expect(await again.exited).toBe(0);
  expect(await env.lastRun(id)).toMatchObject({ status: 'stopped' });
});

test('a server that does not publish keyspace notifications is refused in one line saying how to enable them; plan shows the feed shard', async () => {
  const id = await env.addTask({
    from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}*`, to_table: '',
  });
  const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id), '-mode', 'stream']);
  expect(plan.stdout + plan.stderr).toMatch(/does not publish the keyspace notifications -mode stream follows \(notify-keyspace-events is "", lacks "Kg\$lshzxet"\): set params\.enable_notifications: true, or put "notify-keyspace-events KA" in redis\.conf/);

  await src.config('SET', 'notify-keyspace-events', 'Ex');
  const res = await env.run(id, ['-mode', 'stream']);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/notify-keyspace-events is "xE", lacks "Kg\$lshzet"/);
  expect(await env.taskStatus(id)).not.toBe('2');

  await src.config('SET', 'notify-keyspace-events', 'KA');
  const ok = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id), '-mode', 'stream']);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toMatch(/enable_notifications +false: every master must already publish them/);
  expect(ok.stdout).toMatch(/rescan_seconds +0: re-scan only after a reconnect or a queue overflow/);
  expect(ok.stdout).toMatch(new RegExp(`feed\\s+change feed of "${prefix}\\*" in db 0 on 127\\.0\\.0\\.1:${srcServer.port}: catch up with a full scan, then follow keyspace notifications`));
});

test('a full change queue asks for a re-scan instead of dropping changes; params.rescan_seconds re-copies on a timer', async () => {
  const id = await env.addTask({
    from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}*`, to_table: '',
    params: { enable_notifications: true, stream_queue_keys: 10, rescan_seconds: 2, read_batch: 50 },
  });
  const { child, stderr, exited } = env.spawnRun(id, ['-mode', 'stream']);
  try {
    await eventually(async () => /following changes/.test(stderr()), 30_000);
    expect(stderr()).toMatch(/caught up; following changes/);
    // 500 keys in one go: far more than 10 wait at once.
    const burst = src.multi();
    for (let i = 0; i < 500; i++) burst.set(`${prefix}burst:${i}`, String(i));
    await burst.exec();
    await eventually(async () => (await dst.dbsize()) === 500, 15_000);
    expect(await contents(dst)).toEqual(await contents(src));
    expect(stderr()).toMatch(/re-scanning \(more than 10 changed keys waiting \(params\.stream_queue_keys\)\)/);

    // A value changed behind the feed's back in the target is put right by the timed re-scan.
    await dst.set(`${prefix}burst:7`, 'tampered');
    await eventually(async () => (await dst.get(`${prefix}burst:7`)) === '7', 10_000);
    expect(await dst.get(`${prefix}burst:7`)).toBe('7');
    expect(stderr()).toMatch(/re-scanning \(params\.rescan_seconds 2\)/);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});

test('dirty_set: the catch-up copies the keys listed in the dirty set, then notifications and later additions to the set', async () => {
  for (let i = 1; i <= 20; i++) await src.set(`${prefix}d:${i}`, `v${i}`);
  await src.sadd(`${prefix}dirty`, ...Array.from({ length: 10 }, (_, i) => `${prefix}d:${i + 1}`));
  const id = await env.addTask({
    from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}d:*`, to_table: '',
    params: { mode: 'dirty_set', dirty_set: `${prefix}dirty`, enable_notifications: true },
  });
  const { child, stderr, exited } = env.spawnRun(id, ['-mode', 'stream']);
  try {
    await eventually(async () => /following changes/.test(stderr()), 30_000);
    expect((await dst.keys(`${prefix}*`)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${prefix}d:${i + 1}`).sort());
    expect(await src.scard(`${prefix}dirty`)).toBe(0);
    expect(await src.scard(`{${prefix}dirty}:processing`)).toBe(0);
    await src.set(`${prefix}d:15`, 'changed');
    await eventually(async () => (await dst.get(`${prefix}d:15`)) === 'changed', 5_000);
    expect(await dst.get(`${prefix}d:15`)).toBe('changed');
    // An application marks a key without the feed seeing a change: the next drain copies it.
    await src.sadd(`${prefix}dirty`, `${prefix}d:12`);
    await eventually(async () => (await dst.get(`${prefix}d:12`)) === 'v12', 15_000);
    expect(await dst.get(`${prefix}d:12`)).toBe('v12');
    expect(await dst.exists(`${prefix}dirty`)).toBe(0);
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
});

describe('Redis Cluster source', () => {
  let clusterHandle: RedisClusterHandle;
  let cluster: Cluster;
  beforeAll(async () => {
    clusterHandle = await startRedisCluster({ masters: 3 });
    cluster = new Cluster(clusterHandle.nodes);
  }, 60_000);
  afterAll(async () => {
    cluster?.disconnect();
    await clusterHandle?.stop();
  });

  test('one feed shard per master; changes on every master are mirrored, deletes too', async () => {
    const seeds = clusterHandle.nodes.map((n) => `${n.host}:${n.port}`);
    env.writeConfig({
      from: { redis: { t_0: { host: clusterHandle.nodes[0].host, port: clusterHandle.nodes[0].port, cluster: seeds } } },
      to: { redis: { t_0: { host: '127.0.0.1', port: dstServer.port } } },
    });
    for (let i = 0; i < 100; i++) await cluster.set(`${prefix}k:${i}`, `before ${i}`);
    const id = await env.addTask({
      from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}*`, to_table: '',
      params: { enable_notifications: true },
    });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id), '-mode', 'stream']);
    expect(plan.code).toBe(0);
    for (const s of seeds) expect(plan.stdout).toContain(`${s}/feed\tchange feed of "${prefix}*" in db 0 on ${s}: catch up with a full scan`);
    // Feeds never end, so they must all run at once: fewer worker_num than masters folds them.
    const two = await env.addTask({
      from_db_type: 'redis', to_db_type: 'redis', from_db: '0', to_db: '0', from_table: `${prefix}*`, to_table: '',
      params: { enable_notifications: true, worker_num: 2 },
    });
    const folded = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(two), '-mode', 'stream']);
    const feeds = [...folded.stdout.matchAll(/^ +(\S+)\tchange feed of "[^"]+" in db 0 on (.+?): catch up/gm)].map((m) => ({ id: m[1], nodes: m[2].split(', ') }));
    expect(feeds).toHaveLength(2);
    expect(feeds.find((f) => f.id === 'feed-1-of-2')?.nodes).toHaveLength(2);
    expect(feeds.flatMap((f) => f.nodes).sort()).toEqual([...seeds].sort());

    // Run the folded plan: one shard follows two masters, the other one.
    const { child, exited } = env.spawnRun(two, ['-mode', 'stream']);
    try {
      await eventually(async () => (await dst.keys(`${prefix}*`)).length === 100, 30_000);
      expect(await dst.keys(`${prefix}*`)).toHaveLength(100);
      for (let i = 0; i < 100; i += 2) await cluster.set(`${prefix}k:${i}`, `after ${i}`);
      for (let i = 1; i < 100; i += 10) await cluster.del(`${prefix}k:${i}`);
      const want: Record<string, string> = {};
      for (let i = 0; i < 100; i++) if (i % 10 !== 1) want[`${prefix}k:${i}`] = i % 2 === 0 ? `after ${i}` : `before ${i}`;
      const got = async (): Promise<Record<string, string>> => {
        const keys = (await dst.keys(`${prefix}*`)).sort();
        const values = keys.length ? await dst.mget(...keys) : [];
        return Object.fromEntries(keys.map((k, i) => [k, values[i] as string]));
      };
      await eventually(async () => JSON.stringify(await got()) === JSON.stringify(Object.fromEntries(Object.entries(want).sort())), 15_000);
      expect(await got()).toEqual(want);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(await env.lastRun(two)).toMatchObject({ status: 'stopped' });
  });
});
