/**
 * Dirty records (`params.error_limit`): a batch the target refuses for its data is split until the
 * culprits are found, every good row is written once, the culprits are stored in `goshift_dirty`
 * (listed by `goshift dirty` with key, reason and record) and counted in the run history, and the
 * run fails only past a limit (what is committed stays). Connection trouble is never dirty.
 */
import { GoshiftTestEnv } from '../support/goshift-env';

/** Rows of the 10k source: 9,999 ids 1..9999 and one id beyond 2^53. */
const total = 10_000;
const bigId = '9007199254740993';
/** The five rows whose note is too long for the target. */
const tooLong = ['1234', '2345', '5000', '7777', bigId];

/** Rows of the mixed-reasons source, and its three refused rows. */
const mixedTotal = 5000;
const nullNote = 2500;
const duplicate = 4321;

/** Shards of 2000 rows, two at a time, read and written 500 rows at a time. */
const base = { worker_num: 2, read_batch: 500, write_batch: 500, shard_rows: 2000, retries: 0, pk: { src: 'id', dest: 'id' } };

interface Listed {
  taskId: number;
  runId: number | null;
  total: number;
  records: { key: unknown; shard: string; reason: string; record: Record<string, unknown>; at: string }[];
}

describe('dirty records', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function count(table: string, where = '1'): Promise<number> {
    const [{ n }] = await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`);
    return Number(n);
  }

  /** 10,000 source rows with a binary column; 5 have a note too long for the target's varchar(10). */
  async function tenThousand(): Promise<void> {
    await env.sql('CREATE TABLE src (id bigint unsigned PRIMARY KEY, note varchar(40) NULL, bin varbinary(8) NULL)');
    await env.sql(`INSERT INTO src SELECT seq, IF(seq IN (${tooLong.slice(0, 4).join(', ')}), 'far too long for ten', CONCAT('n', seq)), X'00FF' FROM seq_1_to_${total - 1}`);
    await env.sql(`INSERT INTO src VALUES (${bigId}, 'far too long for ten', X'00FF')`);
    await env.sql('CREATE TABLE dst (id bigint unsigned PRIMARY KEY, note varchar(10) NOT NULL, bin varbinary(8) NULL)');
  }

  /** 5,000 source rows: one too long for the target, one NULL for a NOT NULL column, one already in the target. */
  async function mixed(target = 'CREATE TABLE dst (id int PRIMARY KEY, note varchar(10) NOT NULL)'): Promise<void> {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, note varchar(40) NULL)');
    await env.sql(`INSERT INTO src SELECT seq, CASE seq WHEN 1234 THEN 'far too long for ten' WHEN ${nullNote} THEN NULL ELSE CONCAT('n', seq) END FROM seq_1_to_${mixedTotal}`);
    await env.sql(target);
    await env.sql(`INSERT INTO dst (id, note) VALUES (${duplicate}, 'already')`);
  }

  function dirtyCli(id: number, more: string[] = []) {
    return env.cli(['dirty', '-c', env.configDir, '-e', 'test', '-id', String(id), ...more]);
  }

  async function listed(id: number, more: string[] = []): Promise<Listed> {
    const res = await dirtyCli(id, ['--json', ...more]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(res.stdout) as Listed;
  }

  async function storedCount(id: number, runId: string): Promise<number> {
    const [rows] = await env.admin.query(`SELECT COUNT(*) AS n FROM \`${env.metaDb}\`.goshift_dirty WHERE task_id = ? AND run_id = ?`, [id, runId]);
    return Number((rows as { n: string }[])[0].n);
  }

  test('5 rows too long among 10,000 within error_limit.records 10: success, the 9,995 good rows, 5 dirty records listed', async () => {
    await tenThousand();
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, error_limit: { records: 10 } } });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(plan.stdout).toMatch(/dirty_records +refused records are isolated and stored \(goshift dirty\); the run fails past params\.error_limit\.records 10/);
    expect(plan.stdout).toMatch(/copy +streamed through goshift/);

    const res = await env.run(id);
    expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(res.stderr).toContain(`5 dirty records refused by the target and skipped (within params.error_limit.records 10)`);
    expect(res.stderr).toContain(`list them with goshift dirty -e test -id ${id}`);
    expect(res.stdout + res.stderr).toMatch(/failed 5 \(5 dirty: refused by the target and skipped\)/);
    expect(await count('dst')).toBe(total - 5);
    expect(await count('dst', `id IN (${tooLong.join(', ')})`)).toBe(0);
    expect(await count('src', `id NOT IN (${tooLong.join(', ')}) AND (id, note, bin) NOT IN (SELECT id, note, bin FROM dst)`)).toBe(0);
    const run = (await env.lastRun(id))!;
    expect(run).toMatchObject({ status: 'success', rows_read: String(total), rows_written: String(total - 5), rows_failed: '5', rows_dirty: '5' });

    const text = await dirtyCli(id);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`task ${id} run ${run.id}: 5 dirty records`);
    // BIGINT keys come as exact text.
    for (const key of tooLong) expect(text.stdout).toContain(`key "${key}"  shard `);
    expect(text.stdout).toMatch(/reason {2}.*Data too long for column .note./);

    const report = await listed(id);
    expect(report).toMatchObject({ taskId: id, runId: Number(run.id), total: 5 });
    expect(report.records.map((d) => String(d.key)).sort()).toEqual([...tooLong].sort());
    expect(report.records.every((d) => /too long/i.test(d.reason))).toBe(true);
    // Exact: the id beyond 2^53 as its digits, the binary column as base64.
    expect(report.records.find((d) => d.key === bigId)!.record).toEqual({ id: bigId, note: 'far too long for ten', bin: { b64: 'AP8=' } });
    expect((await listed(id, ['--limit', '2'])).records).toHaveLength(2);
    expect((await dirtyCli(id, ['--limit', '2'])).stdout).toContain('5 dirty records (first 2; --limit 5 lists all)');
    expect((await listed(id, ['--run', run.id])).total).toBe(5);

    const tasks = await env.cli(['tasks', '-c', env.configDir, '-e', 'test']);
    expect(tasks.stdout).toContain(`(${total - 5} rows, 5 dirty)`);
  });

  test.each([
    ['LOAD DATA', {}],
    ['INSERT statements', { load_data: false }],
  ])('each reason is stored with its key: too long, NULL into NOT NULL, a duplicate under insert (%s)', async (_name, mode) => {
    await mixed();
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, ...mode, write_mode: 'insert', error_limit: { records: 5 } } });

    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await count('dst', "note LIKE 'n%'")).toBe(mixedTotal - 3);
    expect(await count('dst', `id = ${duplicate} AND note = 'already'`)).toBe(1);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(mixedTotal - 3), rows_failed: '3', rows_dirty: '3' });
    const { records } = await listed(id);
    expect(records.map((d) => d.key).sort()).toEqual([1234, nullNote, duplicate].sort());
    const reason = (key: number) => records.find((d) => d.key === key)!.reason;
    expect(reason(1234)).toMatch(/too long|truncated/i);
    expect(reason(nullNote)).toMatch(/null|note/i);
    expect(reason(duplicate)).toMatch(/Duplicate entry '4321'/);
    expect(records.find((d) => d.key === nullNote)!.record).toEqual({ id: nullNote, note: null });
  });

  test('with error_limit.records 2 the run fails with one line naming the limit, and its counters equal the target', async () => {
    await tenThousand();
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, error_limit: { records: 2 } } });

    const res = await env.run(id);
    expect(res.code).toBe(7);
    const line = new RegExp(`task ${id}: ([345]) dirty records exceed params\\.error_limit\\.records 2; list them with goshift dirty -e test -id ${id}`);
    expect(res.stderr).toMatch(line);
    const run = (await env.lastRun(id))!;
    expect(run.status).toBe('failed');
    expect(run.error_text).toMatch(line);
    // Every dirty record counted is stored, and the good rows counted are in the target.
    expect(Number(run.rows_dirty)).toBeGreaterThanOrEqual(3);
    expect(await storedCount(id, run.id)).toBe(Number(run.rows_dirty));
    expect(Number(run.rows_written)).toBe(await count('dst'));
  });

  test('error_limit.percent fails the run once the copy ends over the share, and holds within it', async () => {
    await tenThousand();
    const over = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, error_limit: { percent: 0.04 } } });
    const res = await env.run(over);
    expect(res.code).toBe(7);
    expect(res.stderr).toContain(`task ${over}: 5 dirty records of ${total} read (0.05%) exceed params.error_limit.percent 0.04; list them with goshift dirty -e test -id ${over}`);
    // A percent is only known at the end: the good rows are all in.
    expect(await env.lastRun(over)).toMatchObject({ status: 'failed', rows_written: String(total - 5), rows_failed: '5', rows_dirty: '5' });
    expect(await count('dst')).toBe(total - 5);

    await env.sql('TRUNCATE dst');
    const within = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, error_limit: { percent: 0.1 } } });
    const ok = await env.run(within);
    expect({ code: ok.code, stderr: ok.code ? ok.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(ok.stderr).toContain('5 dirty records refused by the target and skipped (within params.error_limit.percent 0.1)');
    expect(await count('dst')).toBe(total - 5);
  });

  test('without error_limit a refused batch fails the run as before: none of it lands, nothing is stored as dirty', async () => {
    await mixed();
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, shard_rows: 1000, worker_num: 1 } });

    const res = await env.run(id);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/note/);
    // The batch holding the too-long row (1001..1500) is rolled back whole; the run stops there.
    expect(await count('dst', 'id BETWEEN 1001 AND 1500')).toBe(0);
    expect(await count('dst', "note LIKE 'n%'")).toBe(1000);
    const run = (await env.lastRun(id))!;
    expect(run).toMatchObject({ status: 'failed', rows_written: '1000', rows_dirty: '0' });
    expect(await storedCount(id, run.id)).toBe(0);
    expect(await dirtyCli(id)).toMatchObject({ code: 0, stdout: `task ${id}: no dirty records\n` });
  });

  test('goshift dirty: an unknown task or a run of another task is one clear line and a non-zero exit', async () => {
    const unknown = await dirtyCli(987654);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toBe('goshift: task 987654 not found in task_def_sync_manager (list tasks with `goshift tasks -e <env>`)\n');
    await mixed();
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: base });
    const other = await dirtyCli(id, ['--run', '987654']);
    expect(other.code).toBe(4);
    expect(other.stderr.trim().split('\n')).toEqual([`goshift: task ${id} has no run 987654 (its runs are in goshift_run; without --run the latest run with dirty records is listed)`]);
  });

  test('splitting a refused batch never writes a good row twice', async () => {
    // No key on id: a row written twice would show up as two rows.
    await mixed('CREATE TABLE dst (seq int AUTO_INCREMENT PRIMARY KEY, id int NOT NULL, note varchar(10) NOT NULL)');
    await env.sql(`DELETE FROM dst WHERE id = ${duplicate}`);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...base, pk: { src: 'id', dest: '' }, error_limit: { records: 5 } } });

    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await count('dst')).toBe(mixedTotal - 2);
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(DISTINCT id) AS n FROM dst');
    expect(Number(n)).toBe(mixedTotal - 2);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(mixedTotal - 2), rows_failed: '2', rows_dirty: '2' });
  });

  test('a dropped connection is never a dirty record: the shard retries and the count stays exact', async () => {
    const n = 40_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, note varchar(40) NULL)');
    // Every 1000th row (500, 1500, ...) has a NULL the target refuses: 40 dirty records.
    await env.sql(`INSERT INTO src SELECT seq, IF(seq % 1000 = 500, NULL, CONCAT('n', seq)) FROM seq_1_to_${n}`);
    await env.sql('CREATE TABLE dst (id int PRIMARY KEY, note varchar(10) NOT NULL)');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, read_batch: 100, write_batch: 10, shard_rows: 10_000, checkpoint_seconds: 0, pk: { src: 'id', dest: 'id' }, error_limit: { records: 100 } } });
    const { stderr, exited } = env.spawnRun(id);

    const [[{ me }]] = (await env.admin.query('SELECT CONNECTION_ID() AS me')) as unknown as [{ me: number }[]];
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    for (let i = 0; i < 600 && !exitedEarly && !/retrying/.test(stderr()); i++) {
      // Mid-shard (4 shards of 10,000, a position saved after every batch), after dirty records were found.
      if ((await count('dst')) >= 5000) {
        const [conns] = await env.admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ?', [env.dataDb, me]);
        for (const { id: conn } of conns as { id: number }[]) await env.admin.query(`KILL CONNECTION ${Number(conn)}`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const code = await exited;

    expect(stderr()).toMatch(/retrying from its last saved position/);
    expect(code).toBe(0);
    expect(await count('dst')).toBe(n - 40);
    expect(await count('dst', 'id % 1000 = 500')).toBe(0);
    const run = (await env.lastRun(id))!;
    expect(run).toMatchObject({ status: 'success', rows_written: String(n - 40), rows_failed: '40', rows_dirty: '40' });
    // A record met again by the retried shard is stored once.
    expect(await storedCount(id, run.id)).toBe(40);
    const { records } = await listed(id, ['--limit', '100']);
    expect(new Set(records.map((d) => d.key)).size).toBe(40);
    expect(records.every((d) => (d.key as number) % 1000 === 500 && /note/.test(d.reason))).toBe(true);
  });
});
