/**
 * `--key`: persist or restore one key (or a few) through the same task, against the real local
 * MariaDB and Redis (db 13 under a unique key prefix), through the built CLI. Covers redis -> mysql
 * -> redis and redis -> file -> redis, keys that are missing or expired, and that a `--key` run
 * leaves an interrupted full copy's positions alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys, KeySnapshot, snapshotKey } from '../support/redis-data';

const DB = 13;

let env: GoshiftTestEnv;
let r: Redis;
let prefix: string;
let dir: string;

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gsk:${randomUUID().slice(0, 8)}:`;
  r = new Redis({ db: DB });
  dir = fs.mkdtempSync(path.join(env.configDir, 'files-'));
  const entry = { host: '127.0.0.1', port: 6379 };
  env.writeConfig({ from: { redis: { t_13: entry }, file: { t_files: { dir } } }, to: { redis: { t_13: entry }, file: { t_files: { dir } } } });
});
afterEach(async () => {
  await deleteKeys(r, `${prefix}*`);
  r.disconnect();
  await env.cleanup();
});

const usersDdl = (name: string) => `CREATE TABLE ${name} (
  id bigint PRIMARY KEY, name varchar(50) CHARACTER SET utf8mb4 NULL, city varchar(50) NULL, expire_at bigint NULL
) DEFAULT CHARSET=utf8mb4`;

/** Hash keys user:1..n whose fields carry their own id (so key + fields map to a row and back exactly). */
async function seedUsers(n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await r.hset(`${prefix}user:${i}`, { id: String(i), name: `user ${i} ü🚀`, city: i % 2 ? 'Oslo' : 'Lyon' });
}

/** A key's snapshot with its absolute expiry (epoch ms) instead of the ms left. */
async function absolute(key: string): Promise<KeySnapshot & { expireAt: number | null }> {
  const s = await snapshotKey(r, key);
  return { ...s, expireAt: s.ttl >= 0 ? Date.now() + s.ttl : null };
}

function expectSameKey(after: Awaited<ReturnType<typeof absolute>>, before: Awaited<ReturnType<typeof absolute>>): void {
  expect(after.type).toBe(before.type);
  expect(after.value).toEqual(before.value);
  if (before.expireAt === null) expect(after.expireAt).toBeNull();
  else expect(Math.abs(after.expireAt! - before.expireAt)).toBeLessThan(2000);
}

test('persist one key redis -> mysql, restore it mysql -> redis exactly (type, value, absolute expiry)', async () => {
  await seedUsers(3);
  const key = `${prefix}user:2`;
  await r.pexpire(key, 600_000);
  const before = await absolute(key);
  await env.sql(usersDdl('users'));
  const template = `${prefix}user:{id}`;
  const persist = await env.addTask({
    from_db_type: 'redis', from_db: String(DB), from_table: '', to_table: 'users',
    params: { pk: { src: 'id', dest: 'id' }, key_template: template, expire_at_column: 'expire_at' },
  });
  const saved = await env.run(persist, ['--key', key]);
  expect(saved.stderr).not.toMatch(/warn|error/i);
  expect(saved.code).toBe(0);
  expect(await env.lastRun(persist)).toMatchObject({ status: 'success', rows_read: '1', rows_written: '1' });
  const rows = await env.sql<{ id: string; name: string; expire_at: string }[]>('SELECT id, name, city, expire_at FROM users');
  expect(rows).toEqual([{ id: '2', name: 'user 2 ü🚀', city: 'Lyon', expire_at: expect.anything() }]);
  expect(Math.abs(Number(rows[0].expire_at) - before.expireAt!)).toBeLessThan(2000);

  // Other rows in the table: the restore reads them all and writes only the named key.
  await env.sql("INSERT INTO users VALUES (1, 'one', NULL, NULL), (3, 'three', NULL, NULL)");
  await deleteKeys(r, `${prefix}*`);
  const restore = await env.addTask({
    from_table: 'users', to_db_type: 'redis', to_db: String(DB), to_table: '',
    params: { pk: { src: 'id', dest: 'id' }, key_template: template, expire_at_column: 'expire_at' },
  });
  const back = await env.run(restore, ['--key', key]);
  expect(back.stderr).not.toMatch(/warn|error/i);
  expect(back.code).toBe(0);
  expect(back.stdout).toMatch(/rows {5}read 3, written 1, failed 0/);
  expect(await env.lastRun(restore)).toMatchObject({ status: 'success', rows_read: '3', rows_written: '1' });
  expectSameKey(await absolute(key), before);
  expect(await r.exists(`${prefix}user:1`, `${prefix}user:3`)).toBe(0);
});

