/**
 * The S3 store against the local s3rver (scripts/services.sh): Redis persist and restore through
 * envelopes, mysql rows through NDJSON/CSV part files, listings past one page, and the one-line
 * errors. Every test has its own bucket and removes it.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import s3Plugin from '../../plugins/s3';
import type { Shard } from '../../src/sdk';
import { GoshiftTestEnv } from '../support/goshift-env';
import { DST_DB, SRC_DB } from '../support/fixtures/redis';
import { dropBucket, getObject, listKeys, makeBucket, partText, putObject, putObjects, s3Entry, s3TestClient } from '../support/fixtures/s3';
import { redisEntry, redisSnapshot } from '../support/fixtures/shared';
import { pluginContext } from '../support/plugin-context';
import { deleteKeys } from '../support/redis-data';
import { fidelityDdl, fidelityRows } from '../support/fixtures/mysql-fidelity';

describe('s3 store through the CLI', () => {
  let env: GoshiftTestEnv;
  let client: S3Client;
  let bucket: string;

  const entry = (b = bucket) => ({ ...s3Entry, bucket: b });

  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    client = s3TestClient();
    bucket = await makeBucket(client);
    env.writeConfig({ from: { s3: { t_archive: entry() } }, to: { s3: { t_archive: entry() } } });
  });
  afterEach(async () => {
    await dropBucket(client, bucket);
    client.destroy();
    await env.cleanup();
  });

  test('redis -> s3 -> redis brings back every type, binary keys and values, and absolute expiries; expired envelopes are skipped', async () => {
    const prefix = `gss3:${randomUUID().slice(0, 8)}:`;
    const src = new Redis({ db: Number(SRC_DB) });
    const dst = new Redis({ db: Number(DST_DB) });
    try {
      const p = src.pipeline();
      const binKey = Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0x00, 0x41])]);
      p.set(binKey, Buffer.from([0, 0xff, 0xfe]));
      for (let i = 0; i < 60; i++) {
        const key = `${prefix}${i}`;
        switch (i % 6) {
          case 0: p.set(key, Buffer.from([i, 0, 0xff, 10])); break;
          case 1: p.hset(key, { f: `v${i}`, 名: `値 ${i}`, raw: Buffer.from([0xc3, 0x28]) }); break;
          case 2: p.sadd(key, 'a', String(i), Buffer.from([0xfe, i])); break;
          case 3: p.zadd(key, i / 7, 'm', -i, 'n', '+inf', 'top', '9007199254740993', 'big'); break;
          case 4: p.rpush(key, 'x', String(i), 'x', Buffer.from([0x80])); break;
          default: p.xadd(key, `${i + 1}-1`, 'f', `v${i}`); p.xadd(key, `${i + 1}-2`, 'g', Buffer.from([0xff]));
        }
        if (i % 3 === 0) p.pexpire(key, 3_600_000 + i);
      }
      await p.exec();
      env.writeConfig({ from: { s3: { t_archive: entry() }, redis: { [`t_${SRC_DB}`]: redisEntry } }, to: { s3: { t_archive: entry() }, redis: { [`t_${DST_DB}`]: redisEntry } } });
      const persist = await env.addTask({ from_db_type: 'redis', to_db_type: 's3', from_db: SRC_DB, to_db: 'archive', from_table: `${prefix}*`, to_table: 'backup/', params: { worker_num: 2, read_batch: 7, write_batch: 5 } });
      const persisted = await env.run(persist);
      expect({ code: persisted.code, stderr: persisted.code ? persisted.stderr : '' }).toEqual({ code: 0, stderr: '' });
      const keys = await listKeys(client, bucket, 'backup/');
      expect(keys).toHaveLength(61);
      // The envelope keeps the absolute expiry exactly, and a binary key is named by its base64url bytes.
      const doc = JSON.parse((await getObject(client, bucket, `backup/${prefix}0`)).body.toString('utf8'));
      expect(doc).toMatchObject({ v: 1, key: `${prefix}0`, type: 'string', value: { b64: Buffer.from([0, 0, 0xff, 10]).toString('base64') } });
      // The reader turns PTTL into an absolute time at read, so it can be 1-2 ms off PEXPIRETIME.
      expect(Math.abs(doc.expireAt - Number(await src.call('PEXPIRETIME', `${prefix}0`)))).toBeLessThanOrEqual(5);
      expect(keys).toContain(`backup/~b64~${binKey.toString('base64url')}`);
      // An envelope whose expiry has passed is not restored.
      await putObject(client, bucket, `backup/${prefix}gone`, JSON.stringify({ v: 1, key: `${prefix}gone`, type: 'string', value: 'x', expireAt: Date.now() - 1000 }));

      const restore = await env.addTask({ from_db_type: 's3', to_db_type: 'redis', from_db: 'archive', to_db: DST_DB, from_table: 'backup/', to_table: '', params: { worker_num: 2, read_batch: 9, write_batch: 4 } });
      const restored = await env.run(restore);
      expect({ code: restored.code, stderr: restored.code ? restored.stderr : '' }).toEqual({ code: 0, stderr: '' });
      const before = await redisSnapshot(src, [`${prefix}*`]);
      const after = await redisSnapshot(dst, [`${prefix}*`]);
      expect(after.content).toEqual(before.content);
      expect(Object.keys(after.expiries).sort()).toEqual(Object.keys(before.expiries).sort());
      // The envelope holds the exact expiry; the Redis writer sets it as time left, so a few ms may pass.
      for (const [k, at] of Object.entries(before.expiries)) expect(Math.abs(after.expiries[k] - at)).toBeLessThanOrEqual(100);
      expect(await dst.exists(`${prefix}gone`)).toBe(0);
      expect(await dst.getBuffer(binKey)).toEqual(Buffer.from([0, 0xff, 0xfe]));
    } finally {
      await deleteKeys(src, `${prefix}*`);
      await deleteKeys(dst, `${prefix}*`);
      src.disconnect();
      dst.disconnect();
    }
  });

  test.each([
    ['ndjson', true, '.ndjson.gz'],
    ['csv', true, '.csv.gz'],
    ['csv', false, '.csv'],
  ] as const)('mysql -> s3 (%s, gzip %s) -> mysql is exact, and a rerun overwrites its parts', async (format, gzip, ext) => {
    await env.sql(fidelityDdl('src'));
    await env.sql(fidelityDdl('dst'));
    await env.sql(fidelityRows);
    const out = await env.addTask({ from_table: 'src', to_db_type: 's3', to_db: 'archive', to_table: 'export/src', params: { pk: { src: 'id', dest: 'id' }, worker_num: 2, read_batch: 2, write_batch: 1, shard_rows: 2, direct_copy: false, format, gzip } });
    const exported = await env.run(out);
    expect({ code: exported.code, stderr: exported.code ? exported.stderr : '' }).toEqual({ code: 0, stderr: '' });
    const parts = await listKeys(client, bucket, 'export/src/');
    expect(parts.length).toBeGreaterThan(1);
    for (const key of parts) expect(key).toMatch(new RegExp(`^export/src/part-[A-Za-z0-9_-]+-\\d{5}${ext.replace(/\./g, '\\.')}$`));
    const texts = await Promise.all(parts.map((k) => partText(client, bucket, k)));

    const back = await env.addTask({ from_db_type: 's3', from_db: 'archive', from_table: 'export/src', to_table: 'dst', params: { worker_num: 2, read_batch: 2, write_batch: 2, format, gzip } });
    const imported = await env.run(back);
    expect({ code: imported.code, stderr: imported.code ? imported.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(await env.lastRun(back)).toMatchObject({ status: 'success', rows_read: '5', rows_written: '5' });
    expect(await env.sql('SELECT * FROM dst ORDER BY id')).toEqual(await env.sql('SELECT * FROM src ORDER BY id'));

    // A rerun writes the same part names with the same content: nothing duplicated.
    expect((await env.run(out)).code).toBe(0);
    expect(await listKeys(client, bucket, 'export/src/')).toEqual(parts);
    expect(await Promise.all(parts.map((k) => partText(client, bucket, k)))).toEqual(texts);
  });

  test('a listing of more than 1,000 objects is planned in pages and read completely, each object once; a position continues after its key', async () => {
    const n = 2300;
    await putObjects(client, bucket, Array.from({ length: n }, (_, i) => ({ key: `many/k${String(i).padStart(5, '0')}`, body: String(i) })));
    await putObject(client, bucket, 'other/x', 'not below the prefix');
    const ctx = pluginContext(s3Plugin, { connection: entry(), task: { from_db: 'archive', from_table: 'many/' }, params: { worker_num: 4 } });
    const shards = await s3Plugin.reader!.plan(ctx);
    expect(shards).toHaveLength(3);
    const session = await s3Plugin.reader!.open(ctx);
    try {
      const seen = new Map<string, number>();
      for (const shard of shards) {
        for await (const batch of session.read(shard, { batchSize: 250, signal: ctx.signal })) {
          for (const r of batch.records) {
            const o = r as unknown as { key: string; body: Buffer };
            expect(o.body.toString()).toBe(String(Number(o.key.slice(1))));
            seen.set(o.key, (seen.get(o.key) ?? 0) + 1);
          }
        }
      }
      expect(seen.size).toBe(n);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
      // From a saved position, the shard continues strictly after that key.
      const second: Shard = shards[1];
      const rest: string[] = [];
      for await (const batch of session.read(second, { batchSize: 100, signal: ctx.signal, from: { after: 'many/k01499' } })) {
        rest.push(...batch.records.map((r) => (r as unknown as { key: string }).key));
      }
      expect(rest[0]).toBe('k01500');
      expect(rest[rest.length - 1]).toBe('k01999');
      expect(rest).toHaveLength(500);
    } finally {
      await session.close();
    }
  });

  test('file mode resumes exactly: a replayed batch drops the parts from the one it starts, its later chunks append', async () => {
    const ctx = pluginContext(s3Plugin, { connection: entry(), task: { to_db: 'archive', to_table: 'out' }, params: { format: 'ndjson' } });
    const shard: Shard = { id: 'pk-0', label: 'pk 0', spec: {} };
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: String(from + i), v: `row ${from + i}` }));
    const first = await s3Plugin.writer!.open(ctx);
    try {
      await first.write({ kind: 'row', records: rows(1, 2), bytes: 1, position: { k: 2 } }, shard);
      await first.flush(shard);
      await first.write({ kind: 'row', records: rows(3, 2), bytes: 1, position: { k: 4 } }, shard);
      await first.flush(shard);
    } finally {
      await first.close();
    }
    expect(await listKeys(client, bucket, 'out/')).toEqual(['out/part-pk-0-00000.ndjson', 'out/part-pk-0-00001.ndjson']);
    // Stopped after the second part was uploaded but before its position {k: 2} -> {k: 4} was saved:
    // the runtime reads on after {k: 2} and marks the batch ending at {k: 4} replayed, in two chunks.
    const second = await s3Plugin.writer!.open(ctx);
    try {
      await second.write({ kind: 'row', records: rows(3, 1), bytes: 1, position: { k: 4 }, replayed: true }, shard);
      await second.write({ kind: 'row', records: rows(4, 1), bytes: 1, position: { k: 4 }, replayed: true }, shard);
      await second.write({ kind: 'row', records: rows(5, 1), bytes: 1, position: { k: 5 } }, shard);
      await second.flush(shard);
      await second.end!(shard);
    } finally {
      await second.close();
    }
    const keys = await listKeys(client, bucket, 'out/');
    expect(keys).toEqual(['out/part-pk-0-00000.ndjson', 'out/part-pk-0-00001.ndjson']);
    const ids = (await Promise.all(keys.map((k) => partText(client, bucket, k)))).join('').split('\n').filter(Boolean).map((l) => JSON.parse(l).id);
    expect(ids).toEqual(['1', '2', '3', '4', '5']);
    // A fresh run of the shard (no replay) replaces its parts.
    const third = await s3Plugin.writer!.open(ctx);
    try {
      await third.write({ kind: 'row', records: rows(9, 1), bytes: 1, position: { k: 9 } }, shard);
      await third.end!(shard);
    } finally {
      await third.close();
    }
    expect(await listKeys(client, bucket, 'out/')).toEqual(['out/part-pk-0-00000.ndjson']);
  });

  test('a part above the multipart size goes up in several parts and reads back whole', async () => {
    const ctx = pluginContext(s3Plugin, { connection: entry(), task: { to_db: 'archive', to_table: 'big', from_db: 'archive', from_table: 'big' }, params: { format: 'ndjson' } });
    const shard: Shard = { id: 'r0', label: 'r0', spec: {} };
    const records = Array.from({ length: 12 }, (_, i) => ({ id: String(i), v: String.fromCharCode(97 + i).repeat(1024 * 1024) }));
    // Which way lib-storage uploads (s3rver's ETags do not tell a multipart upload apart).
    const proto = Upload.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const multipart = jest.spyOn(proto, '__createMultipartUpload');
    const single = jest.spyOn(proto, '__uploadUsingPut');
    const writer = await s3Plugin.writer!.open(ctx);
    try {
      expect(await writer.write({ kind: 'row', records, bytes: 12 << 20, position: { k: 12 } }, shard)).toBe(12);
      await writer.end!(shard);
    } finally {
      await writer.close();
    }
    // (Each concurrent part upload asks for the one shared multipart upload.)
    expect(multipart.mock.calls.length).toBeGreaterThan(0);
    expect(single.mock.calls.length).toBe(0);
    multipart.mockRestore();
    single.mockRestore();
    const [key] = await listKeys(client, bucket, 'big/');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBeGreaterThan(12 << 20);
    const shards = await s3Plugin.reader!.plan(ctx);
    const reader = await s3Plugin.reader!.open(ctx);
    try {
      const ids: string[] = [];
      for await (const batch of reader.read(shards[0], { batchSize: 5, signal: ctx.signal })) {
        for (const r of batch.records) {
          expect((r.v as string).length).toBe(1024 * 1024);
          ids.push(r.id as string);
        }
      }
      expect(ids).toEqual(records.map((r) => r.id));
    } finally {
      await reader.close();
    }
  });

  test('a missing bucket, an unreachable endpoint and refused credentials each fail with one clear line', async () => {
    await env.sql('CREATE TABLE t (id int PRIMARY KEY)');
    const missing = `gs-missing-${randomUUID().slice(0, 8)}`;
    env.writeConfig({
      from: { s3: { t_gone: entry(missing), t_down: { ...entry(), endpoint: 'http://127.0.0.1:1' }, t_badkey: { ...entry(), accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } } },
      to: { s3: { t_gone: entry(missing) } },
    });
    const cases: [string, 'from' | 'to', RegExp][] = [
      ['gone', 'from', new RegExp(`bucket "${missing}" does not exist at 127\\.0\\.0\\.1:4569 \\(from\\.s3\\.t_gone\\)`)],
      ['gone', 'to', new RegExp(`bucket "${missing}" does not exist at 127\\.0\\.0\\.1:4569 \\(to\\.s3\\.t_gone\\)`)],
      ['down', 'from', /cannot reach S3 at 127\.0\.0\.1:1 \(from\.s3\.t_down\)/],
      ['badkey', 'from', /S3 at 127\.0\.0\.1:4569 refused the credentials of from\.s3\.t_badkey/],
    ];
    for (const [db, side, message] of cases) {
      const id = side === 'from'
        ? await env.addTask({ from_db_type: 's3', from_db: db, from_table: 'x/', to_table: 't', params: { format: 'ndjson' } })
        : await env.addTask({ from_table: 't', to_db_type: 's3', to_db: db, to_table: 'x/', params: { format: 'ndjson' } });
      const run = await env.run(id);
      expect(run.code).not.toBe(0);
      const lines = run.stderr.trim().split('\n').filter((l) => message.test(l));
      expect({ db, side, lines: lines.length, stderr: lines.length === 1 ? '' : run.stderr }).toEqual({ db, side, lines: 1, stderr: '' });
      expect(await env.taskStatus(id)).not.toBe('2');
    }
  });
});
