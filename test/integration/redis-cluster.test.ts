/**
 * The redis plugin against a real 3-master Redis Cluster that this suite starts on loopback ports
 * (redis-server --cluster-enabled + redis-cli --cluster create) and stops afterwards.
 */
import { randomUUID } from 'node:crypto';
import Redis, { Cluster } from 'ioredis';
import redis from '../../plugins/redis';
import type { PluginContext } from '../../src/sdk';
import { ConfigError, ReadError, TaskError } from '../../src/errors';
import { drive } from '../support/drive-plugins';
import { pluginContext } from '../support/plugin-context';
import { RedisClusterHandle, startRedisCluster } from '../support/redis-cluster';
import { deleteKeys, fillStrings, keysOf, snapshotKey } from '../support/redis-data';

const STANDALONE_DB = 13;

let handle: RedisClusterHandle;
let cluster: Cluster;
let single: Redis;
let prefix: string;
let seeds: string[];

beforeAll(async () => {
  handle = await startRedisCluster({ masters: 3 });
  seeds = handle.nodes.map((n) => `${n.host}:${n.port}`);
  cluster = new Cluster(handle.nodes);
  single = new Redis({ db: STANDALONE_DB });
}, 60_000);
afterAll(async () => {
  cluster?.disconnect();
  single?.disconnect();
  await handle?.stop();
});
beforeEach(() => {
  prefix = `gsc:${randomUUID().slice(0, 8)}:`;
});
afterEach(async () => {
  await deleteKeys(cluster, `${prefix}*`);
  await deleteKeys(cluster, `{${prefix}*`); // dirty-set processing sets
  await deleteKeys(single, `${prefix}*`);
});

function clusterCtx(params: Record<string, unknown> = {}, task: Record<string, unknown> = {}): PluginContext {
  return pluginContext(redis, { connection: { host: handle.nodes[0].host, port: handle.nodes[0].port, cluster: seeds }, task: { from_table: `${prefix}*`, ...task }, params });
}

function singleCtx(params: Record<string, unknown> = {}, task: Record<string, unknown> = {}): PluginContext {
  return pluginContext(redis, { connection: { port: 6379, db: STANDALONE_DB }, task: { from_table: `${prefix}*`, ...task }, params });
}

