/**
 * The stream runtime (`-mode stream`), driven through the real CLI with a scripted change feed
 * (test/support/changes-plugin.js): writes and deletes reach a mysql table (entry -> row through a
 * key template) and a Redis db, the progress line shows events/s and lag, SIGTERM ends the run
 * exit 0 as stopped, and tasks a stream cannot serve are refused with one line.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';
import { dropBucket, listKeys, makeBucket, s3Entry, s3TestClient } from '../support/fixtures/s3';

const DB = 14;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let env: GoshiftTestEnv;
let dir: string;
let prefix: string;
let redis: Redis;

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gsfeed:${randomUUID().slice(0, 8)}:`;
  dir = fs.mkdtempSync(path.join(env.configDir, 'changes-'));
  redis = new Redis({ db: DB });
  env.writeConfig({
    plugins: { changes: path.join(__dirname, '..', 'support', 'changes-plugin.js') },
    from: { changes: { t_feed: { dir } } },
    to: { redis: { [`t_${DB}`]: { host: '127.0.0.1', port: 6379 } }, file: { t_files: { dir } } },
  });
});
afterEach(async () => {
  await deleteKeys(redis, `${prefix}*`);
  redis.disconnect();
  await env.cleanup();
});

/** 3 batches: set 1..6; update 2, delete 3 and 5; set 7, delete 1 and a key that never existed. */
function writeChanges(): void {
  const k = (n: number) => `${prefix}${n}`;
  const v = (n: number, rev = 1) => JSON.stringify({ name: `user ${n}`, rev });
  fs.writeFileSync(path.join(dir, 'changes.json'), JSON.stringify([
    { set: Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [k(n), v(n)])) },
    { set: { [k(2)]: v(2, 2) }, del: [k(3), k(5)] },
    { set: { [k(7)]: v(7) }, del: [k(1), k(99)] },
  ]));
}

/** Start a stream run, wait until `done()` holds (or 20 s), stop it with SIGTERM. */
async function streamUntil(id: number, done: () => Promise<boolean>, whileRunning?: () => Promise<void>): Promise<{ code: number; stderr: string }> {
  const run = env.spawnRun(id, ['-mode', 'stream']);
  try {
    // The feed runs once the progress line shows (a stop before that cancels a run still starting).
    for (let i = 0; i < 300 && !/progress: /.test(run.stderr()); i++) await sleep(100);
    for (let i = 0; i < 200 && !(await done()); i++) await sleep(100);
    await sleep(3500); // one more progress line and heartbeat after the last batch
    await whileRunning?.();
  } finally {
    run.child.kill('SIGTERM');
  }
  return { code: await run.exited, stderr: run.stderr() };
}

test('writes and deletes reach mysql rows in order; events/s and lag are shown; SIGTERM stops it as stopped', async () => {
  writeChanges();
  await env.sql('CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(50), rev INT)');
  const id = await env.addTask({
    from_db_type: 'changes', from_db: 'feed', from_table: 'feed', to_table: 'users',
    params: { key_template: `${prefix}{id}`, value_format: 'json', pk: { src: 'id', dest: 'id' } },
  });
  const rows = async () => env.sql<{ id: string; name: string; rev: number }[]>('SELECT id, name, rev FROM users ORDER BY id');
  let listed = '';
  const res = await streamUntil(id, async () => (await rows()).some((r) => String(r.id) === '7'), async () => {
    listed = (await env.cli(['tasks', '-c', env.configDir, '-e', 'test'])).stdout;
  });
  // `goshift tasks` shows the live feed as streaming, with its lag (0 once idle).
  expect(listed).toMatch(new RegExp(`^${id} .*streaming, lag 0\\.0 s \\(12 changes\\)`, 'm'));
  expect(res.code).toBe(0);
  expect((await rows()).map((r) => [String(r.id), r.rev])).toEqual([['2', 2], ['4', 1], ['6', 1], ['7', 1]]);
  expect(res.stderr).toMatch(/\d+ events\/s, lag \d+\.\d s/);
  const run = (await env.lastRun(id))!;
  // 12 changes read (8 writes, 4 deletes, one of a key never there), every one applied.
  expect(run).toMatchObject({ status: 'stopped', mode: 'stream', rows_read: '12', rows_written: '12' });
});

