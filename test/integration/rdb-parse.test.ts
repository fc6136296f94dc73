/**
 * The RDB parser against real RDB files written by the redis-server on this machine (7.0, RDB 10):
 * one server per encoding set, every parsed key compared with what the live server returns (the
 * SCAN reader's shape), every DUMP payload RESTOREd and compared with the server's own DUMP.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseRdb, RdbError, type RdbItem } from '../../src/sdk';
import { canonical, fill, liveEntry } from '../support/rdb-fixtures';
import { startRdbRedis, type RdbRedis } from '../support/rdb-redis';

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(src: AsyncIterable<Buffer>, decodeValues = true): Promise<RdbItem[]> {
  const out: RdbItem[] = [];
  for await (const item of parseRdb(src, { decodeValues })) out.push(item);
  return out;
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
