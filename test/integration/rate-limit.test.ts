import { GoshiftTestEnv } from '../support/goshift-env';

/**
 * `params.max_rows_per_sec` / `max_bytes_per_sec`: one budget for the whole run over every thread
 * and shard, kept in the main thread. The timing goal lives here because it is the feature itself
 * (a limit that does not pace is a bug), with the tolerance of ±15% on the time the limit
 * adds: the upper bound also allows what the same copy takes unlimited in the same test (run setup
 * and the copy itself, which grow on a loaded machine).
 */
describe('rate limits', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  /** Seconds the run took, from its run record (started_at to ended_at). */
  async function runSeconds(id: number): Promise<number> {
    const [row] = await env.sql<{ s: string }[]>(`SELECT TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1e6 AS s FROM \`${env.metaDb}\`.goshift_run WHERE task_id = ? ORDER BY id DESC LIMIT 1`, [id]);
    return Number(row.s);
  }

  /** Seconds the same copy takes streamed without a limit, into a fresh copy of `dst`. */
  async function unlimitedSeconds(params: Record<string, unknown>): Promise<number> {
    await env.sql('DROP TABLE IF EXISTS dst_unlimited');
    await env.sql('CREATE TABLE dst_unlimited LIKE dst');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst_unlimited', params: { ...params, direct_copy: false } });
    expect((await env.run(id)).code).toBe(0);
    return runSeconds(id);
  }

  test('50,000 rows limited to 10,000 rows/s over 8 shards and 2 threads take 5 s ± 15%, and the copy is exact', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(40))');
    await env.sql("INSERT INTO src SELECT seq, CONCAT('value ', seq) FROM seq_1_to_50000");
    await env.sql('CREATE TABLE dst LIKE src');
    // Same server: without the limit this would be one INSERT ... SELECT per shard in well under a second.
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { max_rows_per_sec: 10000, worker_num: 8, read_batch: 1000, shard_rows: 6250 } });
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(plan.stdout).toMatch(/^ {2}rate_limit +max_rows_per_sec 10000, one budget for the whole run$/m);
    expect(plan.stdout).toMatch(/^ {2}copy +streamed through goshift/m);
    const baseline = await unlimitedSeconds({ worker_num: 8, read_batch: 1000, shard_rows: 6250 });
    const res = await env.run(id);
    expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
    const seconds = await runSeconds(id);
    expect(seconds).toBeGreaterThanOrEqual(5 * 0.85);
    expect(seconds).toBeLessThanOrEqual(5 * 1.15 + baseline);
    expect(await env.sql('SELECT COUNT(*) AS n, SUM(CRC32(v)) AS c FROM dst')).toEqual(await env.sql('SELECT COUNT(*) AS n, SUM(CRC32(v)) AS c FROM src'));
  });

  test('the progress line says when the limit holds the run back; a bytes limit paces too', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(200))');
    await env.sql("INSERT INTO src SELECT seq, REPEAT('x', 200) FROM seq_1_to_30000");
    await env.sql('CREATE TABLE dst LIKE src');
    const rows = await env.addTask({ from_table: 'src', to_table: 'dst', params: { max_rows_per_sec: 5000, worker_num: 4, read_batch: 500 } });
    const res = await env.run(rows);
    expect(res.code).toBe(0);
    // The non-TTY progress line comes every 5 s; the run takes about 6 s.
    expect(res.stderr).toMatch(/progress: \d+ read \(\d+%\), \d+ written, \d+ rows\/s, shards \d+\/\d+ \(held back by max_rows_per_sec 5000\)/);
    // About 30,000 rows of ~200 B: 6 MB read at 2 MB/s is about 3 s.
    await env.sql('TRUNCATE dst');
    const bytes = await env.addTask({ from_table: 'src', to_table: 'dst', params: { max_bytes_per_sec: 2_000_000, worker_num: 4, read_batch: 500 } });
    expect((await env.run(bytes)).code).toBe(0);
    const run = (await env.lastRun(bytes))!;
    const expected = Number(run.bytes) / 2_000_000;
    const seconds = await runSeconds(bytes);
    const baseline = await unlimitedSeconds({ worker_num: 4, read_batch: 500 });
    expect(seconds).toBeGreaterThanOrEqual(expected * 0.85);
    expect(seconds).toBeLessThanOrEqual(expected * 1.15 + baseline);
  });
});
