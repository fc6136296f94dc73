/**
 * Resume positions (contract v2 §1): a copy killed half way continues after its last durable
 * position, exactly, and a resume point belongs to what was copied.
 */
import os from 'node:os';
import { GoshiftTestEnv } from '../support/goshift-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resuming an interrupted copy', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function count(table: string): Promise<number> {
    const [{ n }] = await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number(n);
  }

  async function checksum(table: string): Promise<string> {
    const [{ Checksum }] = await env.sql<{ Checksum: string }[]>(`CHECKSUM TABLE ${table}`);
    return String(Checksum);
  }

  async function savedPositions(id: number): Promise<number> {
    const [rows] = await env.admin.query(`SELECT COUNT(*) AS n FROM \`${env.metaDb}\`.goshift_shard_position WHERE task_id = ?`, [id]);
    return Number((rows as { n: string }[])[0].n);
  }

  /**
   * Start a run, wait until the target holds at least `rows` and a position was saved, then send
   * `signal`; resolves with the exit code.
   */
  async function interruptAt(id: number, table: string, rows: number, signal: NodeJS.Signals): Promise<number> {
    const { child, exited } = env.spawnRun(id);
    let done = false;
    void exited.then(() => (done = true));
    while (!done && ((await count(table)) < rows || (await savedPositions(id)) === 0)) await sleep(50);
    expect(done).toBe(false);
    child.kill(signal);
    return exited;
  }

  test('a 1,000,000-row table planned as one shard, killed with SIGKILL half way, resumes after its position', async () => {
    const total = 1_000_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, pad char(10) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq * 7, 'x' FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 1, shard_rows: 2 * total, direct_copy: false } });

    // About half way: killed once the saved position (every checkpoint_seconds, 1 s) passed 45%;
    // the copy itself is a little further by then. Polling the durable point, not the target,
    // keeps the figure independent of how busy the machine is.
    const { child, exited } = env.spawnRun(id);
    let done = false;
    void exited.then(() => (done = true));
    const savedRows = async (): Promise<number> => {
      const [rows] = await env.admin.query(`SELECT COALESCE(MAX(rows_read), 0) AS n FROM \`${env.metaDb}\`.goshift_shard_position WHERE task_id = ?`, [id]);
      return Number((rows as { n: string }[])[0].n);
    };
    while (!done && (await savedRows()) < 0.45 * total) await sleep(50);
    expect(done).toBe(false);
    child.kill('SIGKILL');
    expect(await exited).not.toBe(0);
    const kept = await count('dst');
    expect(kept).toBeLessThan(total);

    // Straight after the kill: never "already running"; the dead run is closed and the copy resumes.
    const rerun = await env.run(id);
    expect(rerun.stderr).not.toMatch(/already running/);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(/resuming the interrupted copy: 0 of 1 shards already done, 1 continue after their saved position \(\d+ rows skipped\)/);
    expect(await count('dst')).toBe(total);
    expect(await checksum('dst')).toBe(await checksum('src'));
    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'success' });
    expect(Number(run!.rows_read)).toBeLessThan(0.6 * total);
    expect(Number(run!.rows_read) + Number(run!.rows_skipped)).toBe(total);
    const [{ status }] = await env.sql<{ status: string }[]>(`SELECT status FROM \`${env.metaDb}\`.goshift_run WHERE task_id = ? ORDER BY id LIMIT 1`, [id]);
    expect(status).toBe('failed');
    process.stdout.write(`resume figures: killed with ${kept} rows in the target; the rerun read ${run!.rows_read} rows (${((100 * Number(run!.rows_read)) / total).toFixed(1)}%), skipped ${run!.rows_skipped}\n`);
  });

  test.each(['SIGKILL', 'SIGTERM'] as const)('write_mode insert with 8 shards resumes after %s without a duplicate key, exactly', async (signal) => {
    const total = 200_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 4, shard_rows: total / 8, read_batch: 1000, write_batch: 250, write_mode: 'insert', direct_copy: false } });

    expect(await interruptAt(id, 'dst', total / 2, signal)).not.toBe(0);
    const rerun = await env.run(id);
    expect(rerun.stderr).not.toMatch(/Duplicate entry/);
    expect(rerun.code).toBe(0);
    expect(await count('dst')).toBe(total);
    expect(await checksum('dst')).toBe(await checksum('src'));
    const run = await env.lastRun(id);
    expect(Number(run!.rows_read)).toBeLessThan(0.6 * total);
    expect(run).toMatchObject({ status: 'success', shards_total: 8, shards_done: 8 });
  });

  test('a resume point belongs to what was copied: a changed target or mode starts over and says why', async () => {
    const total = 200_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, updated datetime NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq, '2026-01-01' FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    await env.sql('CREATE TABLE other LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, shard_rows: total / 4, read_batch: 1000, direct_copy: false, diff_column: { src: 'updated', dest: 'updated' } } });

    expect(await interruptAt(id, 'dst', total / 2, 'SIGKILL')).not.toBe(0);
    await env.admin.query(`UPDATE \`${env.metaDb}\`.task_def_sync_manager SET to_table = 'other' WHERE id = ?`, [id]);
    const moved = await env.run(id);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toMatch(/the interrupted copy had other settings \(changed: to\); starting over/);
    expect(await count('other')).toBe(total);
    expect(await env.lastRun(id)).toMatchObject({ rows_read: String(total), rows_skipped: '0' });

    // Killed in init mode, rerun in incr mode: starts over too.
    await env.sql('DELETE FROM other');
    expect(await interruptAt(id, 'other', total / 4, 'SIGKILL')).not.toBe(0);
    const incr = await env.run(id, ['-mode', 'incr']);
    expect(incr.code).toBe(0);
    expect(incr.stderr).toMatch(/changed: mode\)/);
  });

  test('a refused attempt never becomes the resume point; plan shows what a resume would skip', async () => {
    const total = 200_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, shard_rows: total / 4, read_batch: 1000, direct_copy: false } });
    expect(await interruptAt(id, 'dst', total / 2, 'SIGKILL')).not.toBe(0);

    // A live run elsewhere holds the task: the attempt is refused and changes nothing.
    const [res] = await env.admin.query(
      `INSERT INTO \`${env.metaDb}\`.goshift_run (task_id, mode, cmd, status, started_at, heartbeat_at, host, pid) VALUES (?, 'init', 'run', 'running', NOW(3), NOW(3), 'elsewhere', 1)`,
      [id],
    );
    const refused = await env.run(id);
    expect(refused.code).toBe(4);
    expect(await env.lastRun(id)).toMatchObject({ status: 'refused' });
    await env.admin.query(`DELETE FROM \`${env.metaDb}\`.goshift_run WHERE id = ?`, [(res as { insertId: number }).insertId]);

    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/resume: \d+ of 4 shards already done, \d+ continue after their saved position \([1-9]\d* rows skipped;/);

    const rerun = await env.run(id);
    expect(rerun.code).toBe(0);
    expect(await count('dst')).toBe(total);
    expect(Number((await env.lastRun(id))!.rows_skipped)).toBeGreaterThan(0);
    const after = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(after.stdout).toMatch(/resume: nothing to resume/);
  });

  test('two runs of one task started at the same moment: one runs, the other is refused', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)');
    await env.sql('INSERT INTO src SELECT seq, seq FROM seq_1_to_100000');
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 1, read_batch: 1000, direct_copy: false } });
    for (let trial = 0; trial < 4; trial++) {
      const [a, b] = await Promise.all([env.run(id), env.run(id)]);
      const codes = [a.code, b.code].sort();
      // Never both refused; when one finished before the other looked, both may succeed.
      expect(codes[0]).toBe(0);
      if (codes[1] !== 0) expect(`${a.stderr}${b.stderr}`).toMatch(/already running/);
    }
    expect(await count('dst')).toBe(100_000);
  });

  test('a zombie or silent run does not hold the task', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY)');
    await env.sql('INSERT INTO src SELECT seq FROM seq_1_to_10');
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst' });
    // A zombie: `sleep 0.1`'s parent execs into `sleep 30`, which never reaps it.
    const { spawn } = await import('node:child_process');
    const parent = spawn('bash', ['-c', 'sleep 0.1 & echo $!; exec sleep 30']);
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    await sleep(500);
    try {
      const fake = (host: string, pid: number, heartbeat: string) => env.admin.query(
        `INSERT INTO \`${env.metaDb}\`.goshift_run (task_id, mode, cmd, status, started_at, heartbeat_at, host, pid) VALUES (?, 'init', 'run', 'running', NOW(3), ${heartbeat}, ?, ?)`,
        [id, host, pid],
      );
      await fake(os.hostname(), zombie, 'NOW(3)');
      await fake('elsewhere', 1, 'NOW(3) - INTERVAL 60 SECOND');
      const res = await env.run(id);
      expect(res.code).toBe(0);
      expect(res.stderr).toMatch(new RegExp(`died: process ${zombie} on .* is gone`));
      expect(res.stderr).toMatch(/died: no heartbeat for 15 s \(process 1 on elsewhere\)/);
      const tasks = await env.cli(['tasks', '-c', env.configDir, '-e', 'test']);
      expect(tasks.code).toBe(0);
      expect(tasks.stdout).toMatch(new RegExp(`^${id}\\s+yes\\s+4 success .* success `, 'm'));
      // A run whose lease lapsed shows as died, not running; a refused attempt is never the last run.
      await fake('elsewhere', 2, 'NOW(3) - INTERVAL 60 SECOND');
      expect((await env.cli(['tasks', '-c', env.configDir, '-e', 'test'])).stdout).toMatch(new RegExp(`^${id}\\s.* died `, 'm'));
      await env.admin.query(`UPDATE \`${env.metaDb}\`.goshift_run SET status = 'failed' WHERE task_id = ? AND status = 'running'`, [id]);
      await fake('elsewhere', 3, 'NOW(3)');
      expect((await env.run(id)).code).toBe(4);
      expect((await env.cli(['tasks', '-c', env.configDir, '-e', 'test'])).stdout).toMatch(new RegExp(`^${id}\\s.* running `, 'm'));
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
