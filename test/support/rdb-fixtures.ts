/** Data and comparisons shared by the RDB tests: every type and encoding, the live server's view of a key. */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { KvEntry } from '../../src/sdk';

const sorted = <T>(xs: T[], key: (x: T) => string): T[] => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const hex = (b: Buffer) => b.toString('hex');

/** The entry the live server holds for `key`, in the SCAN reader's shape (canonical order). */
export async function liveEntry(r: Redis, key: Buffer): Promise<Omit<KvEntry, 'key'>> {
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
export function canonical(e: Omit<KvEntry, 'key'>): unknown {
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
export async function fill(r: Redis, tag: string, p = ''): Promise<void> {
  const far = Date.now() + 3_600_000;
  await r.set(`${p}s:small`, 'hello');
  await r.set(`${p}s:int`, '12345');
  await r.set(`${p}s:neg`, '-7');
  await r.set(`${p}s:int32`, '-2147483648');
  await r.set(`${p}s:empty`, '');
  await r.set(Buffer.concat([Buffer.from(p), Buffer.from([0xff, 0x00, 0xfe])]), randomBytes(300));
  await r.set(`${p}s:lzf`, `${tag} compressible `.repeat(2000));
  await r.set(`${p}s:big`, randomBytes(200_000));
  await r.set(`${p}s:ttl`, 'bye', 'PXAT', far + 123);
  await r.rpush(`${p}l:small`, 'a', '1', '-300', '70000', 'b');
  const long: string[] = [];
  for (let i = 0; i < 600; i++) long.push(i % 3 ? `item-${i}` : String(i * 1_000_003));
  await r.rpush(`${p}l:long`, ...long);
  await r.rpush(`${p}l:bigel`, 'x'.repeat(9000), 'y', randomBytes(5000));
  await r.sadd(`${p}set:int`, 1, 2, 3, -5, 4_000_000_000);
  await r.sadd(`${p}set:small`, 'x', 'y', 'z');
  const many: string[] = [];
  for (let i = 0; i < 700; i++) many.push(`m${i}`);
  await r.sadd(`${p}set:big`, ...many);
  await r.hset(`${p}h:small`, 'f1', 'v1', 'n', '42');
  const fields: string[] = [];
  for (let i = 0; i < 400; i++) fields.push(`field${i}`, i % 2 ? `value-${i}` : String(i));
  await r.hset(`${p}h:big`, ...fields);
  await r.pexpireat(`${p}h:big`, far);
  await r.zadd(`${p}z:small`, 1.1, 'a', 0, 'zero', '-inf', 'low', '+inf', 'high', 3, 'three', 1e300, 'huge', -2.5e-10, 'tiny');
  const zs: (string | number)[] = [];
  for (let i = 0; i < 300; i++) zs.push(i / 7, `member${i}`);
  await r.zadd(`${p}z:big`, ...zs);
  for (let i = 0; i < 30; i++) await r.xadd(`${p}st`, '*', 'temp', String(20 + i), 'unit', 'C');
  await r.xadd(`${p}st`, '*', 'other', 'fields', 'n', '1');
  const ids = (await r.xrange(`${p}st`, '-', '+')).map(([id]) => id);
  await r.xdel(`${p}st`, ids[4]);
  await r.xgroup('CREATE', `${p}st`, 'g1', '0');
  await r.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 3, 'STREAMS', `${p}st`, '>');
  await r.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 2, 'STREAMS', `${p}st`, '>');
  await r.xgroup('CREATE', `${p}st`, 'g2', '$');
  await r.xadd(`${p}st:empty`, 'MAXLEN', '0', '*', 'a', 'b');
  await r.select(3);
  await r.set(`${p}db3:key`, 'in db 3');
  await r.hset(`${p}db3:h`, 'a', 'b');
  await r.select(0);
}

