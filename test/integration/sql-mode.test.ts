/**
 * goshift's statements must not depend on the server's global sql_mode: a private MariaDB runs with
 * NO_BACKSLASH_ESCAPES and ANSI_QUOTES set globally, and every path (metadata, read, write with
 * INSERT and LOAD DATA, same-server copy, incremental watermark, a change feed's deletes) must
 * behave as on a default server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GoshiftTestEnv } from '../support/goshift-env';
import { PrivateMariadb, startPrivateMariadb } from '../support/private-mariadb';

/** Keys and values that break out of a string literal when escaping and server mode disagree. */
const hostile = [
  ", task_id=0 -- ",
  "it's",
  'back\\slash',
  "\\', task_id=0 -- ",
  '"double" `tick`',
  'tab\tnew\nline\r\u0000nul',
  'emoji 🚀 中文',
  "''",
  '\\',
];

describe('a server whose global sql_mode is NO_BACKSLASH_ESCAPES,ANSI_QUOTES', () => {
  let server: PrivateMariadb;
  let env: GoshiftTestEnv;

  beforeAll(async () => {
    server = await startPrivateMariadb(['--sql-mode=NO_BACKSLASH_ESCAPES,ANSI_QUOTES,STRICT_TRANS_TABLES']);
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    env = await new GoshiftTestEnv(server).setup();
    const [{ mode }] = await env.sql<{ mode: string }[]>('SELECT @@GLOBAL.sql_mode AS mode');
    expect(mode).toContain('NO_BACKSLASH_ESCAPES');
    expect(mode).toContain('ANSI_QUOTES');
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function hostileTable(name: string): Promise<void> {
    await env.sql(`CREATE TABLE ${name} (k varchar(64) NOT NULL PRIMARY KEY, v text NULL, js json NULL, b varbinary(32) NULL, d decimal(30,10) NULL) DEFAULT CHARSET=utf8mb4`);
  }

  async function fillHostile(name: string): Promise<void> {
    for (const [i, k] of hostile.entries()) {
      await env.sql(`INSERT INTO ${name} (k, v, js, b, d) VALUES (?, ?, ?, ?, ?)`, [k, `${k}|${i}`, JSON.stringify({ k, i }), Buffer.from([0, 39, 92, 34, i]), `${i}.0000000001`]);
    }
  }

  const dump = (table: string) => env.sql(`SELECT HEX(k) AS k, HEX(v) AS v, js, HEX(b) AS b, d FROM ${table} ORDER BY k`);

  test('an error text holding quotes and a comment cannot rewrite the run history', async () => {
    await hostileTable('src');
    await hostileTable('dst');
    await fillHostile('src');
    // An earlier successful run of another task, whose history must survive.
    await env.sql('CREATE TABLE other (id int PRIMARY KEY)');
    await env.sql('CREATE TABLE other2 LIKE other');
    await env.sql('INSERT INTO other VALUES (1), (2)');
    const other = await env.addTask({ from_table: 'other', to_table: 'other2', params: { direct_copy: false } });
    expect((await env.run(other)).code).toBe(0);

    for (const loadData of [true, false]) {
      await env.sql('DELETE FROM dst');
      await env.sql('INSERT INTO dst (k) VALUES (?)', [', task_id=0 -- ']);
      const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { write_mode: 'insert', load_data: loadData, direct_copy: false, worker_num: 1, read_batch: 100, retries: 0 } });
      const res = await env.run(id);
      expect(res.code).toBe(7);
      expect(res.stderr).toContain("Duplicate entry ', task_id=0 -- '");
      const run = await env.lastRun(id);
      expect(run).toMatchObject({ status: 'failed', task_id: id });
      expect(run!.error_text).toContain("Duplicate entry ', task_id=0 -- '");
      expect(await env.taskStatus(id)).toBe('5');
    }
    const runs = await env.sql<{ task_id: number; status: string }[]>(`SELECT task_id, status FROM \`${env.metaDb}\`.goshift_run ORDER BY id`);
    expect(runs[0]).toMatchObject({ task_id: other, status: 'success' });
    expect(runs.filter((r) => Number(r.task_id) === 0)).toEqual([]);
    const tasks = await env.cli(['tasks', '-c', env.configDir, '-e', 'test']);
    expect(tasks.code).toBe(0);
    expect(tasks.stdout).toMatch(new RegExp(`^${other}\\s+yes\\s+4 success .* success `, 'm'));
  });

  test.each([
    ['upsert (INSERT statements)', { direct_copy: false }],
    ['replace (LOAD DATA)', { write_mode: 'replace', direct_copy: false }],
    ['insert with load_data off', { write_mode: 'insert', load_data: false, direct_copy: false }],
    ['same-server copy (INSERT ... SELECT)', {}],
  ])('hostile keys and values copy exactly, paging across them: %s', async (_name, mode) => {
    await hostileTable('src');
    await hostileTable('dst');
    await fillHostile('src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, read_batch: 2, write_batch: 2, shard_rows: 3, where: "k <> 'none'", ...mode } });
    const res = await env.run(id);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    expect(await dump('dst')).toEqual(await dump('src'));
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(hostile.length) });
  });

  test('native batches (the source formats LOAD DATA text) carry hostile values exactly', async () => {
    const table = (name: string) => env.sql(`CREATE TABLE ${name} (id int NOT NULL PRIMARY KEY, v text NULL, js json NULL, b varbinary(32) NULL, l1 varchar(64) CHARACTER SET latin1 NULL) DEFAULT CHARSET=utf8mb4`);
    await table('src');
    await table('dst');
    for (const [i, k] of hostile.entries()) {
      await env.sql('INSERT INTO src VALUES (?, ?, ?, ?, ?)', [i + 1, k, JSON.stringify({ k }), Buffer.from([0, 39, 92, 34, 9, 10, i]), k.replace(/[^\x00-\x7f]/g, '?')]);
    }
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, read_batch: 2, direct_copy: false } });
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('loading batches as the source server formatted them');
    const rows = (t: string) => env.sql(`SELECT id, HEX(v) AS v, js, HEX(b) AS b, HEX(l1) AS l1 FROM ${t} ORDER BY id`);
    expect(await rows('dst')).toEqual(await rows('src'));
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(hostile.length) });
  });

  test('a streamed upsert finds the target rows of hostile keys, leaves identical ones alone and restores changed ones', async () => {
    await hostileTable('src');
    await hostileTable('dst');
    await fillHostile('src');
    await fillHostile('dst');
    // Every other hostile key changed in the target; one missing.
    await env.sql("UPDATE dst SET v = 'changed', b = NULL WHERE MOD(JSON_VALUE(js, '$.i'), 2) = 0");
    await env.sql('DELETE FROM dst WHERE k = ?', [hostile[1]]);
    await env.sql("CREATE TABLE updates (n int)");
    await env.sql('INSERT INTO updates VALUES (0)');
    await env.sql('CREATE TRIGGER dst_bu BEFORE UPDATE ON dst FOR EACH ROW UPDATE updates SET n = n + 1');
    const changed = Number((await env.sql<{ n: string }[]>("SELECT COUNT(*) AS n FROM dst WHERE v = 'changed'"))[0].n);
    expect(changed).toBeGreaterThan(2);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 1, read_batch: 100, shard_rows: 100, direct_copy: false } });
    const res = await env.run(id);
    expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(await dump('dst')).toEqual(await dump('src'));
    // Only the changed rows were updated: the lookups matched every hostile key exactly.
    expect(await env.sql('SELECT n FROM updates')).toEqual([{ n: changed }]);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(hostile.length) });
  });

  test('-mode incr stores and honours its watermark', async () => {
    await env.sql('CREATE TABLE ev (id int PRIMARY KEY, note varchar(40), updated datetime(6) NOT NULL)');
    await env.sql('CREATE TABLE ev2 LIKE ev');
    await env.sql("INSERT INTO ev VALUES (1, 'a''b', '2026-01-01 00:00:00.000001'), (2, 'c\\\\d', '2026-01-02 00:00:00.5')");
    const id = await env.addTask({ from_table: 'ev', to_table: 'ev2', params: { diff_column: { src: 'updated', dest: 'updated' }, direct_copy: false } });
    expect((await env.run(id, ['-mode', 'incr'])).code).toBe(0);
    await env.sql("INSERT INTO ev VALUES (3, 'it''s', '2026-01-03 00:00:00')");
    const second = await env.run(id, ['-mode', 'incr']);
    expect(second.code).toBe(0);
    // Only the rows at or after the watermark (2026-01-02 00:00:00.5) are read again.
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '2' });
    expect(await env.sql('SELECT * FROM ev2 ORDER BY id')).toEqual(await env.sql('SELECT * FROM ev ORDER BY id'));
  });

  test('a change feed deletes exactly the rows of hostile keys', async () => {
    await env.sql('CREATE TABLE kv (k varchar(64) NOT NULL PRIMARY KEY, v text NULL) DEFAULT CHARSET=utf8mb4');
    // A bystander row whose key a broken escape of ", task_id=0 -- " or "\\" would also match.
    await env.sql("INSERT INTO kv VALUES ('bystander', 'stays')");
    const dir = fs.mkdtempSync(path.join(env.configDir, 'changes-'));
    env.writeConfig({ plugins: { changes: path.join(__dirname, '..', 'support', 'changes-plugin.js') }, from: { changes: { t_feed: { dir } } } });
    const value = (i: number) => JSON.stringify({ v: `value ${i}` });
    const kept = hostile.filter((_, i) => i % 2 === 0);
    fs.writeFileSync(path.join(dir, 'changes.json'), JSON.stringify([
      { set: Object.fromEntries(hostile.map((k, i) => [`h:${k}`, value(i)])) },
      { del: hostile.filter((k) => !kept.includes(k)).map((k) => `h:${k}`) },
    ]));
    const id = await env.addTask({
      from_db_type: 'changes', from_db: 'feed', from_table: 'feed', to_table: 'kv',
      params: { key_template: 'h:{k}', value_format: 'json', pk: { src: 'k', dest: 'k' } },
    });
    const keys = async () => (await env.sql<{ k: string }[]>('SELECT k FROM kv')).map((r) => r.k).sort();
    const expected = ['bystander', ...kept].sort();
    const run = env.spawnRun(id, ['-mode', 'stream']);
    try {
      for (let i = 0; i < 300 && JSON.stringify(await keys()) !== JSON.stringify(expected); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(await keys()).toEqual(expected);
    expect(await env.sql('SELECT v FROM kv WHERE k = ?', ['bystander'])).toEqual([{ v: 'stays' }]);
    expect(await env.lastRun(id)).toMatchObject({ status: 'stopped', rows_read: String(hostile.length * 2 - kept.length) });
  });
});