test('a rerun continues after the last written batch; deletes reach Redis; propagate_deletes false keeps them', async () => {
  writeChanges();
  const id = await env.addTask({ from_db_type: 'changes', to_db_type: 'redis', from_db: 'feed', to_db: String(DB), from_table: 'feed', to_table: '' });
  const keys = async () => (await redis.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
  expect((await streamUntil(id, async () => (await keys()).includes('7'))).code).toBe(0);
  expect(await keys()).toEqual(['2', '4', '6', '7']);
  expect(JSON.parse((await redis.get(`${prefix}2`))!)).toEqual({ name: 'user 2', rev: 2 });

  // Nothing new: the rerun reads nothing again (position = last batch).
  await redis.set(`${prefix}3`, 'kept');
  expect((await streamUntil(id, async () => true)).code).toBe(0);
  expect((await env.lastRun(id))!).toMatchObject({ status: 'stopped', rows_read: '0' });
  expect(await redis.get(`${prefix}3`)).toBe('kept');

  const keep = await env.addTask({ from_db_type: 'changes', to_db_type: 'redis', from_db: 'feed', to_db: String(DB), from_table: 'feed', to_table: '', params: { propagate_deletes: false } });
  expect((await streamUntil(keep, async () => (await keys()).includes('1'))).code).toBe(0);
  expect(await keys()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  expect(await redis.get(`${prefix}3`)).toBe(JSON.stringify({ name: 'user 3', rev: 1 }));
});

test('a source that cannot follow changes, and a target that cannot delete, are refused with one line', async () => {
  writeChanges();
  await env.sql('CREATE TABLE t (id INT PRIMARY KEY)');
  // A mysql source streams from its binlog: the shared test server writes none, which is refused in one line.
  const fromMysql = await env.addTask({ from_table: 't', to_table: 't' });
  const res = await env.run(fromMysql, ['-mode', 'stream']);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/-mode stream reads the binlog, but mysql source from\.mysql\.t_\w+ has log_bin=(0|OFF): the server writes no binlog/);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);

  env.writeConfig({ from: { file: { t_files: { dir } } } });
  fs.writeFileSync(path.join(dir, 'rows.ndjson'), '{"id":1}\n');
  const fromFile = await env.addTask({ from_db_type: 'file', from_db: 'files', from_table: 'rows.ndjson', to_table: 't' });
  const fileRes = await env.run(fromFile, ['-mode', 'stream']);
  expect(fileRes.code).not.toBe(0);
  expect(fileRes.stderr).toMatch(/-mode stream follows changes of [a-z ,]*(mysql|redis|dynamodb)[a-z ,]* sources; a file source can only be copied/);

  const toFile = await env.addTask({ from_db_type: 'changes', to_db_type: 'file', from_db: 'feed', to_db: 'files', from_table: 'feed', to_table: 'out.ndjson', params: { value_format: 'envelope' } });
  const refused = await env.run(toFile, ['-mode', 'stream']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/its file target cannot delete \(with these params\); set params.propagate_deletes to false/);
  expect(await env.taskStatus(toFile)).toBe('1');
});

test('deletes remove envelope objects from S3 (object mode); S3 file mode cannot delete and is refused', async () => {
  writeChanges();
  const client = s3TestClient();
  const bucket = await makeBucket(client);
  try {
    env.writeConfig({ to: { s3: { t_archive: { ...s3Entry, bucket } } } });
    const id = await env.addTask({ from_db_type: 'changes', to_db_type: 's3', from_db: 'feed', to_db: 'archive', from_table: 'feed', to_table: 'keys/' });
    const objects = async () => (await listKeys(client, bucket, 'keys/')).map((k) => k.slice(`keys/${prefix}`.length)).sort();
    expect((await streamUntil(id, async () => (await objects()).includes('7'))).code).toBe(0);
    expect(await objects()).toEqual(['2', '4', '6', '7']);

    const parts = await env.addTask({ from_db_type: 'changes', to_db_type: 's3', from_db: 'feed', to_db: 'archive', from_table: 'feed', to_table: 'rows/', params: { format: 'ndjson', value_format: 'envelope' } });
    const refused = await env.run(parts, ['-mode', 'stream']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/its s3 target cannot delete \(with these params\); set params.propagate_deletes to false/);
  } finally {
    await dropBucket(client, bucket);
    client.destroy();
  }
});

test('a stream stopped during its first scan, before the feed started, ends as stopped (exit 0)', async () => {
  writeChanges();
  const id = await env.addTask({ from_db_type: 'changes', to_db_type: 'redis', from_db: 'feed', to_db: String(DB), from_table: prefix, to_table: '', params: { scan_seconds: 60 } });
  const res = await streamUntil(id, async () => (await redis.exists(`${prefix}:scanned`)) === 1);
  expect(res.code).toBe(0);
  expect((await env.lastRun(id))!).toMatchObject({ status: 'stopped' });
  // The feed never started: none of its changes are in the target.
  expect(await redis.exists(`${prefix}1`)).toBe(0);
});
