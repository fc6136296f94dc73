import { GoshiftTestEnv } from '../support/goshift-env';

describe('an interrupted run', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  // SIGINT interrupts a streamed copy, SIGTERM a same-server (INSERT ... SELECT) copy.
  test.each(['SIGINT', 'SIGTERM'] as const)('%s stops handing out shards, records the run as cancelled, exits non-zero; a rerun completes', async (signal) => {
    await env.sql('CREATE TABLE big (id int PRIMARY KEY, pad varchar(100))');
    await env.sql('INSERT INTO big SELECT seq, REPEAT(\'x\', 100) FROM seq_1_to_60000');
    await env.sql('CREATE TABLE big2 LIKE big');
    const id = await env.addTask({ from_table: 'big', to_table: 'big2', params: { worker_num: 1, read_batch: 100, shard_rows: 100, write_batch: 10, direct_copy: signal === 'SIGTERM' } });

    const { child, stderr, exited } = env.spawnRun(id);

    // Wait until a few shards are done, then interrupt.
    for (let i = 0; i < 200 && (await env.checkpointCount(id)) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await env.taskStatus(id)).toBe('2');
    child.kill(signal);
    const code = await exited;

    expect(code).toBe(130);
    expect(stderr()).toMatch(/goshift: task \d+: cancelled after \d+\/600 shards/);
    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'cancelled' });
    expect(Number(run!.rows_written)).toBeLessThan(60000);
    expect(Number(run!.rows_written)).toBeGreaterThan(0);
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM big2');
    expect(Number(n)).toBe(Number(run!.rows_written));
    expect(await env.taskStatus(id)).toBe('3');

    // A rerun resumes by default (skips the shards already done); --restart copies everything again.
    const resume = signal === 'SIGINT';
    const again = await env.run(id, resume ? [] : ['--restart']);
    expect(again.code).toBe(0);
    const [{ c1 }] = await env.sql<{ c1: string }[]>('SELECT (SELECT COUNT(*) FROM big2) AS c1');
    expect(c1).toBe('60000');
    const rerun = await env.lastRun(id);
    expect(rerun).toMatchObject({ status: 'success', shards_total: 600, shards_done: 600 });
    if (resume) {
      expect(again.stderr).toMatch(/resuming the interrupted copy: \d+ of 600 shards already done/);
      expect(Number(rerun!.rows_read)).toBeLessThan(60000);
      expect(Number(rerun!.rows_read) + Number(rerun!.rows_skipped)).toBe(60000);
    } else {
      expect(again.stderr).toMatch(/--restart: forgetting/);
      expect(rerun).toMatchObject({ rows_read: '60000', rows_skipped: '0' });
    }
  });
});
