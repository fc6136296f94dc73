import { GoshiftTestEnv } from '../support/goshift-env';

const fidelityDdl = (name: string) => `CREATE TABLE ${name} (
  id bigint unsigned NOT NULL PRIMARY KEY,
  i64 bigint NULL,
  u64 bigint unsigned NULL,
  dec30 decimal(30,10) NULL,
  dt6 datetime(6) NULL,
  ts3 timestamp(3) NULL,
  d date NULL,
  t time(6) NULL,
  y year NULL,
  js json NULL,
  bin varbinary(64) NULL,
  blb blob NULL,
  txt text CHARACTER SET utf8mb4 NULL,
  dbl double NULL,
  en enum('a','b') NULL,
  bits bit(8) NULL
) DEFAULT CHARSET=utf8mb4`;

const fidelityRows = `INSERT INTO src (id, i64, u64, dec30, dt6, ts3, d, t, y, js, bin, blb, txt, dbl, en, bits) VALUES
 (0, -9223372036854775808, 18446744073709551615, '-99999999999999999999.9999999999', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000', '1000-01-01', '-838:59:59.000000', 1901, '{"big": 9007199254740993, "s": "ü"}', X'00', X'', '', -1.7976931348623157e308, 'a', b'00000000'),
 (1, 9223372036854775807, 9007199254740993, '99999999999999999999.9999999999', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '9999-12-31', '838:59:59.000000', 2155, '[1, 2.50, "x"]', X'00FF0A0D27225C1A', X'DEADBEEF00', 'emoji 🚀 and 中文 and \\'quote\\' and \\\\ backslash', 4.9e-324, 'b', b'11111111'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, 9007199254740993, 12345678901234567890, '0.0000000001', '2024-03-31 02:30:00.123456', '2024-03-31 02:30:00.123', '2024-02-29', '00:00:00.000001', 2024, '{}', REPEAT(X'AB', 64), REPEAT(X'01', 1000), 'line1\\nline2\\ttab\\r\\0nul', 0.1, NULL, b'1010')`;