test('redis -> file -> redis with --key on the restore side; an expired key is counted and named, exit 8', async () => {
  await seedUsers(4);
  await r.pexpire(`${prefix}user:3`, 900_000);
  await r.pexpire(`${prefix}user:4`, 600_000);
  const before = await absolute(`${prefix}user:3`);
  const template = `${prefix}user:{id}`;
  const persist = await env.addTask({
    from_db_type: 'redis', from_db: String(DB), from_table: '', to_db_type: 'file', to_db: 'files', to_table: 'users.ndjson',
    params: { key_template: template, expire_at_column: 'expire_at' },
  });
  const saved = await env.run(persist);
  expect(saved.code).toBe(0);
  const file = path.join(dir, 'users.ndjson');
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(4);
  // user:4's expiry passes while it sits in the file (set in the past rather than waited for: a
  // short TTL could run out before the persist on a loaded machine).
  const rows = lines.map((l) => JSON.parse(l) as { id: string; expire_at: number | null });
  expect(rows.find((row) => row.id === '4')?.expire_at).toBeGreaterThan(Date.now());
  fs.writeFileSync(file, rows.map((row) => JSON.stringify(row.id === '4' ? { ...row, expire_at: Date.now() - 1000 } : row)).join('\n') + '\n');

  await deleteKeys(r, `${prefix}*`);
  const restore = await env.addTask({
    from_db_type: 'file', from_db: 'files', from_table: 'users.ndjson', to_db_type: 'redis', to_db: String(DB), to_table: '',
    params: { key_template: template, expire_at_column: 'expire_at' },
  });
  const back = await env.run(restore, ['--key', `${prefix}user:3`, '--key', `${prefix}user:4`]);
  expect(back.stdout).toMatch(/rows {5}read 4, written 1, failed 0, expired 1 \(not written: their expiry had passed\)/);
  expect(back.stderr).toContain(`key "${prefix}user:4" was not found in the source (or had expired): not restored`);
  expect(back.stderr).toContain(`task ${restore}: 1 of 2 named keys not copied: "${prefix}user:4"`);
  expect(back.code).toBe(8);
  expect(await env.lastRun(restore)).toMatchObject({ status: 'success', rows_read: '4', rows_written: '1' });
  expectSameKey(await absolute(`${prefix}user:3`), before);
  expect(await r.exists(`${prefix}user:1`, `${prefix}user:2`, `${prefix}user:4`)).toBe(0);
});

test('a key missing from a redis source is named by plan and run; the run exits 8 after copying the others', async () => {
  await seedUsers(2);
  await env.sql(usersDdl('users'));
  const persist = await env.addTask({
    from_db_type: 'redis', from_db: String(DB), from_table: '', to_table: 'users',
    params: { pk: { src: 'id', dest: 'id' }, key_template: `${prefix}user:{id}`, expire_at_column: 'expire_at' },
  });
  const missing = `${prefix}user:99`;
  const warning = `key "${missing}" does not exist in db 13 (from.redis.t_13); nothing to copy for it`;
  const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(persist), '--key', `${prefix}user:1`, '--key', missing]);
  expect(plan.code).toBe(0);
  expect(plan.stderr).toContain(warning);
  expect(plan.stdout).toMatch(/shards: 1 .*\n\s+keys\t1 named key \(--key\)/);
  expect(plan.stdout).toContain('--key: only these are copied; resume positions are left alone');

  const run = await env.run(persist, ['--key', `${prefix}user:1`, '--key', missing]);
  expect(run.stderr).toContain(warning);
  expect(run.stderr).toContain(`key "${missing}" was not found in the source (or had expired): not copied`);
  expect(run.code).toBe(8);
  expect(await env.sql('SELECT id FROM users')).toEqual([{ id: '1' }]);

  // Only missing keys: nothing to copy, same answer.
  const none = await env.run(persist, ['--key', missing]);
  expect(none.code).toBe(8);
  expect(none.stderr).toContain(`1 of 1 named key not copied: "${missing}"`);
});

test('a --key run after an interrupted full copy leaves its positions: the next full run still resumes', async () => {
  const total = 200_000;
  await env.sql('CREATE TABLE src (id bigint PRIMARY KEY, name varchar(20) NOT NULL)');
  await env.sql(`INSERT INTO src SELECT seq, CONCAT('n', seq) FROM seq_1_to_${total}`);
  const task = await env.addTask({
    from_table: 'src', to_db_type: 'redis', to_db: String(DB), to_table: '',
    params: { pk: { src: 'id', dest: 'id' }, key_template: `${prefix}r:{id}`, worker_num: 1, read_batch: 2000, write_batch: 2000 },
  });
  const positions = async () => {
    const [rows] = await env.admin.query(`SELECT shard_id, status, position, rows_read FROM \`${env.metaDb}\`.goshift_shard_position WHERE task_id = ? ORDER BY shard_id`, [task]);
    return rows as Record<string, unknown>[];
  };
  const { child, exited } = env.spawnRun(task);
  let done = false;
  void exited.then(() => (done = true));
  while (!done && (await positions()).length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(done).toBe(false);
  child.kill('SIGKILL');
  await exited;
  const kept = await positions();
  expect(kept.length).toBeGreaterThan(0);

  const one = await env.run(task, ['--key', `${prefix}r:${total}`]);
  expect(one.stderr).not.toMatch(/resuming/);
  expect(one.code).toBe(0);
  expect(await r.hgetall(`${prefix}r:${total}`)).toEqual({ id: String(total), name: `n${total}` });
  expect(await positions()).toEqual(kept);

  const rerun = await env.run(task);
  expect(rerun.stderr).toContain('resuming the interrupted copy');
  expect(rerun.code).toBe(0);
  expect(await positions()).toEqual([]);
});

test('bad input: --key "" is refused in one line; --key with a task that copies rows on both sides too', async () => {
  await env.sql(usersDdl('users'));
  const rowsOnly = await env.addTask({ from_table: 'users', to_table: 'users', params: { pk: { src: 'id', dest: 'id' } } });
  const empty = await env.run(rowsOnly, ['--key', '']);
  expect(empty.code).toBe(2);
  expect(empty.stderr.trim().split('\n')).toHaveLength(1);
  expect(empty.stderr).toContain('--key needs a key name, got an empty string ""');
  const rows = await env.run(rowsOnly, ['--key', 'user:1']);
  expect(rows.code).toBe(4);
  expect(rows.stderr).toContain(`task ${rowsOnly}: --key names keys of key-value entries, but this mysql -> mysql task copies rows on both sides`);
});
