/**
 * The RDB parser against real RDB files written by the redis-server on this machine (7.0, RDB 10):
 * one server per encoding set, every parsed key compared with what the live server returns (the
 * SCAN reader's shape), every DUMP payload RESTOREd and compared with the server's own DUMP.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type Redis from 'ioredis';
import { parseRdb, RdbError, type KvEntry, type RdbItem } from '../../src/sdk';
import { startRdbRedis, type RdbRedis } from '../support/rdb-redis';

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(src: AsyncIterable<Buffer>, decodeValues = true): Promise<RdbItem[]> {
  const out: RdbItem[] = [];
  for await (const item of parseRdb(src, { decodeValues })) out.push(item);
  return out;
}

const sorted = <T>(xs: T[], key: (x: T) => string): T[] => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const hex = (b: Buffer) => b.toString('hex');

/** The entry the live server holds for `key`, in the SCAN reader's shape (canonical order). */
async function liveEntry(r: Redis, key: Buffer): Promise<Omit<KvEntry, 'key'>> {
  const type = (await r.type(key)) as KvEntry['type'];
  const expireMs = Number(await r.call('PEXPIRETIME', key));
  const expireAt = expireMs < 0 ? null : expireMs;
  switch (type) {
    case 'string':
      return { type, value: (await r.getBuffer(key))!, expireAt };
    case 'list':
      return { type, value: await r.lrangeBuffer(key, 0, -1), expireAt };
    case 'set':
      return { type, value: sorted(await r.smembersBuffer(key), hex), expireAt };
    case 'hash': {
      const flat = (await r.callBuffer('HGETALL', key)) as Buffer[];
      const pairs: [Buffer, Buffer][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return { type, value: sorted(pairs, (p) => hex(p[0])), expireAt };
    }
    case 'zset': {
      const flat = (await r.callBuffer('ZRANGE', key, 0, -1, 'WITHSCORES')) as Buffer[];
      const pairs: [Buffer, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1].toString()]);
      return { type, value: pairs, expireAt };
    }
    case 'stream': {
      const raw = (await r.callBuffer('XRANGE', key, '-', '+')) as [Buffer, Buffer[]][];
      const value = raw.map(([id, f]) => {
        const pairs: [Buffer, Buffer][] = [];
        for (let i = 0; i < f.length; i += 2) pairs.push([f[i], f[i + 1]]);
        return [id.toString(), pairs] as [string, [Buffer, Buffer][]];
      });
      return { type, value, expireAt };
    }
    default:
      throw new Error(`unexpected type ${type as string}`);
  }
}

/** A parsed entry in the same canonical order; zset scores as the doubles they parse to. */
function canonical(e: Omit<KvEntry, 'key'>): unknown {
  switch (e.type) {
    case 'set':
      return { ...e, value: sorted(e.value as Buffer[], hex) };
    case 'hash':
      return { ...e, value: sorted(e.value as [Buffer, Buffer][], (p) => hex(p[0])) };
    case 'zset':
      return { ...e, value: (e.value as [Buffer, string][]).map(([m, s]) => [m, Number(s.replace(/^(-?)inf$/, '$1Infinity'))]) };
    default:
      return e;
  }
}

/** Fill db 0 (and db 3) with every type, small and big, with and without expiries. */
async function fill(r: Redis, tag: string): Promise<void> {
  const far = Date.now() + 3_600_000;
  await r.set('s:small', 'hello');
  await r.set('s:int', '12345');
  await r.set('s:neg', '-7');
  await r.set('s:int32', '-2147483648');
  await r.set('s:empty', '');
  await r.set(Buffer.from([0xff, 0x00, 0xfe]), randomBytes(300));
  await r.set('s:lzf', `${tag} compressible `.repeat(2000));
  await r.set('s:big', randomBytes(200_000));
  await r.set('s:ttl', 'bye', 'PXAT', far + 123);
  await r.rpush('l:small', 'a', '1', '-300', '70000', 'b');
  const long: string[] = [];
  for (let i = 0; i < 600; i++) long.push(i % 3 ? `item-${i}` : String(i * 1_000_003));
  await r.rpush('l:long', ...long);
  await r.rpush('l:bigel', 'x'.repeat(9000), 'y', randomBytes(5000));
  await r.sadd('set:int', 1, 2, 3, -5, 4_000_000_000);
  await r.sadd('set:small', 'x', 'y', 'z');
  const many: string[] = [];
  for (let i = 0; i < 700; i++) many.push(`m${i}`);
  await r.sadd('set:big', ...many);
  await r.hset('h:small', 'f1', 'v1', 'n', '42');
  const fields: string[] = [];
  for (let i = 0; i < 400; i++) fields.push(`field${i}`, i % 2 ? `value-${i}` : String(i));
  await r.hset('h:big', ...fields);
  await r.pexpireat('h:big', far);
  await r.zadd('z:small', 1.1, 'a', 0, 'zero', '-inf', 'low', '+inf', 'high', 3, 'three', 1e300, 'huge', -2.5e-10, 'tiny');
  const zs: (string | number)[] = [];
  for (let i = 0; i < 300; i++) zs.push(i / 7, `member${i}`);
  await r.zadd('z:big', ...zs);
  for (let i = 0; i < 30; i++) await r.xadd('st', '*', 'temp', String(20 + i), 'unit', 'C');
  await r.xadd('st', '*', 'other', 'fields', 'n', '1');
  const ids = (await r.xrange('st', '-', '+')).map(([id]) => id);
  await r.xdel('st', ids[4]);
  await r.xgroup('CREATE', 'st', 'g1', '0');
  await r.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 3, 'STREAMS', 'st', '>');
  await r.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', 'st', '>');
  await r.xgroup('CREATE', 'st', 'g2', '$');
  await r.xadd('st:empty', 'MAXLEN', '0', '*', 'a', 'b');
  await r.select(3);
  await r.set('db3:key', 'in db 3');
  await r.hset('db3:h', 'a', 'b');
  await r.select(0);
}

