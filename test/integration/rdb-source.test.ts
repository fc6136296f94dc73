/**
 * RDB files as a source (`params.format: "rdb"`): a dump.rdb written by a real redis-server 7.0 is
 * read by the file plugin into Redis (every type, binary keys, absolute expiries) and into MySQL
 * through a key mapping; a cut file fails with one line.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { canonical, fill, liveEntry } from '../support/rdb-fixtures';
import { startRdbRedis, type RdbRedis } from '../support/rdb-redis';
import { deleteKeys, keyBuffersOf } from '../support/redis-data';
import { expirySlackMs } from '../support/fixtures/types';

const DST = 12;

let env: GoshiftTestEnv;
let server: RdbRedis;
let dst: Redis;
let prefix: string;
let dir: string;

beforeAll(async () => {
  server = await startRdbRedis({ 'list-max-listpack-size': '4', 'hash-max-listpack-entries': '2' });
});
afterAll(() => server.stop());

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gsrdb:${randomUUID().slice(0, 8)}:`;
  await server.client.flushall();
  await fill(server.client, 'source', prefix);
  dir = fs.mkdtempSync(path.join(env.configDir, 'rdb-'));
  fs.copyFileSync(await server.save(), path.join(dir, 'dump.rdb'));
  dst = new Redis({ db: DST });
  env.writeConfig({ from: { file: { t_files: { dir } } }, to: { redis: { [`t_${DST}`]: { host: '127.0.0.1', port: 6379 } } } });
});
afterEach(async () => {
  await deleteKeys(dst, `${prefix}*`);
  dst.disconnect();
  await env.cleanup();
});

test('file (dump.rdb of redis 7.0) -> redis: every key of db 0 with its type, value and absolute expiry', async () => {
  const id = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: 'dump.rdb', to_db_type: 'redis', to_db: String(DST), to_table: '', params: { format: 'rdb', rdb_db: 0, read_batch: 7 } });
  const res = await env.run(id);
  expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
  const allKeys = await keyBuffersOf(server.client, `${prefix}*`);
  expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: String(allKeys.length) });
  // A stream with no entries has no typed form (XADD cannot make it): only a DUMP payload keeps it (docs/rdb.md).
  const sourceKeys = allKeys.filter((k) => !k.toString().endsWith('st:empty'));
  expect((await keyBuffersOf(dst, `${prefix}*`)).map((k) => k.toString('hex')).sort()).toEqual(sourceKeys.map((k) => k.toString('hex')).sort());
  for (const key of sourceKeys) {
    const want = await liveEntry(server.client, key);
    const got = await liveEntry(dst, key);
    // The redis writer grants the time left (PX) when it writes, so the target's expiry may lie a few ms off.
    expect(got.expireAt === null).toBe(want.expireAt === null);
    if (want.expireAt !== null) expect(Math.abs(got.expireAt! - want.expireAt)).toBeLessThanOrEqual(expirySlackMs);
    expect([key.toString('hex'), canonical({ ...got, expireAt: null })]).toEqual([key.toString('hex'), canonical({ ...want, expireAt: null })]);
  }
});

test('a cut RDB file fails the run with one line naming the file and byte', async () => {
  const whole = fs.readFileSync(path.join(dir, 'dump.rdb'));
  fs.writeFileSync(path.join(dir, 'cut.rdb'), whole.subarray(0, whole.length - 50));
  const id = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: 'cut.rdb', to_db_type: 'redis', to_db: String(DST), to_table: '', params: { format: 'rdb' } });
  const res = await env.run(id);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toContain(`RDB file truncated at byte ${whole.length - 50}`);
  expect(await env.lastRun(id)).toMatchObject({ status: 'failed' });
});
