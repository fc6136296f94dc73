import { GoshiftTestEnv } from '../support/goshift-env';
import { addQueueSection, cleanQueue, startWorker, WorkerProcess } from '../support/queue-workers';

/** Rows of the exact-copy test (the size). */
const bigRows = 1_000_000;
/** Rows of the kill tests: enough for a run of several seconds, small enough for a trigger counting every write. */
const killRows = 200_000;
const readBatch = 2000;

describe('--distributed: shards on goshift workers through the queue', () => {
  let env: GoshiftTestEnv;
  let queue: string;
  let workers: WorkerProcess[] = [];
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    queue = addQueueSection(env);
    workers = [];
  });
  afterEach(async () => {
    await cleanQueue(queue, workers);
    await env.cleanup();
  });

  /** Source and target tables and the task; `shardRows` > read_batch gives shards of several batches (positions inside them). */
  async function table(rows: number, shardRows = readBatch): Promise<number> {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(40), n bigint)');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('value-', seq), seq * 7 FROM seq_1_to_${rows}`);
    await env.sql('CREATE TABLE dst LIKE src');
    // Every row the target is asked to write, re-writes included.
    await env.sql('CREATE TABLE writes (n bigint NOT NULL)');
    await env.sql('INSERT INTO writes VALUES (0)');
    return env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' }, worker_num: 6, read_batch: readBatch, write_batch: 500, direct_copy: false, checkpoint_seconds: 0, shard_rows: shardRows } });
  }

  async function countWrites(): Promise<void> {
    await env.sql('CREATE TRIGGER count_writes BEFORE INSERT ON dst FOR EACH ROW UPDATE writes SET n = n + 1');
  }

  async function expectExact(rows: number): Promise<void> {
    const sum = 'SELECT COUNT(*) AS c, SUM(CRC32(CONCAT_WS(\'|\', id, v, n))) AS s FROM';
    const [a] = await env.sql<{ c: string; s: string }[]>(`${sum} src`);
    const [b] = await env.sql<{ c: string; s: string }[]>(`${sum} dst`);
    expect(Number(b.c)).toBe(rows);
    expect(b).toEqual(a);
  }

  async function waitFor(what: string, test: () => Promise<boolean>, ms = 120_000): Promise<void> {
    for (let t = 0; t < ms; t += 100) {
      if (await test()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  test(`3 workers and a coordinator copy ${bigRows} rows exact; the run is recorded as distributed`, async () => {
    const id = await table(bigRows);
    workers = await Promise.all([startWorker(env), startWorker(env), startWorker(env)]);
    const res = await env.run(id, ['--distributed']);
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`rows     read ${bigRows}, written ${bigRows}, failed 0`));
    await expectExact(bigRows);
    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'success', queue_name: queue, rows_written: String(bigRows) });
    // Every worker ran shards, and the run says so.
    expect(Number(run!.workers)).toBe(3);
    for (const w of workers) expect(w.output()).not.toMatch(/error|failed/i);
    expect(res.stderr).toMatch(/3 worker\(s\) ran \d+ shard job\(s\) from queue .*; queue latency per shard: median \d+ ms/);
    const tasks = await env.cli(['tasks', '-c', env.configDir, '-e', 'test']);
    expect(tasks.stdout).toContain(`[distributed: queue ${queue}, 3 workers]`);
  }, 300_000);

  test('a worker killed with SIGKILL at ~40%: another takes its shards over from their saved positions; exact, re-copying at most one checkpoint per shard', async () => {
    const id = await table(killRows, 10 * readBatch);
    await countWrites();
    workers = await Promise.all([startWorker(env), startWorker(env), startWorker(env)]);
    const coordinator = env.spawnRun(id, ['--distributed']);
    await waitFor('40% of the rows', async () => Number((await env.sql<{ n: string }[]>('SELECT n FROM writes'))[0].n) >= killRows * 0.4);
    const victim = workers.find((w) => /continues|taking/.test(w.output()))!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe(-1);
    expect(await coordinator.exited).toBe(0);
    await expectExact(killRows);
    // The shards the dead worker held were taken over (not restarted by the coordinator from scratch).
    const takeovers = [...coordinator.stderr().matchAll(/took it over and re-copies what was written after its last saved position \((\d+) rows reported beyond it/g)].map((m) => Number(m[1]));
    expect(takeovers.length).toBeGreaterThan(0);
    expect(takeovers.length).toBeLessThanOrEqual(2);
    // Positions are saved after every batch here (checkpoint_seconds 0): each taken-over shard re-copies at most one batch.
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT n FROM writes');
    expect(Number(n) - killRows).toBeLessThanOrEqual(takeovers.length * readBatch);
    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'success' });
    expect(Number(run!.rows_written)).toBe(killRows);
  }, 300_000);

  test('the coordinator killed and started again re-attaches to its run: it finishes once, exact, one run record', async () => {
    const id = await table(killRows);
    workers = await Promise.all([startWorker(env), startWorker(env), startWorker(env)]);
    const first = env.spawnRun(id, ['--distributed']);
    await waitFor('30% of the rows', async () => Number((await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM dst'))[0].n) >= killRows * 0.3);
    first.child.kill('SIGKILL');
    await first.exited;
    const again = await env.run(id, ['--distributed']);
    expect(again.stderr).toMatch(/re-attaching to run \d+: its coordinator is gone and its shard jobs are still in queue/);
    expect(again.code).toBe(0);
    await expectExact(killRows);
    const runs = await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM \`${env.metaDb}\`.goshift_run WHERE task_id = ?`, [id]);
    expect(Number(runs[0].n)).toBe(1);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success' });
    expect(await env.taskStatus(id)).toBe('4');
  }, 300_000);

  test('Ctrl-C cancels the run over every worker (recorded as cancelled, exit 130); the next --distributed run finishes it exact', async () => {
    const id = await table(killRows, 10 * readBatch);
    workers = await Promise.all([startWorker(env), startWorker(env)]);
    const first = env.spawnRun(id, ['--distributed']);
    await waitFor('20% of the rows', async () => Number((await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM dst'))[0].n) >= killRows * 0.2);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    expect(first.stderr()).toMatch(/cancelled after \d+\/\d+ shards/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'cancelled' });
    expect(await env.taskStatus(id)).toBe('3');
    const [{ n: copied }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM dst');
    expect(Number(copied)).toBeLessThan(killRows);
    // The workers stay up and serve the next run, which resumes (not re-attaches: the run is closed).
    const again = await env.run(id, ['--distributed']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/re-attaching/);
    await expectExact(killRows);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success' });
  }, 300_000);

  test('a worker stops on SIGTERM after its shards in flight, exit 0', async () => {
    const w = await startWorker(env);
    workers = [w];
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/worker \S+: received SIGTERM: finishing the shards in flight/);
    expect(w.output()).toMatch(/worker \S+: stopped/);
  });

  test('a rate limit holds over the workers: each asks the coordinator before every batch (a lost grant would hang the run)', async () => {
    const rows = 30_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(40), n bigint)');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('value-', seq), seq * 7 FROM seq_1_to_${rows}`);
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: { src: 'id', dest: 'id' }, worker_num: 4, read_batch: 1000, write_batch: 500, max_rows_per_sec: 10_000 } });
    workers = await Promise.all([startWorker(env), startWorker(env)]);
    const res = await env.run(id, ['--distributed']);
    expect(res.code).toBe(0);
    await expectExact(rows);
    expect(Number((await env.lastRun(id))!.workers)).toBeGreaterThanOrEqual(1);
  }, 300_000);
});