const configs: Record<string, Record<string, string>> = {
  'compact encodings, compression on': { rdbcompression: 'yes' },
  'big encodings, compression off': {
    rdbcompression: 'no', 'list-max-listpack-size': '4', 'hash-max-listpack-entries': '2', 'set-max-intset-entries': '2',
    'zset-max-listpack-entries': '2', 'stream-node-max-entries': '4',
  },
  'checksum off': { rdbchecksum: 'no', 'list-max-listpack-size': '-1' },
};

describe.each(Object.entries(configs))('RDB 10 from redis-server 7.0: %s', (_name, config) => {
  let server: RdbRedis;
  let file: Buffer;
  let items: RdbItem[];
  beforeAll(async () => {
    server = await startRdbRedis(config);
    await fill(server.client, _name);
    await server.client.call('FUNCTION', 'LOAD', "#!lua name=goshiftlib\nredis.register_function('ping1', function() return 1 end)");
    file = await readFile(await server.save());
    items = await collect(createReadStream(`${server.dir}/dump.rdb`, { highWaterMark: 64 * 1024 }));
  });
  afterAll(async () => {
    await server.client.call('FUNCTION', 'FLUSH').catch(() => undefined);
    await server.stop();
  });

  it('reads every key of every db with its value and absolute expiry as the live server has it', async () => {
    const r = server.client;
    const entries = items.filter((i): i is Extract<RdbItem, { kind: 'entry' }> => i.kind === 'entry');
    expect(entries.length).toBe((await r.dbsize()) + 2); // db 3 holds two keys
    for (const { db, entry } of entries) {
      await r.select(db);
      const { key, ...parsed } = entry;
      expect([key.toString('hex'), canonical(parsed)]).toEqual([key.toString('hex'), canonical(await liveEntry(r, key))]);
    }
    await r.select(0);
    expect(entries.filter((e) => e.db === 3).map((e) => e.entry.key.toString()).sort()).toEqual(['db3:h', 'db3:key']);
    expect(items.find((i) => i.kind === 'aux' && i.name === 'redis-ver')).toEqual({ kind: 'aux', name: 'redis-ver', value: Buffer.from('7.0.15') });
    expect(items.find((i) => i.kind === 'function')).toMatchObject({ kind: 'function' });
    expect(items[items.length - 1]).toMatchObject({ kind: 'end', version: 10 });
  });

  it('gives DUMP payloads that RESTORE into keys identical to the originals', async () => {
    const r = server.client;
    await r.select(5);
    try {
      for (const item of items) {
        if (item.kind !== 'entry') continue;
        await r.call('RESTORE', `restored:${item.entry.key.toString('hex')}`, 0, item.dump);
        await r.select(item.db);
        const original = (await r.callBuffer('DUMP', item.entry.key)) as Buffer;
        await r.select(5);
        const copy = (await r.callBuffer('DUMP', `restored:${item.entry.key.toString('hex')}`)) as Buffer;
        if (copy.equals(original)) continue;
        // Hash tables may come back in another order (and so another DUMP): then the values must be equal.
        const name = item.entry.key.toString('hex');
        const restored = await liveEntry(r, Buffer.from(`restored:${name}`));
        await r.select(item.db);
        const source = await liveEntry(r, item.entry.key);
        await r.select(5);
        expect([name, canonical({ ...restored, expireAt: null })]).toEqual([name, canonical({ ...source, expireAt: null })]);
      }
    } finally {
      await r.flushdb();
      await r.select(0);
    }
  });

  it('parses the same items whatever the chunk size, and the same dumps without decoding', async () => {
    const small = await collect(chunksOf(file, 13));
    expect(small).toEqual(items);
    const dumpsOnly = await collect(chunksOf(file, 4096), false);
    expect(dumpsOnly.map((i) => (i.kind === 'entry' ? [i.entry.key, i.dump, i.entry.expireAt, i.entry.type] : i.kind))).toEqual(
      items.map((i) => (i.kind === 'entry' ? [i.entry.key, i.dump, i.entry.expireAt, i.entry.type] : i.kind)),
    );
  });

  it('refuses a file cut short, naming the byte', async () => {
    const cut = file.subarray(0, file.length - 100);
    await expect(collect(chunksOf(cut, 1000))).rejects.toThrow(new RdbError(`RDB file truncated at byte ${cut.length}`));
  });
});

describe('RDB checksum and version checks', () => {
  let server: RdbRedis;
  let file: Buffer;
  beforeAll(async () => {
    server = await startRdbRedis();
    await fill(server.client, 'checks');
    file = await readFile(await server.save());
  });
  afterAll(() => server.stop());

  it('refuses a file whose bytes changed (bad checksum)', async () => {
    const bad = Buffer.from(file);
    const at = bad.indexOf('compressible');
    bad[at] ^= 0x20;
    await expect(collect(chunksOf(bad, 65536))).rejects.toThrow(/^RDB checksum mismatch at byte \d+: the file says [0-9a-f]{16}, its content gives [0-9a-f]{16}$/);
  });

  it('refuses an RDB version newer than it knows, in one line', async () => {
    const newer = Buffer.concat([Buffer.from('REDIS0013'), file.subarray(9)]);
    await expect(collect(chunksOf(newer, 65536))).rejects.toThrow('RDB version 13 is newer than goshift knows (up to 12, Redis 7.4)');
    await expect(collect(chunksOf(Buffer.from('HELLO0009'), 65536))).rejects.toThrow('not an RDB file: it starts with "HELLO" instead of "REDIS"');
  });
});
