/**
 * Persist and restore through rows: Redis keys of every type (binary values, TTLs) go to a mysql
 * table or a file as portable envelopes (value_format "envelope") and come back exactly: same
 * type, value and absolute expiry.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';
import { seedRedisTypes } from '../support/fixtures/dynamodb-pairs';
import { redisSnapshot } from '../support/fixtures/shared';
import { expirySlackMs, TargetSnapshot } from '../support/fixtures/types';

const SRC = 13;
const DST = 14;

let env: GoshiftTestEnv;
let src: Redis;
let dst: Redis;
let prefix: string;

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gsenv:${randomUUID().slice(0, 8)}:`;
  src = new Redis({ db: SRC });
  dst = new Redis({ db: DST });
  const entry = { host: '127.0.0.1', port: 6379 };
  env.writeConfig({ from: { redis: { [`t_${SRC}`]: entry } }, to: { redis: { [`t_${DST}`]: entry } } });
});
afterEach(async () => {
  await deleteKeys(src, `${prefix}*`);
  await deleteKeys(dst, `${prefix}*`);
  src.disconnect();
  dst.disconnect();
  await env.cleanup();
});

/** Same keys, types and values; absolute expiries within the slack. */
function expectSame(actual: TargetSnapshot, expected: TargetSnapshot): void {
  expect(actual.content).toEqual(expected.content);
  expect(Object.keys(actual.expiries).sort()).toEqual(Object.keys(expected.expiries).sort());
  for (const [key, at] of Object.entries(expected.expiries)) expect(Math.abs(actual.expiries[key] - at)).toBeLessThanOrEqual(expirySlackMs);
}

async function runOk(id: number): Promise<Record<string, string>> {
  const res = await env.run(id);
  expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
  return (await env.lastRun(id))!;
}

test('redis -> mysql (envelope rows, table created) -> redis: every type, binary values and absolute expiries come back', async () => {
  await seedRedisTypes(src, prefix, 600);
  const expected = await redisSnapshot(src, [`${prefix}*`]);
  const persist = await env.addTask({
    from_db_type: 'redis', from_db: String(SRC), from_table: `${prefix}*`, to_table: 'kv',
    params: { value_format: 'envelope', columns: ['key', 'value'], create_target: true, worker_num: 4 },
  });
  expect(await runOk(persist)).toMatchObject({ rows_read: '600', rows_written: '600' });
  const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM kv');
  expect(n).toBe('600');
  // A second persist upserts by key: still one row per key.
  await runOk(persist);
  expect(await env.sql('SELECT COUNT(*) AS n FROM kv')).toEqual([{ n: '600' }]);
  const restore = await env.addTask({
    from_table: 'kv', to_db_type: 'redis', to_db: String(DST), to_table: '', params: { value_format: 'envelope', worker_num: 4 },
  });
  expect(await runOk(restore)).toMatchObject({ rows_read: '600', rows_written: '600' });
  expectSame(await redisSnapshot(dst, [`${prefix}*`]), expected);
});

test('redis -> file (NDJSON envelope rows) -> redis: every type comes back; plan says where the key comes from', async () => {
  await seedRedisTypes(src, prefix, 120);
  const expected = await redisSnapshot(src, [`${prefix}*`]);
  const dir = fs.mkdtempSync(path.join(env.configDir, 'files-'));
  env.writeConfig({ from: { file: { t_files: { dir } } }, to: { file: { t_files: { dir } } } });
  const persist = await env.addTask({
    from_db_type: 'redis', to_db_type: 'file', from_db: String(SRC), to_db: 'files', from_table: `${prefix}*`, to_table: 'backup/keys.ndjson',
    params: { value_format: 'envelope' },
  });
  await runOk(persist);
  expect(fs.readFileSync(path.join(dir, 'backup', 'keys.ndjson'), 'utf8').trim().split('\n')).toHaveLength(120);
  const restore = await env.addTask({
    from_db_type: 'file', to_db_type: 'redis', from_db: 'files', to_db: String(DST), from_table: 'backup/keys.ndjson', to_table: '',
    params: { value_format: 'envelope' },
  });
  const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(restore)]);
  expect(plan.stdout).toMatch(/^ {2}key_template +\(none: each row holds its entry in the envelope\)$/m);
  await runOk(restore);
  expectSame(await redisSnapshot(dst, [`${prefix}*`]), expected);
});