describe('Redis Cluster', () => {
  test.each([1, 4, 16])('cursor split reads every one of 100k keys over 3 masters with worker_num %i', async (workers) => {
    const N = 100_000;
    await fillStrings(cluster, prefix, N);
    const ctx = clusterCtx({ worker_num: workers, read_batch: 2000 });
    const shards = await redis.reader!.plan(ctx);
    expect(new Set(shards.map((s) => (s.spec as { node: string }).node)).size).toBe(3);
    expect(shards.length).toBe(3 * workers);
    const session = await redis.reader!.open(ctx);
    const seen = new Set<string>();
    let total = 0;
    await Promise.all(shards.map(async (shard) => {
      for await (const batch of session.read(shard, { batchSize: 2000, signal: ctx.signal })) {
        for (const r of batch.records) seen.add(String((r as { key: Buffer }).key));
        total += batch.records.length;
      }
    }));
    await session.close();
    expect([...seen].filter((k) => k.startsWith(prefix)).length).toBe(N);
    expect(total - N).toBeLessThan(N * 0.02);
  });

  async function fillTypes(client: Redis | Cluster): Promise<string[]> {
    const k = (s: string) => `${prefix}${s}`;
    await client.set(k('s'), 'v');
    await client.set(k('s_ttl'), 'v', 'PX', 500000);
    await client.hset(k('h'), { a: '1', b: '2' });
    const big: Record<string, string> = {};
    for (let i = 0; i < 120; i++) big[`f${i}`] = `v${i}`;
    await client.hset(k('h_big'), big);
    await client.pexpire(k('h_big'), 400000);
    await client.rpush(k('l'), 'a', 'b', 'a');
    await client.sadd(k('set_big'), ...Array.from({ length: 99 }, (_, i) => `m${i}`));
    await client.zadd(k('z'), 1, 'a', 2, 'b');
    await client.xadd(k('x'), '5-1', 'f', 'v');
    return [k('s'), k('s_ttl'), k('h'), k('h_big'), k('l'), k('set_big'), k('z'), k('x')];
  }

  async function expectSame(a: Redis | Cluster, b: Redis | Cluster, keys: string[]): Promise<void> {
    for (const key of keys) {
      const x = await snapshotKey(a, key);
      const y = await snapshotKey(b, key);
      expect({ key, type: y.type, value: y.value, ttl: y.ttl === -1 }).toEqual({ key, type: x.type, value: x.value, ttl: x.ttl === -1 });
      if (x.ttl > 0) expect(Math.abs(x.ttl - y.ttl)).toBeLessThan(5000);
    }
  }

  test.each(['auto', 'typed'])('every type round-trips standalone -> Cluster -> standalone (copy_method %s)', async (copy_method) => {
    const keys = await fillTypes(single);
    const params = { copy_method, collection_page: 25, worker_num: 4, read_batch: 3, write_batch: 2 };
    const there = await drive(redis.reader!, singleCtx(params), redis.writer!, clusterCtx(params));
    expect(there.written).toBe(there.read);
    await expectSame(single, cluster, keys);
    await deleteKeys(single, `${prefix}*`);
    const back = await drive(redis.reader!, clusterCtx(params), redis.writer!, singleCtx(params));
    expect(back.written).toBe(back.read);
    await expectSame(cluster, single, keys);
    expect(await keysOf(cluster, '*goshift-tmp*')).toEqual([]);
  });

  test('dirty set on a Cluster: keys on every node, processing set in the dirty set\'s slot', async () => {
    const dirty = `${prefix}dirty`;
    for (let i = 0; i < 600; i++) {
      await cluster.set(`${prefix}u:${i}`, `v${i}`);
      await cluster.sadd(dirty, `${prefix}u:${i}`);
    }
    const params = { mode: 'dirty_set', dirty_set: dirty, worker_num: 3, read_batch: 100 };
    const res = await drive(redis.reader!, clusterCtx(params, { from_table: '' }), redis.writer!, singleCtx(params));
    expect(res.written).toBe(600);
    expect(await single.get(`${prefix}u:599`)).toBe('v599');
    expect(await cluster.scard(dirty)).toBe(0);
    expect(await cluster.scard(`{${dirty}}:processing`)).toBe(0);
    const cross = clusterCtx({ ...params, dirty_processing_set: `${prefix}elsewhere` }, { from_table: '' });
    const err = await redis.reader!.plan(cross).catch((e) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect(err.message).toMatch(/same Cluster slot.*CROSSSLOT/);
  });

  test('bad input: a standalone entry on a Cluster node, unreachable seed nodes, db other than 0', async () => {
    const asSingle = pluginContext(redis, { connection: { port: handle.nodes[0].port } });
    const e1 = await redis.reader!.plan(asSingle).catch((e) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect(e1.message).toMatch(/is a Redis Cluster node; set "cluster": true/);
    const dead = pluginContext(redis, { connection: { cluster: ['127.0.0.1:1', '127.0.0.1:2'], connect_timeout_ms: 1000 } });
    const e2 = await redis.reader!.plan(dead).catch((e) => e);
    expect(e2).toBeInstanceOf(ReadError);
    expect(e2.message).not.toContain('\n');
    expect(e2.message).toMatch(/127\.0\.0\.1:1 connection refused.*127\.0\.0\.1:2 connection refused/);
    const withDb = pluginContext(redis, { connection: { port: handle.nodes[0].port, cluster: true, db: 2 } });
    await expect(redis.reader!.plan(withDb)).rejects.toThrow(/Cluster has only db 0/);
    // One dead seed among live ones is fine: the plan still covers every master and its shards
    // read every key.
    await fillStrings(cluster, `${prefix}k:`, 300);
    const mixed = pluginContext(redis, { connection: { cluster: ['127.0.0.1:1', seeds[1]] }, params: { worker_num: 2 }, task: { from_table: `${prefix}k:*` } });
    const shards = await redis.reader!.plan(mixed);
    expect([...new Set(shards.map((s) => (s.spec as { node: string }).node))].sort()).toEqual([...seeds].sort());
    const session = await redis.reader!.open(mixed);
    try {
      const read: string[] = [];
      for (const shard of shards) {
        for await (const batch of session.read(shard, { batchSize: 100, signal: mixed.signal })) read.push(...batch.records.map((r) => String((r as { key: Buffer }).key)));
      }
      expect([...new Set(read)].sort()).toEqual(Array.from({ length: 300 }, (_, i) => `${prefix}k:${i}`).sort());
    } finally {
      await session.close();
    }
  });
});