describe('mysql -> mysql copies', () => {
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

  test.each([
    ['upsert streamed (native batches: LOAD DATA text the source formats)', { direct_copy: false }],
    ['upsert streamed as rows (native_copy off: INSERT ... ON DUPLICATE KEY UPDATE on the rerun)', { direct_copy: false, native_copy: false }],
    ['replace streamed as rows (native_copy off: LOAD DATA of rows)', { write_mode: 'replace', direct_copy: false, native_copy: false }],
    ['replace streamed (native batches, LOAD DATA REPLACE)', { write_mode: 'replace', direct_copy: false }],
    ['ignore streamed (native batches, LOAD DATA IGNORE)', { write_mode: 'ignore', direct_copy: false }],
    ['replace streamed with load_data off (REPLACE statements)', { write_mode: 'replace', load_data: false, direct_copy: false }],
    ['upsert on one server (INSERT ... SELECT ... ON DUPLICATE KEY UPDATE)', {}],
    ['replace on one server (REPLACE ... SELECT)', { write_mode: 'replace' }],
  ])('every common type copies exactly, row by row, and a rerun changes nothing: %s', async (_name, mode) => {
    await env.sql(fidelityDdl('src'));
    await env.sql(fidelityDdl('dst'));
    await env.sql(fidelityRows);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' }, worker_num: 2, read_batch: 2, write_batch: 2, ...mode } });
    const first = await env.run(id);
    expect(first.stdout).toContain('success');
    expect(first.code).toBe(0);
    expect(first.stderr.includes('copying inside it')).toBe(!('direct_copy' in mode));
    const src = await env.sql('SELECT * FROM src ORDER BY id');
    const dst = await env.sql('SELECT * FROM dst ORDER BY id');
    expect(dst).toEqual(src);
    expect((dst as Record<string, unknown>[])[0].u64).toBe('18446744073709551615');
    expect((dst as Record<string, unknown>[])[1].txt).toContain('🚀');
    expect(await checksum('dst')).toBe(await checksum('src'));

    const second = await env.run(id);
    expect(second.code).toBe(0);
    expect(await env.sql('SELECT * FROM dst ORDER BY id')).toEqual(src);
    expect(await env.taskStatus(id)).toBe('4');
    const run = await env.lastRun(id);
    // A rerun in ignore mode skips every row (all are there): it wrote nothing.
    const rewritten = (mode as { write_mode?: string }).write_mode === 'ignore' ? '0' : '4';
    expect(run).toMatchObject({ status: 'success', rows_read: '4', rows_written: rewritten });
  });

  test('gaps in ids, string keys, composite keys and keyless tables all copy every row', async () => {
    await env.sql('CREATE TABLE gaps (id bigint PRIMARY KEY, v int)');
    await env.sql('INSERT INTO gaps SELECT seq * IF(seq > 500, 1000000, 1), seq FROM seq_1_to_1000');
    await env.sql('CREATE TABLE gaps2 LIKE gaps');
    await env.sql('CREATE TABLE skey (code varchar(20) PRIMARY KEY, v int) DEFAULT CHARSET=utf8mb4');
    await env.sql("INSERT INTO skey SELECT CONCAT('k', LPAD(seq, 5, '0'), IF(seq % 7 = 0, 'é', '')), seq FROM seq_1_to_777");
    await env.sql('CREATE TABLE skey2 LIKE skey');
    await env.sql('CREATE TABLE ckey (a int, b varchar(10), v int, PRIMARY KEY (a, b))');
    await env.sql("INSERT INTO ckey SELECT seq % 5, CONCAT('b', seq), seq FROM seq_1_to_900");
    await env.sql('CREATE TABLE ckey2 LIKE ckey');
    await env.sql('CREATE TABLE nokey (a int, b varchar(10))');
    await env.sql("INSERT INTO nokey SELECT seq % 3, CONCAT('x', seq) FROM seq_1_to_321");
    await env.sql('CREATE TABLE nokey2 LIKE nokey');

    const cases: [string, string, number][] = [['gaps', 'gaps2', 1000], ['skey', 'skey2', 777], ['ckey', 'ckey2', 900], ['nokey', 'nokey2', 321]];
    for (const [[from, to, rows], direct] of cases.flatMap((c) => [[c, true], [c, false]] as const)) {
      await env.sql(`TRUNCATE ${to}`);
      const id = await env.addTask({ from_table: from, to_table: to, params: { worker_num: 3, read_batch: 50, shard_rows: 50, write_batch: 20, direct_copy: direct } });
      const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
      expect(plan.code).toBe(0);
      const shardCount = Number(/shards: (\d+)/.exec(plan.stdout)?.[1]);
      if (from === 'nokey') expect(shardCount).toBe(1);
      else expect(shardCount).toBe(Math.ceil(rows / 50));
      const res = await env.run(id);
      expect(res.code).toBe(0);
      expect(await checksum(to)).toBe(await checksum(from));
      expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(rows) });
    }
  });

  test('a dense integer key is split by arithmetic (a handful of queries), holes included, into shards of 10 batches between two mysql tables', async () => {
    await env.sql('CREATE TABLE dense (id bigint PRIMARY KEY, v int)');
    await env.sql('INSERT INTO dense SELECT 9007199254740000 + seq, seq FROM seq_1_to_20000 WHERE seq NOT BETWEEN 7001 AND 7350');
    await env.sql('CREATE TABLE dense2 LIKE dense');
    await env.sql('ANALYZE TABLE dense');
    const id = await env.addTask({ from_table: 'dense', to_table: 'dense2', params: { read_batch: 100, direct_copy: false } });
    // The plan reads the source as a user of its own, so the count is its queries only, not those
    // of test files running beside it (Com_select is server-wide).
    const user = `plan_${env.dataDb.slice(-12)}`;
    const stat = await env.sql<{ v: number }[]>('SELECT @@GLOBAL.userstat AS v');
    await env.sql('SET GLOBAL userstat = 1');
    await env.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
    await env.sql(`GRANT ALL ON \`${env.dataDb}\`.* TO '${user}'@'%'`);
    const selects = async () => Number((await env.sql<{ n: string }[]>('SELECT COALESCE(SUM(SELECT_COMMANDS), 0) AS n FROM information_schema.USER_STATISTICS WHERE USER = ?', [user]))[0].n);
    let used: number;
    let plan: Awaited<ReturnType<typeof env.cli>>;
    try {
      env.writeConfig({ from: { mysql: { [`${env.app}_${env.dataDb}`]: { user, password: 'pw' } } } });
      const before = await selects();
      plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
      used = (await selects()) - before;
    } finally {
      env.writeConfig({ from: { mysql: { [`${env.app}_${env.dataDb}`]: { user: 'root', password: '' } } } });
      await env.sql(`DROP USER '${user}'@'%'`);
      await env.sql(`SET GLOBAL userstat = ${Number(stat[0].v)}`);
    }
    expect(used).toBeGreaterThan(0);
    expect(plan.code).toBe(0);
    // ~19,650 rows over 4 * worker_num (4) shards would be 1,229 rows each: capped at 10 batches of 100.
    expect(plan.stdout).toMatch(/shards: 20 /);
    expect(plan.stdout).toContain('(id) in [9007199254741001, 9007199254742001)');
    expect(plan.stdout).toMatch(/^ {2}shard_rows +100 \(read_batch\); up to 1000 \(10 batches\) when the key is one integer column$/m);
    expect(used).toBeLessThan(60);
    expect((await env.run(id)).code).toBe(0);
    const sums = await env.sql<{ Checksum: string }[]>('CHECKSUM TABLE dense, dense2');
    expect(sums[1].Checksum).toBe(sums[0].Checksum);
    expect(await env.lastRun(id)).toMatchObject({ rows_written: '19650' });
  });

  test('params.where narrows a dense key\'s shards to the key span of the rows it selects; a where that selects nothing plans no shard', async () => {
    await env.sql('CREATE TABLE wsrc (id int PRIMARY KEY, v int)');
    await env.sql('INSERT INTO wsrc SELECT seq, seq % 7 FROM seq_1_to_10000');
    await env.sql('CREATE TABLE wdst LIKE wsrc');
    await env.sql('ANALYZE TABLE wsrc');
    const params = { read_batch: 100, shard_rows: 1000, direct_copy: false };
    const narrow = await env.addTask({ from_table: 'wsrc', to_table: 'wdst', params: { ...params, where: 'id > 7000 AND id <= 9500 AND v <> 3' } });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(narrow)]);
    expect(plan.code).toBe(0);
    // Ids 7001..9500: boundaries 8001 and 9001, not 9 boundaries over 1..10000.
    expect(plan.stdout).toMatch(/shards: 3 /);
    expect(plan.stdout).toContain('(id) in [-inf, 8001)');
    expect(plan.stdout).toContain('(id) in [9001, +inf)');
    expect((await env.run(narrow)).code).toBe(0);
    const expected = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM wsrc WHERE id > 7000 AND id <= 9500 AND v <> 3');
    expect(await env.sql('SELECT COUNT(*) AS n FROM wdst')).toEqual(expected);
    expect(await env.sql('SELECT COUNT(*) AS n FROM wdst WHERE id <= 7000 OR id > 9500 OR v = 3')).toEqual([{ n: '0' }]);
    expect(await env.lastRun(narrow)).toMatchObject({ status: 'success', rows_written: expected[0].n, shards_total: 3 });
    const none = await env.addTask({ from_table: 'wsrc', to_table: 'wdst', params: { ...params, where: 'v > 100' } });
    expect((await env.run(none)).code).toBe(0);
    expect(await env.lastRun(none)).toMatchObject({ status: 'success', rows_read: '0', shards_total: 0 });
  });

  test('an empty table is a clean success with 0 rows', async () => {
    await env.sql('CREATE TABLE e1 (id int PRIMARY KEY)');
    await env.sql('CREATE TABLE e2 (id int PRIMARY KEY)');
    const id = await env.addTask({ from_table: 'e1', to_table: 'e2' });
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '0', shards_total: 0 });
  });

  test.each([['streamed', false], ['on one server', true]])('where, columns, column_map, pk mapping, pre_sql/post_sql and write modes (%s)', async (_name, direct) => {
    await env.sql('CREATE TABLE people (id int PRIMARY KEY, name varchar(20), age int, secret varchar(10))');
    await env.sql("INSERT INTO people VALUES (1,'ann',30,'s1'),(2,'bob',17,'s2'),(3,'cy',45,'s3')");
    await env.sql('CREATE TABLE adults (uid int PRIMARY KEY, full_name varchar(20), age int, note varchar(10) DEFAULT NULL)');
    await env.sql("INSERT INTO adults VALUES (3, 'old', 1, 'keep')");
    const id = await env.addTask({
      from_table: 'people', to_table: 'adults',
      params: {
        pk: { src: 'id', dest: 'uid' }, columns: ['id', 'name', 'age'], column_map: { name: 'full_name' }, where: 'age >= 18',
        pre_sql: ["UPDATE adults SET note = 'pre' WHERE uid = 3"], post_sql: ["UPDATE adults SET note = 'post' WHERE uid = 1"],
        direct_copy: direct,
      },
    });
    expect((await env.run(id)).code).toBe(0);
    expect(await env.sql('SELECT * FROM adults ORDER BY uid')).toEqual([
      { uid: 1, full_name: 'ann', age: 30, note: 'post' },
      { uid: 3, full_name: 'cy', age: 45, note: 'pre' },
    ]);

    const insertOnly = await env.addTask({ from_table: 'people', to_table: 'adults', params: { pk: { src: 'id', dest: 'uid' }, columns: ['id', 'name'], column_map: { name: 'full_name' }, write_mode: 'insert', direct_copy: direct } });
    const dup = await env.run(insertOnly);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/Duplicate entry/);
    expect(await env.lastRun(insertOnly)).toMatchObject({ status: 'failed' });

    const ignore = await env.addTask({ from_table: 'people', to_table: 'adults', params: { pk: { src: 'id', dest: 'uid' }, columns: ['id', 'name'], column_map: { name: 'full_name' }, write_mode: 'ignore', direct_copy: direct } });
    expect((await env.run(ignore)).code).toBe(0);
    expect(await env.sql('SELECT uid, full_name FROM adults ORDER BY uid')).toEqual([
      { uid: 1, full_name: 'ann' }, { uid: 2, full_name: 'bob' }, { uid: 3, full_name: 'cy' },
    ]);
  });

  test.each([
    ['an integer key (BETWEEN lookups)', 'id bigint unsigned PRIMARY KEY', 'seq'],
    ['a string key (IN lookups)', 'id varchar(20) PRIMARY KEY', "CONCAT('k', LPAD(seq, 4, '0'))"],
    ['a composite key (row IN lookups)', 'id int, part char(1), PRIMARY KEY (id, part)', 'seq'],
  ])('a streamed upsert over a half-full target loads new rows, upserts changed ones and leaves identical ones alone: %s', async (_name, keyDdl, keyExpr) => {
    const composite = keyDdl.includes('part');
    const cols = `${keyDdl}, v varchar(20) NULL, b varbinary(8) NULL, d decimal(20,2) NULL`;
    await env.sql(`CREATE TABLE hsrc (${cols}) DEFAULT CHARSET=utf8mb4`);
    await env.sql(`CREATE TABLE hdst (${cols}, extra varchar(10) DEFAULT 'kept') DEFAULT CHARSET=utf8mb4`);
    const keyCols = composite ? 'id, part' : 'id';
    const keyVals = composite ? `${keyExpr}, 'p'` : keyExpr;
    await env.sql(`INSERT INTO hsrc (${keyCols}, v, b, d) SELECT ${keyVals}, CONCAT('v', seq), UNHEX(HEX(seq)), seq * 1.5 FROM seq_1_to_300`);
    // The target holds 1..150 exactly and 251..300 with another v (one of them with NULLs too);
    // 151..250 are missing; 900 is only in the target (an upsert never deletes). The changed rows
    // come last: after a batch of mostly changed rows a session upserts a few batches directly.
    await env.sql(`INSERT INTO hdst (${keyCols}, v, b, d, extra) SELECT ${keyVals}, IF(seq > 250, 'old', CONCAT('v', seq)), UNHEX(HEX(seq)), seq * 1.5, 'mine' FROM seq_1_to_300 WHERE seq <= 150 OR seq > 250`);
    await env.sql(`UPDATE hdst SET b = NULL, d = NULL WHERE v = 'old' LIMIT 1`);
    await env.sql(`INSERT INTO hdst (${keyCols}, v) SELECT ${keyVals}, 'only here' FROM seq_900_to_900`);
    // Triggers count what the server did: an insert attempt (LOAD DATA row or upsert) and an update.
    await env.sql('CREATE TABLE hcount (what varchar(10) PRIMARY KEY, n int)');
    await env.sql("INSERT INTO hcount VALUES ('insert', 0), ('update', 0)");
    await env.sql("CREATE TRIGGER hdst_bi BEFORE INSERT ON hdst FOR EACH ROW UPDATE hcount SET n = n + 1 WHERE what = 'insert'");
    await env.sql("CREATE TRIGGER hdst_bu BEFORE UPDATE ON hdst FOR EACH ROW UPDATE hcount SET n = n + 1 WHERE what = 'update'");
    const counts = async () => Object.fromEntries((await env.sql<{ what: string; n: number }[]>('SELECT what, n FROM hcount')).map((r) => [r.what, r.n]));

    const id = await env.addTask({ from_table: 'hsrc', to_table: 'hdst', params: { worker_num: 1, read_batch: 40, shard_rows: 80, direct_copy: false } });
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '300', rows_written: '300' });
    // 50 changed rows: an upsert each (insert attempt + update); 100 missing rows: loaded.
    expect(await counts()).toEqual({ insert: 150, update: 50 });
    const copied = `SELECT ${keyCols}, v, b, d FROM hdst WHERE v <> 'only here' ORDER BY ${keyCols}`;
    expect(await env.sql(copied)).toEqual(await env.sql(`SELECT ${keyCols}, v, b, d FROM hsrc ORDER BY ${keyCols}`));
    expect(await env.sql("SELECT COUNT(*) AS n FROM hdst WHERE v = 'only here'")).toEqual([{ n: '1' }]);
    // Columns the source does not carry keep their values, as with the upsert statement alone.
    expect(await env.sql("SELECT extra, COUNT(*) AS n FROM hdst GROUP BY extra ORDER BY extra")).toEqual([{ extra: 'kept', n: '101' }, { extra: 'mine', n: '200' }]);
    expect(await env.sql('SELECT COUNT(*) AS n FROM hdst WHERE b IS NULL OR d IS NULL')).toEqual([{ n: '1' }]);

    // A rerun finds every row identical: the server is asked to write nothing.
    expect((await env.run(id)).code).toBe(0);
    expect(await counts()).toEqual({ insert: 150, update: 50 });
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '300', rows_written: '300' });
  });

  test('after a batch of mostly changed rows, a session upserts the next batches without reading the target', async () => {
    await env.sql('CREATE TABLE asrc (id int PRIMARY KEY, v int)');
    await env.sql('INSERT INTO asrc SELECT seq, seq FROM seq_1_to_30');
    await env.sql('CREATE TABLE adst LIKE asrc');
    // Rows 1..10 differ, 11..30 are identical; one thread reads 10-row shards in key order.
    await env.sql('INSERT INTO adst SELECT seq, IF(seq <= 10, 0, seq) FROM seq_1_to_30');
    await env.sql('CREATE TABLE acount (n int)');
    await env.sql('INSERT INTO acount VALUES (0)');
    await env.sql('CREATE TRIGGER adst_bu BEFORE UPDATE ON adst FOR EACH ROW UPDATE acount SET n = n + 1');
    const id = await env.addTask({ from_table: 'asrc', to_table: 'adst', params: { worker_num: 1, read_batch: 10, shard_rows: 10, direct_copy: false } });
    expect((await env.run(id)).code).toBe(0);
    expect(await env.sql('SELECT * FROM adst ORDER BY id')).toEqual(await env.sql('SELECT * FROM asrc ORDER BY id'));
    // The first batch was all changed, so the identical rows 11..30 went through the upsert
    // statement, which updates (fires BEFORE UPDATE) even when the values are the same.
    expect(await env.sql('SELECT n FROM acount')).toEqual([{ n: 30 }]);
    // A rerun finds every row identical from its first batch on: nothing is updated.
    expect((await env.run(id)).code).toBe(0);
    expect(await env.sql('SELECT n FROM acount')).toEqual([{ n: 30 }]);
  });

  test('a streamed upsert from an integer key into a text key finds the target rows and ends as the upsert statement would', async () => {
    await env.sql('CREATE TABLE nsrc (id int PRIMARY KEY, v int)');
    await env.sql('INSERT INTO nsrc SELECT seq, seq FROM seq_1_to_20');
    await env.sql('CREATE TABLE ndst (id varchar(10) PRIMARY KEY, v int, note varchar(5) DEFAULT NULL)');
    // '01' is another key than 1 in a text column: the upsert statement adds row '1' beside it.
    await env.sql("INSERT INTO ndst VALUES ('01', 0, 'zero'), ('2', 2, 'same'), ('3', 0, 'old')");
    const id = await env.addTask({ from_table: 'nsrc', to_table: 'ndst', params: { worker_num: 1, direct_copy: false } });
    expect((await env.run(id)).code).toBe(0);
    const rows = await env.sql<{ id: string; v: number; note: string | null }[]>('SELECT * FROM ndst');
    expect(rows.length).toBe(21);
    expect(rows.find((r) => r.id === '01')).toEqual({ id: '01', v: 0, note: 'zero' });
    expect(rows.find((r) => r.id === '1')).toEqual({ id: '1', v: 1, note: null });
    expect(rows.find((r) => r.id === '2')).toEqual({ id: '2', v: 2, note: 'same' });
    expect(rows.find((r) => r.id === '3')).toEqual({ id: '3', v: 3, note: 'old' });
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '20', rows_written: '20' });
  });

  test('a streamed upsert whose keys match the target only by collation ends as the upsert statement would (load_data on or off)', async () => {
    await env.sql('CREATE TABLE csrc (k varchar(10) PRIMARY KEY, v int) DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci');
    await env.sql("INSERT INTO csrc VALUES ('abc', 1), ('new', 2)");
    for (const loadData of [true, false]) {
      const table = `cdst_${loadData ? 'load' : 'stmt'}`;
      await env.sql(`CREATE TABLE ${table} (k varchar(10) PRIMARY KEY, v int) DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_general_ci`);
      await env.sql(`INSERT INTO ${table} VALUES ('ABC', 0)`);
      const id = await env.addTask({ from_table: 'csrc', to_table: table, params: { pk: { src: 'k', dest: 'k' }, worker_num: 1, direct_copy: false, load_data: loadData } });
      expect((await env.run(id)).code).toBe(0);
      // 'abc' meets 'ABC' on the case-insensitive key: that row takes v = 1 and keeps its key.
      expect(await env.sql(`SELECT BINARY k AS k, v FROM ${table} ORDER BY k`)).toEqual([{ k: Buffer.from('ABC'), v: 1 }, { k: Buffer.from('new'), v: 2 }]);
      expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: '2' });
    }
  });

  test('a streamed upsert of keys the target lacks that clash on another unique index updates that row (load_data on or off)', async () => {
    await env.sql('CREATE TABLE usrc (id int PRIMARY KEY, email varchar(20) NOT NULL, n int)');
    await env.sql("INSERT INTO usrc VALUES (1,'a@x',1),(2,'b@x',2),(3,'c@x',3)");
    const expected = [
      { id: 1, email: 'a@x', n: 1, note: 'd' },
      { id: 3, email: 'c@x', n: 3, note: 'd' },
      // Source row 2 meets row 90 on the unique email: ON DUPLICATE KEY UPDATE updates row 90.
      { id: 90, email: 'b@x', n: 2, note: 'keep' },
    ];
    for (const loadData of [true, false]) {
      const table = `udst_${loadData ? 'load' : 'stmt'}`;
      await env.sql(`CREATE TABLE ${table} (id int PRIMARY KEY, email varchar(20) NOT NULL UNIQUE, n int, note varchar(10) DEFAULT 'd')`);
      await env.sql(`INSERT INTO ${table} VALUES (90,'b@x',0,'keep')`);
      const id = await env.addTask({ from_table: 'usrc', to_table: table, params: { pk: { src: 'id', dest: 'id' }, worker_num: 1, read_batch: 10, direct_copy: false, load_data: loadData } });
      const res = await env.run(id);
      expect(res.code).toBe(0);
      expect(await env.sql(`SELECT * FROM ${table} ORDER BY id`)).toEqual(expected);
      expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: '3', rows_written: '3' });
    }
  });

  test.each([['streamed', false], ['on one server', true]])('-mode incr copies only rows changed since the last successful run (%s)', async (_name, direct) => {
    await env.sql('CREATE TABLE ev (id int PRIMARY KEY, v varchar(30), update_time datetime(6) NOT NULL)');
    await env.sql("INSERT INTO ev VALUES (1,'a','2024-01-01 00:00:00'),(2,'b','2024-01-02 00:00:00')");
    await env.sql('CREATE TABLE ev2 LIKE ev');
    const id = await env.addTask({ from_table: 'ev', to_table: 'ev2', params: { pk: { src: 'id', dest: 'id' }, diff_column: { src: 'update_time', dest: 'update_time' }, direct_copy: direct } });
    expect((await env.run(id, ['-mode', 'incr'])).code).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ mode: 'incr', rows_written: '2' });
    await env.sql("UPDATE ev SET v = 'b2', update_time = '2024-01-03 00:00:00' WHERE id = 2");
    await env.sql("INSERT INTO ev VALUES (3,'c','2024-01-04 00:00:00')");
    await env.sql("UPDATE ev SET v = 'old-change-not-copied' WHERE id = 1");
    expect((await env.run(id, ['--mode', 'incr'])).code).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ rows_read: '2' });
    expect(await env.sql('SELECT id, v FROM ev2 ORDER BY id')).toEqual([{ id: 1, v: 'a' }, { id: 2, v: 'b2' }, { id: 3, v: 'c' }]);
  });
});

