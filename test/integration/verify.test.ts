import Redis from 'ioredis';
import type { VerifyReport } from '../../src/sdk';
import { GoshiftTestEnv } from '../support/goshift-env';
import { deleteKeys } from '../support/redis-data';

/** What `goshift verify --json` prints: the report, the task, the time taken, and whether all matched. */
type JsonReport = VerifyReport & { task: number; seconds: number; ok: boolean };

describe('goshift verify (mysql -> mysql)', () => {
  let env: GoshiftTestEnv;

  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function checksum(table: string): Promise<string> {
    const rows = await env.sql<{ Checksum: string }[]>(`CHECKSUM TABLE ${table}`);
    return String(rows[0].Checksum);
  }

  const verify = (id: number, more: string[] = []) => env.cli(['verify', '-c', env.configDir, '-e', 'test', '-id', String(id), ...more]);
  const verifyJson = async (id: number, more: string[] = []) => {
    const res = await verify(id, ['--json', ...more]);
    return { ...res, report: JSON.parse(res.stdout) as JsonReport };
  };

  /** 100,000 rows in `src`, copied to `dst` by a goshift run. */
  async function copied(params: object = {}): Promise<number> {
    await env.sql('CREATE TABLE src (id bigint PRIMARY KEY, name varchar(40) NULL, v int NULL, note text NULL) DEFAULT CHARSET=utf8mb4');
    await env.sql("INSERT INTO src SELECT seq, CONCAT('n', seq), seq % 1000, IF(seq % 7 = 0, NULL, '') FROM seq_1_to_100000");
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' }, worker_num: 4, shard_rows: 5000, ...params } });
    const run = await env.run(id);
    expect(run.code).toBe(0);
    return id;
  }

  test('an exact copy verifies equal: exit 0, every range equal', async () => {
    const id = await copied();
    const res = await verify(id);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/ranges checked\s+20\n\s+equal\s+20\n\s+differing\s+0/);
    expect(res.stdout).toContain('source 100000, target 100000');
    expect(res.stdout).toContain('EQUAL');
    const cmd = await env.cli(['-c', env.configDir, '-e', 'test', '-id', String(id), '-cmd', 'verify', '--json']);
    expect(cmd.code).toBe(0);
    expect(JSON.parse(cmd.stdout)).toMatchObject({ ok: true, checked: 20, equal: 20, missing: [], extra: [], different: [] });
  });

  test('one changed, one deleted and one extra row among 100k: exit 9 naming exactly those keys; the source is untouched', async () => {
    const id = await copied();
    const before = await checksum('src');
    await env.sql("UPDATE dst SET name = 'changed' WHERE id = 777");
    // NULL against '' differs too (the row hash marks NULLs).
    await env.sql('UPDATE dst SET note = NULL WHERE id = 778');
    await env.sql('DELETE FROM dst WHERE id = 50000');
    await env.sql("INSERT INTO dst VALUES (100001, 'extra', 1, NULL)");
    const { code, report, stderr } = await verifyJson(id);
    expect(code).toBe(9);
    expect(stderr).toContain('the target differs from the source (1 missing, 1 extra, 2 different)');
    expect(report).toMatchObject({ ok: false, missing: ['50000'], extra: ['100001'], sourceRows: 100000, targetRows: 100000, checked: 20 });
    expect(report.different).toEqual(['777', '778']);
    const table = await verify(id);
    expect(table.code).toBe(9);
    expect(table.stdout).toContain('missing    50000');
    expect(table.stdout).toContain('extra      100001');
    expect(table.stdout).toContain('different  777\n  different  778');
    expect(await checksum('src')).toBe(before);
  });

  test('--repair re-copies changed and missing rows, keeps extra rows unless --delete-extra', async () => {
    const id = await copied();
    const before = await checksum('src');
    await env.sql("UPDATE dst SET name = 'changed', v = NULL WHERE id = 777");
    await env.sql('DELETE FROM dst WHERE id = 50000');
    await env.sql("INSERT INTO dst VALUES (100001, 'extra', 1, NULL)");

    const first = await verifyJson(id, ['--repair']);
    expect(first.code).toBe(9);
    expect(first.report.repair).toEqual({ copied: 2, deleted: 0, rechecked: 3, stillDiffering: ['100001'] });
    expect(first.stderr).toContain('extra target rows are deleted only with --delete-extra');
    expect(await env.sql('SELECT * FROM dst WHERE id IN (777, 50000) ORDER BY id')).toEqual(await env.sql('SELECT * FROM src WHERE id IN (777, 50000) ORDER BY id'));
    expect(await env.sql('SELECT id FROM dst WHERE id = 100001')).toHaveLength(1);

    const second = await verify(id, ['--repair', '--delete-extra']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('repair: copied 0 row(s), deleted 1; rechecked 1 key(s): all equal now');
    expect(await env.sql('SELECT id FROM dst WHERE id = 100001')).toHaveLength(0);
    expect((await verify(id)).code).toBe(0);
    expect(await checksum('dst')).toBe(await checksum('src'));
    expect(await checksum('src')).toBe(before);
  });

  test('column_map, pk.dest and columns are honoured; where applies to the source only', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, name varchar(40), v int, secret varchar(10)) DEFAULT CHARSET=utf8mb4');
    await env.sql("INSERT INTO src SELECT seq, CONCAT('n', seq), seq % 10, 'x' FROM seq_1_to_5000");
    await env.sql('CREATE TABLE dst (uid int PRIMARY KEY, full_name varchar(40), v int) DEFAULT CHARSET=utf8mb4');
    const params = { pk: { src: 'id', dest: 'uid' }, column_map: { name: 'full_name' }, columns: ['id', 'name', 'v'], where: 'v > 0', worker_num: 2, read_batch: 1000 };
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params });
    expect((await env.run(id)).code).toBe(0);
    expect((await env.sql<unknown[]>('SELECT uid FROM dst')).length).toBe(4500);
    const ok = await verifyJson(id);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.report).toMatchObject({ ok: true, sourceRows: 4500, targetRows: 4500 });

    await env.sql("UPDATE dst SET full_name = 'other' WHERE uid = 11");
    await env.sql('DELETE FROM dst WHERE uid = 12');
    // A row the where filters out of the source is extra in the target.
    await env.sql("INSERT INTO dst VALUES (20, 'n20', 0)");
    const bad = await verifyJson(id, ['--repair', '--delete-extra']);
    expect(bad.report).toMatchObject({ missing: ['12'], extra: ['20'], different: ['11'] });
    expect(bad.report.repair).toEqual({ copied: 2, deleted: 1, rechecked: 3, stillDiffering: [] });
    expect(bad.code).toBe(0);
    expect(await env.sql('SELECT * FROM dst WHERE uid IN (11, 12) ORDER BY uid')).toEqual([{ uid: 11, full_name: 'n11', v: 1 }, { uid: 12, full_name: 'n12', v: 2 }]);
    expect((await verify(id)).code).toBe(0);
  });

  test('a composite string key: differing ranges larger than a leaf are halved, repair uses tuple keys', async () => {
    await env.sql('CREATE TABLE src (a varchar(10), b int, v varchar(20), PRIMARY KEY (a, b)) DEFAULT CHARSET=utf8mb4');
    await env.sql("INSERT INTO src SELECT CONCAT('k', seq % 7), seq, CONCAT('v', seq) FROM seq_1_to_9000");
    await env.sql('CREATE TABLE dst LIKE src');
    // 3 ranges of 3000 rows: each differing one is split before rows are compared.
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'a,b' }, shard_rows: 3000, worker_num: 2 } });
    expect((await env.run(id)).code).toBe(0);
    expect((await verify(id)).code).toBe(0);
    await env.sql("UPDATE dst SET v = 'x' WHERE a = 'k2' AND b = 4503");
    await env.sql("DELETE FROM dst WHERE a = 'k0' AND b = 7");
    await env.sql("INSERT INTO dst VALUES ('k9', 1, 'extra')");
    const { code, report } = await verifyJson(id, ['--repair', '--delete-extra']);
    expect(report).toMatchObject({ checked: 3, missing: ['k0,7'], extra: ['k9,1'], different: ['k2,4503'] });
    expect(report.repair).toEqual({ copied: 2, deleted: 1, rechecked: 3, stillDiffering: [] });
    expect(code).toBe(0);
    expect(await checksum('dst')).toBe(await checksum('src'));
  });

  test('params.verify: a run verifies after copying; a target row the source lacks makes it exit 9', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(10))');
    await env.sql("INSERT INTO src SELECT seq, CONCAT('v', seq) FROM seq_1_to_3000");
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' }, verify: true } });
    const ok = await env.run(id);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/missing in target {2}0[\s\S]*EQUAL in/);
    await env.sql("INSERT INTO dst VALUES (5000, 'extra')");
    const bad = await env.run(id);
    expect(bad.code).toBe(9);
    expect(bad.stdout).toContain('extra      5000');
    expect(bad.stderr).toContain('the target differs from the source (0 missing, 1 extra, 0 different)');
    // Without the param a run does not verify.
    const plain = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' } } });
    const res = await env.run(plain);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('ranges checked');
  });

  test('a missing target table or column fails in one line naming it (exit 7)', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int)');
    await env.sql('INSERT INTO src VALUES (1, 1)');
    const id = await env.addTask({ from_table: 'src', to_table: 'nope', params: { pk: { src: 'id', dest: 'id' } } });
    const res = await verify(id);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/cannot verify against target gsd_\w+\.nope: Table .* doesn't exist/);
    await env.sql('CREATE TABLE nope (id int PRIMARY KEY)');
    const col = await verify(id);
    expect(col.code).toBe(7);
    expect(col.stderr).toContain("Unknown column 'v'");
  });

  test('mysql -> redis is verified across stores (hashes by key template); --delete-extra needs --repair', async () => {
    const prefix = `gsvm:${env.suffix}:`;
    const r = new Redis({ db: 13 });
    try {
      await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(20), amount decimal(10,2))');
      await env.sql("INSERT INTO src SELECT seq, CONCAT('v', seq), seq / 4 FROM seq_1_to_500");
      env.writeConfig({ to: { redis: { [`t_${env.dataDb}`]: { host: '127.0.0.1', port: 6379, db: 13 } } } });
      const id = await env.addTask({ from_table: 'src', to_table: `${prefix}{id}`, to_db_type: 'redis', params: { pk: { src: 'id' } } });
      expect((await env.run(id)).code).toBe(0);
      const clean = await verifyJson(id);
      expect(clean.stderr).toBe('');
      expect(clean.code).toBe(0);
      expect(clean.report).toMatchObject({ unit: 'keys', checked: 500, equal: 500, ok: true });
      await r.hset(`${prefix}7`, 'v', 'changed');
      await r.del(`${prefix}8`);
      await r.hset(`${prefix}999`, 'v', 'extra');
      const bad = await verifyJson(id);
      expect(bad.code).toBe(9);
      expect(bad.report).toMatchObject({ missing: [`${prefix}8`], extra: [`${prefix}999`], different: [`${prefix}7`] });
      const fixed = await verifyJson(id, ['--repair', '--delete-extra']);
      expect(fixed.report.repair).toEqual({ copied: 2, deleted: 1, rechecked: 3, stillDiffering: [] });
      expect(fixed.code).toBe(0);
      const usage = await verify(id, ['--delete-extra']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('--delete-extra belongs to --repair');
    } finally {
      await deleteKeys(r, `${prefix}*`);
      r.disconnect();
    }
  });
});
