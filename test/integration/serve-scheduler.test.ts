/**
 * The scheduler of `goshift serve`: a task whose params.schedule is due every second gets a run;
 * due times while that run still goes are skipped and recorded; never two runs of the task at once.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { GoshiftTestEnv, repoRoot } from '../support/goshift-env';
import { call, startServe, ServeProcess, waitFor } from '../support/serve';

interface Event { at: string; taskId: number; action: string; runId?: number; reason?: string }

describe('goshift serve: scheduler', () => {
  let env: GoshiftTestEnv;
  let serve: ServeProcess | undefined;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await env.cleanup();
  });

  test('"* * * * * *" starts a run; the due ticks while it runs are skipped and recorded; runs never overlap', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)');
    await env.sql('INSERT INTO src SELECT seq, seq FROM seq_1_to_20000');
    await env.sql('CREATE TABLE dst LIKE src');
    // About 4 s per run (paced), so several due times fall inside one run.
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 1, shard_rows: 2000, read_batch: 500, direct_copy: false, max_rows_per_sec: 5000, schedule: '* * * * * *' } });
    const unscheduled = await env.addTask({ from_table: 'src', to_table: 'dst', params: { direct_copy: false } });
    serve = await startServe(env);

    const events = async (): Promise<Event[]> => (await call(serve!.url, 'GET', '/api/schedule')).body.events as unknown as Event[];
    // Newest first: wait until a skip follows a start.
    const seen = await waitFor(async () => {
      const list = (await events()).reverse();
      const first = list.findIndex((e) => e.action === 'started');
      return first >= 0 && list.slice(first + 1).some((e) => e.action === 'skipped') ? list : undefined;
    });
    const first = seen.findIndex((e) => e.action === 'started');
    const started = seen[first];
    const skipped = seen.slice(first + 1).filter((e) => e.action === 'skipped');
    expect(started).toMatchObject({ taskId: id, runId: expect.any(Number) });
    expect(skipped[0]).toMatchObject({ taskId: id, runId: started.runId });
    expect(skipped[0].reason).toMatch(/still going/);
    expect(seen.every((e) => e.taskId === id && e.action !== 'failed')).toBe(true);
    expect(seen.filter((e) => e.action === 'skipped').every((e) => /still (going|starting)/.test(e.reason ?? ''))).toBe(true);

    const schedule = (await call(serve.url, 'GET', '/api/schedule')).body;
    expect(schedule.scheduler).toBe(true);
    expect(schedule.scheduled).toEqual([{ taskId: id, schedule: '* * * * * *', mode: 'init', nextRun: expect.any(String) }]);
    const page = await (await fetch(`${serve.url}/`)).text();
    expect(page).toContain('* * * * * *');

    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`goshift_schedule_events_total\\{task_id="${id}",action="skipped"\\} [1-9]`));

    // Shutting down interrupts the scheduled run (cancelled) and starts nothing more.
    expect(await serve.stop()).toBe(0);
    serve = undefined;
    const [rows] = await env.admin.query(
      `SELECT id, status, started_at, ended_at FROM \`${env.metaDb}\`.goshift_run WHERE task_id = ? ORDER BY id`, [id],
    );
    const runs = rows as { id: string; status: string; started_at: string; ended_at: string | null }[];
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.every((r) => r.ended_at !== null && ['success', 'cancelled'].includes(r.status))).toBe(true);
    for (let i = 1; i < runs.length; i++) expect(runs[i].started_at >= runs[i - 1].ended_at!).toBe(true);
    expect(await env.lastRun(unscheduled)).toBeUndefined();
  });

  test('goshift scheduler runs the schedule alone (no HTTP server) and stops on SIGINT', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL)');
    await env.sql('INSERT INTO src SELECT seq, seq FROM seq_1_to_100');
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { direct_copy: false, schedule: '* * * * * *' } });
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'goshift'), 'scheduler', '-c', env.configDir, '-e', 'test'], { cwd: env.configDir });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    try {
      const run = await waitFor(async () => {
        const r = await env.lastRun(id);
        return r?.status === 'success' ? r : undefined;
      });
      expect(run).toMatchObject({ cmd: 'run', mode: 'init', rows_written: '100' });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('goshift scheduler: 1 scheduled task(s)');
  });
});