describe('params.create_target', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test('a missing mysql target is created like the source (indexes included); plan shows the DDL first', async () => {
    await env.sql(fidelityDdl('src'));
    await env.sql('ALTER TABLE src ADD INDEX by_dt (dt6)');
    await env.sql(fidelityRows);
    const id = await env.addTask({ from_table: 'src', to_table: 'made', params: { create_target: true, direct_copy: false } });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/create_target: the target is missing; a run creates it with:\nCREATE TABLE IF NOT EXISTS `gsd_\w+`\.`made`/);
    expect(await env.sql("SHOW TABLES LIKE 'made'")).toEqual([]);
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/created the target \(params\.create_target\)/);
    expect(await env.sql('SELECT * FROM made ORDER BY id')).toEqual(await env.sql('SELECT * FROM src ORDER BY id'));
    const [[, ddl]] = (await env.sql<Record<string, string>[]>('SHOW CREATE TABLE made')).map((r) => Object.values(r));
    expect(ddl).toContain('KEY `by_dt` (`dt6`)');
    // A rerun finds the target and changes nothing.
    expect((await env.run(id)).code).toBe(0);
    const again = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(again.stdout).toContain('create_target: the target exists, nothing to create');
  });

  test('renamed columns get a table built from the source columns and key', async () => {
    await env.sql('CREATE TABLE src (id bigint unsigned NOT NULL PRIMARY KEY, name varchar(20) CHARACTER SET utf8mb4 NULL, amount decimal(30,10) NOT NULL)');
    await env.sql("INSERT INTO src VALUES (18446744073709551615, 'ü🚀', '12345678901234567890.0123456789'), (1, NULL, '0')");
    const id = await env.addTask({ from_table: 'src', to_table: 'made2', params: { create_target: true, column_map: { name: 'label' }, direct_copy: false } });
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await env.sql('SELECT id, label, amount FROM made2 ORDER BY id')).toEqual(await env.sql('SELECT id, name AS label, amount FROM src ORDER BY id'));
  });
});
