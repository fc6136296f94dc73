/**
 * The redis plugin driven directly (plan / open / read / write / ack, as the runner does) against
 * the Redis on 127.0.0.1:6379: source db 13, target db 14, a unique key prefix per test.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import mysql from '../../plugins/mysql';
import redis from '../../plugins/redis';
import type { Batch, KvEntry, PluginContext, Shard, SyncRecord, WriterFactory } from '../../src/sdk';
import { ReadError, WriteError } from '../../src/errors';
import { checkBridge } from '../../src/records/bridge';
import { decodeEnvelope, encodeEnvelope } from '../../src/sdk/envelope';
import { drive } from '../support/drive-plugins';
import { pluginContext, taskRow } from '../support/plugin-context';
import { startRedisServer } from '../support/redis-cluster';
import { deleteKeys, fillStrings, keysOf, snapshotKey } from '../support/redis-data';

const SRC_DB = 13;
const DST_DB = 14;

let src: Redis;
let dst: Redis;
let prefix: string;

beforeAll(() => {
  src = new Redis({ db: SRC_DB });
  dst = new Redis({ db: DST_DB });
});
afterAll(async () => {
  src.disconnect();
  dst.disconnect();
});
beforeEach(() => {
  prefix = `gst:${randomUUID().slice(0, 8)}:`;
});
afterEach(async () => {
  await deleteKeys(src, `${prefix}*`);
  await deleteKeys(src, `{${prefix}*`); // dirty-set processing sets
  await deleteKeys(dst, `${prefix}*`);
});

function readerCtx(params: Record<string, unknown> = {}, task: Record<string, unknown> = {}, peerType = 'redis'): PluginContext {
  return pluginContext(redis, { connection: { port: 6379, db: SRC_DB }, task: { from_table: `${prefix}*`, ...task }, params, peerType });
}

function writerCtx(params: Record<string, unknown> = {}, peerType = 'redis'): PluginContext {
  return pluginContext(redis, { connection: { port: 6379, db: DST_DB }, params, peerType });
}

/** One key of every type, some with a TTL, some big enough to be paged (collection_page 50). */
async function fillAllTypes(): Promise<string[]> {
  const k = (s: string) => `${prefix}${s}`;
  const p = src.pipeline();
  p.set(k('str'), 'hello');
  p.set(k('int'), '12345');
  p.set(k('bin'), Buffer.from([0, 255, 10, 13, 0x80]));
  p.set(k('str_ttl'), 'bye', 'PX', 600000);
  p.set(k('empty'), '');
  p.hset(k('hash'), { a: '1', b: 'ü', c: '' });
  p.pexpire(k('hash'), 500000);
  const bigHash: Record<string, string> = {};
  for (let i = 0; i < 230; i++) bigHash[`f${i}`] = `v${i}`;
  p.hset(k('hash_big'), bigHash);
  p.pexpire(k('hash_big'), 400000);
  p.rpush(k('list'), 'x', 'y', 'x', 'z');
  p.rpush(k('list_big'), ...Array.from({ length: 173 }, (_, i) => `item${i % 50}`));
  p.sadd(k('set'), 'a', 'b', '3');
  p.sadd(k('set_big'), ...Array.from({ length: 120 }, (_, i) => `m${i}`));
  p.pexpire(k('set_big'), 300000);
  p.zadd(k('zset'), 1.5, 'a', -2, 'b', 0, 'c');
  p.zadd(k('zset_big'), ...Array.from({ length: 150 }, (_, i) => [i * 0.25, `z${i}`]).flat());
  p.zadd(k('zset_inf'), 'inf', 'top', '-inf', 'bottom', 1e-10, 'tiny');
  for (let i = 0; i < 5; i++) p.xadd(k('stream'), `1-${i + 1}`, 'f', `v${i}`, 'g', 'w');
  for (let i = 0; i < 130; i++) p.xadd(k('stream_big'), `${i + 1}-0`, 'n', String(i));
  p.pexpire(k('stream'), 700000);
  await p.exec();
  return keysOf(src, `${prefix}*`);
}

