/**
 * `goshift verify` of redis -> redis tasks: db 13 -> db 14 of 127.0.0.1:6379 under a unique prefix.
 */
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';

let env: GoshiftTestEnv;
let r: Redis;
let r2: Redis;
let prefix: string;

beforeEach(async () => {
  env = await new GoshiftTestEnv().setup();
  prefix = `gsv:${randomUUID().slice(0, 8)}:`;
  r = new Redis({ db: 13 });
  r2 = new Redis({ db: 14 });
  const entry = { host: '127.0.0.1', port: 6379 };
  env.writeConfig({ from: { redis: { t_13: entry } }, to: { redis: { t_14: entry } } });
});
afterEach(async () => {
  await deleteKeys(r, `${prefix}*`);
  await deleteKeys(r2, `${prefix}*`);
  r.disconnect();
  r2.disconnect();
  await env.cleanup();
});

const verify = (id: number, more: string[] = []) => env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id), '--json', ...more]);

test('redis -> redis: a changed value, a changed TTL, a missing and an extra key are named; --repair fixes them', async () => {
  const p = r.pipeline();
  for (let i = 0; i < 2000; i++) p.set(`${prefix}s:${i}`, `v${i}`);
  p.hset(`${prefix}h`, { a: '1', b: '2' });
  p.rpush(`${prefix}l`, 'x', 'y', 'z');
  p.sadd(`${prefix}set`, 'm1', 'm2', 'm3');
  p.zadd(`${prefix}z`, 1, 'a', 2, 'b');
  p.set(`${prefix}ttl`, 'short', 'EX', 600);
  await p.exec();
  const id = await env.addTask({ from_db_type: 'redis', to_db_type: 'redis', from_db: '13', to_db: '14', from_table: `${prefix}*`, to_table: '' });
  expect((await env.run(id)).code).toBe(0);

  const equal = await verify(id);
  expect(equal.stderr).toBe('');
  expect(equal.code).toBe(0);
  expect(JSON.parse(equal.stdout)).toMatchObject({ unit: 'keys', checked: 2005, equal: 2005, ok: true });

  await r2.hset(`${prefix}h`, 'b', 'changed');
  await r2.expire(`${prefix}ttl`, 60);
  await r2.del(`${prefix}s:7`);
  await r2.set(`${prefix}extra`, 'x');
  // Within the 1 s tolerance: not a difference.
  await r2.pexpire(`${prefix}l`, 600_000);
  await r.pexpire(`${prefix}l`, 600_300);
  const bad = await verify(id);
  expect(bad.code).toBe(9);
  const report = JSON.parse(bad.stdout);
  expect(report).toMatchObject({ missing: [`${prefix}s:7`], extra: [`${prefix}extra`], ok: false });
  expect([...report.different].sort()).toEqual([`${prefix}h`, `${prefix}ttl`]);

  const fixed = await verify(id, ['--repair']);
  expect(fixed.code).toBe(9);
  expect(JSON.parse(fixed.stdout).repair).toEqual({ copied: 3, deleted: 0, rechecked: 4, stillDiffering: [`${prefix}extra`] });
  expect(await r2.hget(`${prefix}h`, 'b')).toBe('2');
  // The repaired TTL is the source's (time passes between the seed and the repair on a busy machine).
  expect(Math.abs((await r2.ttl(`${prefix}ttl`)) - (await r.ttl(`${prefix}ttl`)))).toBeLessThanOrEqual(2);
  expect(await r2.ttl(`${prefix}ttl`)).toBeGreaterThan(300);
  expect(await r2.get(`${prefix}s:7`)).toBe('v7');

  const all = await verify(id, ['--repair', '--delete-extra']);
  expect(all.code).toBe(0);
  expect(await r2.exists(`${prefix}extra`)).toBe(0);
  expect((await verify(id)).code).toBe(0);
});