describe('--distributed: bad input', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test('without a queue section: one line naming the config file and the key, exit 3, nothing run', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY)');
    const id = await env.addTask({ from_table: 'src', to_table: 'src2', params: { pk: { src: 'id', dest: 'id' } } });
    const res = await env.run(id, ['--distributed']);
    expect(res.code).toBe(3);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`config ${env.configDir}/test.json has no "queue" section: --distributed needs one`);
    expect(await env.lastRun(id)).toBeUndefined();
    const worker = await env.cli(['worker', '-c', env.configDir, '-e', 'test']);
    expect(worker.code).toBe(3);
    expect(worker.stderr).toContain('has no "queue" section: goshift worker needs one');
  });

  test('params.distributed with the queue\'s Redis unreachable: one line naming the queue, non-zero exit', async () => {
    env.writeConfig({ queue: { host: '127.0.0.1', port: 1, name: `gsq_${env.suffix}`, connect_timeout_ms: 2000 } } as never);
    await env.sql('CREATE TABLE src (id int PRIMARY KEY)');
    const id = await env.addTask({ from_table: 'src', to_table: 'src2', params: { pk: { src: 'id', dest: 'id' }, distributed: true } });
    const res = await env.run(id);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^goshift: queue redis 127\.0\.0\.1:1\/0 queue "gsq_\w+" \(config .*test\.json, section queue\) is unreachable: .*ECONNREFUSED/);
    expect(await env.lastRun(id)).toBeUndefined();
  });
});