async function expectSameKeys(keys: string[]): Promise<void> {
  for (const key of keys) {
    const a = await snapshotKey(src, key);
    const b = await snapshotKey(dst, key);
    expect({ key, type: b.type, value: b.value }).toEqual({ key, type: a.type, value: a.value });
    if (a.ttl === -1) expect({ key, ttl: b.ttl }).toEqual({ key, ttl: -1 });
    else expect(Math.abs(a.ttl - b.ttl)).toBeLessThan(5000);
  }
  // no temp keys of paged copies are left behind
  expect(await keysOf(dst, `*goshift-tmp*`)).toEqual([]);
}

describe('redis -> redis', () => {
  test.each(['auto', 'dump', 'typed'])('every type with its TTL round-trips exactly (copy_method %s)', async (copy_method) => {
    const keys = await fillAllTypes();
    expect(keys.length).toBe(16);
    const params = { copy_method, collection_page: 50, worker_num: 3, read_batch: 7, write_batch: 3 };
    const res = await drive(redis.reader!, readerCtx(params), redis.writer!, writerCtx(params));
    expect(res.written).toBe(res.read);
    await expectSameKeys(keys);
    // A rerun over changed targets puts them back exactly (replace is the default write mode).
    await dst.hset(`${prefix}hash`, 'extra', '1');
    await dst.rpush(`${prefix}list_big`, 'extra');
    await dst.persist(`${prefix}str_ttl`);
    await drive(redis.reader!, readerCtx(params), redis.writer!, writerCtx(params));
    await expectSameKeys(keys);
  });

  test('without a native peer every type travels as typed, whole entries that round-trip exactly through the portable envelope', async () => {
    const keys = await fillAllTypes();
    const params = { collection_page: 50, worker_num: 3, read_batch: 7, write_batch: 3 };
    // A reader whose peer is another store (no shared native format), a writer fed from JSON text,
    // as if every entry had been stored as an envelope (an S3 object, a file line) and restored.
    const reader = readerCtx(params, {}, 'mysql');
    expect(reader.peerNative).toBe(false);
    const viaEnvelope: WriterFactory = {
      open: async (ctx) => {
        const inner = await redis.writer!.open(ctx);
        return {
          write: (batch: Batch, shard: Shard) => {
            const entries = batch.records as unknown as KvEntry[];
            for (const e of entries) {
              expect(e.native).toBeUndefined();
              expect(e.chunk).toBeUndefined();
            }
            const restored = entries.map((e) => decodeEnvelope(encodeEnvelope(e)) as unknown as SyncRecord);
            return inner.write({ ...batch, records: restored }, shard);
          },
          flush: (shard: Shard) => inner.flush(shard),
          close: () => inner.close(),
        };
      },
    };
    const res = await drive(redis.reader!, reader, viaEnvelope, writerCtx(params, 'mysql'));
    expect(res.read).toBe(16);
    expect(res.written).toBe(16);
    await expectSameKeys(keys);
  });

  test('expiry is absolute: a write grants only the time left, an entry already expired is not written', async () => {
    const session = await redis.writer!.open(writerCtx());
    const shard = { id: 's', label: 's', spec: {} };
    const entry = (name: string, expireAt: number | null): SyncRecord => ({ key: Buffer.from(`${prefix}${name}`), type: 'string', value: Buffer.from('v'), expireAt }) as unknown as SyncRecord;
    const now = Date.now();
    const n = await session.write({ kind: 'entry', records: [entry('left', now + 60_000), entry('gone', now - 1), entry('never', null)], bytes: 3 }, shard);
    await session.close();
    expect(n).toBe(2);
    expect(await dst.exists(`${prefix}gone`)).toBe(0);
    const left = await dst.pttl(`${prefix}left`);
    expect(left).toBeGreaterThan(55_000);
    expect(left).toBeLessThanOrEqual(60_000);
    expect(await dst.pttl(`${prefix}never`)).toBe(-1);
  });

  test('one write of big strings goes out as several MSETs of about 1 MiB, every key landed and counted once', async () => {
    const msetCalls = async () => Number(/cmdstat_mset:calls=(\d+)/.exec(await dst.info('commandstats'))?.[1] ?? 0);
    const session = await redis.writer!.open(writerCtx());
    const shard = { id: 's', label: 's', spec: {} };
    const entry = (name: string, value: Buffer, expireAt: number | null = null): SyncRecord => ({ key: Buffer.from(`${prefix}${name}`), type: 'string', value, expireAt }) as unknown as SyncRecord;
    const big = (i: number) => Buffer.alloc(600 * 1024, i + 1);
    const records = [0, 1, 2, 3, 4].map((i) => entry(`big${i}`, big(i)));
    records.push(entry('small', Buffer.from('s')), entry('empty', Buffer.alloc(0)), entry('ttl', Buffer.from('t'), Date.now() + 60_000));
    const before = await msetCalls();
    const n = await session.write({ kind: 'entry', records, bytes: 5 * 600 * 1024 }, shard);
    const calls = (await msetCalls()) - before;
    await session.close();
    expect(n).toBe(8);
    // 600 KiB + 600 KiB pass 1 MiB, twice; the fifth value and the small ones make the third.
    expect(calls).toBe(3);
    for (const i of [0, 1, 2, 3, 4]) expect((await dst.getBuffer(`${prefix}big${i}`))!.equals(big(i))).toBe(true);
    expect(await dst.get(`${prefix}small`)).toBe('s');
    expect(await dst.get(`${prefix}empty`)).toBe('');
    expect(await dst.pttl(`${prefix}ttl`)).toBeGreaterThan(55_000);
  });

  test('write modes: skip_existing keeps existing keys and counts only new ones; merge adds fields', async () => {
    await src.set(`${prefix}s1`, 'new');
    await src.set(`${prefix}s2`, 'new');
    await src.hset(`${prefix}h`, { a: 'new', b: 'new' });
    await dst.set(`${prefix}s1`, 'old');
    await dst.hset(`${prefix}h`, { a: 'old', z: 'old' });
    const skip = await drive(redis.reader!, readerCtx({ write_mode: 'skip_existing' }), redis.writer!, writerCtx({ write_mode: 'skip_existing' }));
    expect(skip.read).toBe(3);
    expect(skip.written).toBe(1);
    expect(await dst.get(`${prefix}s1`)).toBe('old');
    expect(await dst.get(`${prefix}s2`)).toBe('new');
    expect(await dst.hgetall(`${prefix}h`)).toEqual({ a: 'old', z: 'old' });
    const merge = await drive(redis.reader!, readerCtx({ write_mode: 'merge' }), redis.writer!, writerCtx({ write_mode: 'merge' }));
    expect(merge.written).toBe(3);
    expect(await dst.hgetall(`${prefix}h`)).toEqual({ a: 'new', b: 'new', z: 'old' });
  });

  test('filters: prefixes allowed and denied, types', async () => {
    await src.set(`${prefix}a:1`, '1');
    await src.set(`${prefix}a:2`, '2');
    await src.set(`${prefix}b:1`, '3');
    await src.hset(`${prefix}a:h`, 'f', 'v');
    await src.set(`${prefix}a:skip`, 'x');
    const params = { key_prefixes: [`${prefix}a:`], exclude_prefixes: [`${prefix}a:skip`], types: ['string'] };
    const res = await drive(redis.reader!, readerCtx(params), redis.writer!, writerCtx(params));
    expect(res.written).toBe(2);
    expect((await keysOf(dst, `${prefix}*`)).sort()).toEqual([`${prefix}a:1`, `${prefix}a:2`]);
  });

  test('a pattern with no keys plans shards whose reads are empty; an empty db plans no shard', async () => {
    const res = await drive(redis.reader!, readerCtx({}, { from_table: `${prefix}nothing:*` }), redis.writer!, writerCtx());
    expect(res.read).toBe(0);
    expect(res.written).toBe(0);
    // A private server, so the db is empty whatever other tests keep in the shared one.
    const server = await startRedisServer();
    try {
      const empty = pluginContext(redis, { connection: { port: server.port, db: 15 }, task: { from_table: '*' } });
      expect(await redis.reader!.plan(empty)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe('scan-cursor split', () => {
  const N = 100_000;

  test.each([1, 4, 16])('reads every one of 100k keys with worker_num %i, duplicates only at boundaries', async (workers) => {
    await fillStrings(src, prefix, N);
    const ctx = readerCtx({ worker_num: workers, read_batch: 1000 });
    const shards = await redis.reader!.plan(ctx);
    expect(shards.length).toBe(workers);
    const session = await redis.reader!.open(ctx);
    const seen = new Map<string, number>();
    // All shards at once on one session, like one worker thread running several shards.
    await Promise.all(shards.map(async (shard) => {
      for await (const batch of session.read(shard, { batchSize: 1000, signal: ctx.signal })) {
        for (const r of batch.records) {
          const key = String((r as { key: Buffer }).key);
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
    }));
    await session.close();
    const ours = [...seen.keys()].filter((k) => k.startsWith(prefix));
    expect(ours.length).toBe(N);
    const dup = [...seen.values()].reduce((a, b) => a + b, 0) - N;
    expect(dup).toBeLessThan(N * 0.02);
  });

  test('a pattern over a small db: segments read their own keys (not the whole table each) and count every key once', async () => {
    // 3,600 keys, 600 matching: a first SCAN COUNT of a whole read batch would run through the
    // table to cursor 0 from every segment's start.
    await fillStrings(src, `${prefix}other:`, 3000);
    await fillStrings(src, `${prefix}match:`, 600);
    const ctx = readerCtx({ worker_num: 4, read_batch: 5000 }, { from_table: `${prefix}match:*` });
    const shards = await redis.reader!.plan(ctx);
    expect(shards.length).toBeGreaterThan(1);
    const session = await redis.reader!.open(ctx);
    let counted = 0;
    let records = 0;
    const seen = new Set<string>();
    for (const shard of shards) {
      for await (const batch of session.read(shard, { batchSize: 5000, signal: ctx.signal })) {
        counted += batch.records.length - (batch.recounted ?? 0);
        records += batch.records.length;
        for (const r of batch.records) seen.add(String((r as { key: Buffer }).key));
      }
    }
    await session.close();
    expect(seen.size).toBe(600);
    expect(counted).toBe(600);
    expect(records).toBeLessThan(600 * 1.2);
  });

  test('keys present from start to end are all read while the table grows under the scan', async () => {
    await fillStrings(src, prefix, N);
    const ctx = readerCtx({ worker_num: 8, read_batch: 500 }, { from_table: `${prefix}*` });
    const shards = await redis.reader!.plan(ctx);
    const session = await redis.reader!.open(ctx);
    const seen = new Set<string>();
    let grown = false;
    await Promise.all(shards.map(async (shard, i) => {
      for await (const batch of session.read(shard, { batchSize: 500, signal: ctx.signal })) {
        for (const r of batch.records) seen.add(String((r as { key: Buffer }).key));
        if (i === 0 && !grown) {
          grown = true;
          // 100k more keys: the dict doubles (and rehashes) while the other segments scan.
          await fillStrings(src, `${prefix}more:`, N);
        }
      }
    }));
    await session.close();
    for (let i = 0; i < N; i++) if (!seen.has(`${prefix}${i}`)) throw new Error(`missed ${prefix}${i}`);
  });
});

describe('dirty-set sync', () => {
  async function fillUsers(n: number, dirty: string): Promise<void> {
    const p = src.pipeline();
    for (let i = 0; i < n; i++) {
      p.hset(`${prefix}user:${i}`, { id: String(i), v: '0' });
      p.sadd(dirty, `${prefix}user:${i}`);
    }
    await p.exec();
  }

  test('concurrent updates during the run are never lost; keys leave the set only after the write', async () => {
    const dirty = `${prefix}dirty`;
    const n = 3000;
    await fillUsers(n, dirty);
    const params = { mode: 'dirty_set', dirty_set: dirty, worker_num: 4, read_batch: 200, write_batch: 50 };
    let version = 0;
    // The app keeps changing users while the job runs: value first, then mark dirty.
    const res = await drive(redis.reader!, readerCtx(params, { from_table: '' }), redis.writer!, writerCtx(params), {
      onBatch: async () => {
        version++;
        for (let j = 0; j < 20; j++) {
          const id = (version * 37 + j * 101) % n;
          await src.hset(`${prefix}user:${id}`, 'v', String(version));
          await src.sadd(dirty, `${prefix}user:${id}`);
        }
      },
    });
    expect(res.written).toBeGreaterThanOrEqual(n);
    // Every user is either up to date on the target or still marked dirty for the next run.
    const stillDirty = new Set(await src.smembers(dirty));
    for (let i = 0; i < n; i++) {
      const key = `${prefix}user:${i}`;
      const [a, b] = [await src.hget(key, 'v'), await dst.hget(key, 'v')];
      if (a !== b) expect({ key, dirty: stillDirty.has(key) }).toEqual({ key, dirty: true });
    }
    expect(await src.scard(`{${dirty}}:processing`)).toBe(0);
    // The next run (no more changes) catches up completely and empties the set.
    await drive(redis.reader!, readerCtx(params, { from_table: '' }), redis.writer!, writerCtx(params));
    for (let i = 0; i < n; i += 7) expect(await dst.hgetall(`${prefix}user:${i}`)).toEqual(await src.hgetall(`${prefix}user:${i}`));
    expect(await src.scard(dirty)).toBe(0);
    expect(await src.scard(`{${dirty}}:processing`)).toBe(0);
  });

  test('a run that fails after claiming keys leaves them for the next run, which syncs them', async () => {
    const dirty = `${prefix}dirty2`;
    await fillUsers(500, dirty);
    const params = { mode: 'dirty_set', dirty_set: dirty, worker_num: 1, read_batch: 100 };
    let calls = 0;
    const failing: WriterFactory = {
      open: async (ctx) => {
        const inner = await redis.writer!.open(ctx);
        return {
          write: async (b: Batch, shard: Shard) => {
            if (++calls === 3) throw new WriteError('target went away');
            return inner.write(b, shard);
          },
          flush: (shard: Shard) => inner.flush(shard),
          close: () => inner.close(),
        };
      },
    };
    await expect(drive(redis.reader!, readerCtx(params, { from_table: '' }), failing, writerCtx(params))).rejects.toThrow('target went away');
    expect(await src.scard(`{${dirty}}:processing`)).toBe(100);
    expect(await src.scard(dirty)).toBe(200);
    const res = await drive(redis.reader!, readerCtx(params, { from_table: '' }), redis.writer!, writerCtx(params));
    expect(res.written).toBe(300);
    expect(await keysOf(dst, `${prefix}user:*`)).toHaveLength(500);
    expect(await src.scard(dirty)).toBe(0);
    expect(await src.scard(`{${dirty}}:processing`)).toBe(0);
  });

  test('keys deleted after being marked are dropped from the set without a write', async () => {
    const dirty = `${prefix}dirty3`;
    await src.sadd(dirty, `${prefix}gone:1`, `${prefix}gone:2`);
    await src.set(`${prefix}here`, 'x');
    await src.sadd(dirty, `${prefix}here`);
    const params = { mode: 'dirty_set', dirty_set: dirty };
    const res = await drive(redis.reader!, readerCtx(params, { from_table: '' }), redis.writer!, writerCtx(params));
    expect(res.written).toBe(1);
    expect(await src.exists(dirty, `{${dirty}}:processing`)).toBe(0);
  });
});

describe('bad input fails with one clear line', () => {
  function oneLine(err: unknown): string {
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }

  test('unreachable port names host:port and the config entry', async () => {
    const ctx = pluginContext(redis, { connection: { host: '127.0.0.1', port: 1, connect_timeout_ms: 1000 }, task: { from_app: 'cache', from_db: '0' } });
    const err = await redis.reader!.plan(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(ReadError);
    expect(oneLine(err)).toMatch(/redis source 127\.0\.0\.1:1 \(from\.redis\.cache_0\): cannot connect: connection refused/);
    const werr = await redis.writer!.open(pluginContext(redis, { connection: { port: 1 }, task: { to_app: 'cache', to_db: '3' } })).catch((e) => e);
    expect(werr).toBeInstanceOf(WriteError);
    expect(oneLine(werr)).toContain('to.redis.cache_3');
  });

  test('wrong password and missing password', async () => {
    const server = await startRedisServer({ password: 's3cret-pw' });
    try {
      const bad = await redis.reader!.plan(pluginContext(redis, { connection: { port: server.port, password: 'nope' } })).catch((e) => e);
      expect(bad).toBeInstanceOf(ReadError);
      expect(oneLine(bad)).toMatch(/authentication failed/);
      expect(bad.message).not.toContain('nope');
      // With a db other than 0 the SELECT after the failed AUTH answers NOAUTH: the wrong password is still the reason.
      const badDb = await redis.reader!.plan(pluginContext(redis, { connection: { port: server.port, password: 'nope' }, task: { from_db: '3' } })).catch((e) => e);
      expect(oneLine(badDb)).toMatch(/authentication failed: wrong username or password/);
      expect(oneLine(badDb)).not.toMatch(/needs a password/);
      const none = await redis.reader!.plan(pluginContext(redis, { connection: { port: server.port } })).catch((e) => e);
      expect(oneLine(none)).toMatch(new RegExp(`127\\.0\\.0\\.1:${server.port}.*(password|NOAUTH|authentication)`));
      const ok = await redis.reader!.plan(pluginContext(redis, { connection: { port: server.port, password: 's3cret-pw' } }));
      expect(ok).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  test('cluster: true against a standalone server says so', async () => {
    const err = await redis.reader!.plan(pluginContext(redis, { connection: { port: 6379, cluster: true, connect_timeout_ms: 2000 } })).catch((e) => e);
    expect(err).toBeInstanceOf(ReadError);
    expect(oneLine(err)).toMatch(/127\.0\.0\.1:6379 is not a Cluster node/);
  });

  test('bad connection entries and params are rejected with the key named', () => {
    expect(() => pluginContext(redis, { connection: { cluster: ['nohost'] } })).toThrow(/cluster/);
    expect(() => pluginContext(redis, { connection: { port: 6379 }, params: { mode: 'dirty' } })).toThrow(/params\.mode must be one of/);
    expect(() => pluginContext(redis, { connection: { port: 6379 }, params: { copy_methd: 'dump' } })).toThrow(/params\.copy_methd is not a known key/);
    expect(() => pluginContext(redis, { connection: { port: 6379 }, params: { types: ['str'] } })).toThrow(/params\.types/);
  });

  test('write_mode and key_template are checked before any data moves', async () => {
    await expect(redis.writer!.validate!(writerCtx({ write_mode: 'upsert' }))).rejects.toThrow(/write_mode must be one of "replace", "skip_existing", "merge"/);
    const toRedis = writerCtx({}, 'mysql');
    expect(() => checkBridge(mysql, redis, taskRow({ from_db_type: 'mysql', to_db_type: 'redis' }), toRedis.params)).toThrow(/needs params.key_template/);
    await expect(redis.reader!.validate!(readerCtx({ mode: 'dirty_set' }, { from_table: '' }))).rejects.toThrow(/needs params.dirty_set/);
  });

  test('a DUMP payload the target cannot restore points at copy_method typed', async () => {
    const session = await redis.writer!.open(writerCtx());
    const entry: KvEntry = { key: Buffer.from(`${prefix}x`), type: 'hash', value: [], expireAt: null, native: Buffer.from('\x10garbage\x0b\x00') };
    const err = await session.write({ kind: 'entry', records: [entry as unknown as SyncRecord], bytes: 0 }, { id: 's', label: 's', spec: {} }).catch((e) => e);
    await session.close();
    expect(err).toBeInstanceOf(WriteError);
    expect(oneLine(err)).toMatch(/copy_method to "typed"/);
  });
});
