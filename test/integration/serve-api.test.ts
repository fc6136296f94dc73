/**
 * `goshift serve`'s JSON API against a real metadata database and real mysql->mysql runs: the token
 * guards every change, runs start as `goshift -e <env> -id <n>` processes (same lease and run
 * record as the CLI), their progress is read from goshift_run, a stop cancels them, bad input is a
 * 4xx with one line, and /metrics matches the run history.
 */
import { GoshiftTestEnv } from '../support/goshift-env';
import { call, startServe, ServeProcess, waitFor } from '../support/serve';

const token = 'serve-test-token';

describe('goshift serve: API', () => {
  let env: GoshiftTestEnv;
  let serve: ServeProcess | undefined;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    // The token reaches the config through its env substitution, as the README tells users to do.
    env.writeConfig({ serve: { token: '${GOSHIFT_TEST_SERVE_TOKEN}' } });
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await env.cleanup();
  });

  /** A source table of `rows` rows, an empty target, and a task copying it through goshift (not in-server), paced by `rowsPerSec`. */
  async function copyTask(rows: number, rowsPerSec = 0): Promise<number> {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, pad char(20) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq * 3, 'abcdefghij' FROM seq_1_to_${rows}`);
    await env.sql('CREATE TABLE dst LIKE src');
    return env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, shard_rows: Math.ceil(rows / 10), read_batch: 1000, direct_copy: false, max_rows_per_sec: rowsPerSec } });
  }

  const start = (id: number, body: unknown = {}) => call(serve!.url, 'POST', `/api/tasks/${id}/runs`, { token, body });

  test('reads are open; every change needs the bearer token (401), and without a configured token changes are refused (403)', async () => {
    const id = await copyTask(10);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    expect((await call(serve.url, 'GET', '/api/tasks')).status).toBe(200);
    const none = await call(serve.url, 'POST', `/api/tasks/${id}/runs`, { body: {} });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/Authorization: Bearer <token>/);
    const wrong = await call(serve.url, 'POST', `/api/tasks/${id}/runs`, { token: 'nope', body: {} });
    expect(wrong.status).toBe(401);
    expect((await call(serve.url, 'PATCH', `/api/tasks/${id}`, { body: { task_desc: 'x' } })).status).toBe(401);
    expect((await call(serve.url, 'POST', '/api/runs/1/stop')).status).toBe(401);
    expect(await env.lastRun(id)).toBeUndefined();
    await serve.stop();

    env.writeConfig({ serve: { token: '' } });
    serve = await startServe(env, ['--no-scheduler']);
    const refused = await call(serve.url, 'POST', `/api/tasks/${id}/runs`, { token: 'anything', body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/no serve\.token is configured; set "serve": \{"token": "\$\{GOSHIFT_SERVE_TOKEN:-\}"\}/);
    expect(await env.lastRun(id)).toBeUndefined();
  });

  test('bad input is a 4xx with one clear line', async () => {
    const id = await copyTask(10);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const cases: [string, string, { body?: unknown; rawBody?: string }, number, RegExp][] = [
      ['POST', '/api/tasks/999999/runs', { body: {} }, 404, /^task 999999 not found in task_def_sync_manager$/],
      ['GET', '/api/tasks/999999', {}, 404, /task 999999 not found/],
      ['GET', '/api/runs/999999', {}, 404, /^run 999999 not found in goshift_run$/],
      ['POST', `/api/tasks/${id}/runs`, { rawBody: '{"mode": ' }, 400, /^request body is not valid JSON at line 1 column \d+/],
      ['POST', `/api/tasks/${id}/runs`, { body: { mode: 'fast' } }, 400, /mode must be one of init, incr, stream, got "fast"/],
      ['POST', `/api/tasks/${id}/runs`, { body: { speed: 1 } }, 400, /"speed" is not an option \(options: mode, force, restart\)/],
      ['PATCH', `/api/tasks/${id}`, { body: { params: { worker_num: 'many' } } }, 400, /^task \d+: params\.worker_num must be a positive integer, got "many"$/],
      ['PATCH', `/api/tasks/${id}`, { body: { params: { schedule: '61 * * * *' } } }, 400, /^task \d+: params\.schedule must be a cron expression .*got "61 \* \* \* \*": Invalid value for minute: 61$/],
      ['PATCH', `/api/tasks/${id}`, { body: { colour: 'red' } }, 400, /"colour" is not a task column/],
      ['POST', '/api/tasks', { body: { from_db_type: 'mysql' } }, 400, /^POST \/api\/tasks: missing from_app/],
      ['POST', '/api/tasks', { body: { from_db_type: 'mysql', from_app: 't', from_db: env.dataDb, from_table: 'src', to_db_type: 'mysqll', to_app: 't', to_db: env.dataDb, to_table: 'dst' } }, 400, /^unknown store type "mysqll" in POST \/api\/tasks to_db_type \(did you mean "mysql"\?\)/],
      ['DELETE', `/api/tasks/${id}`, {}, 405, /DELETE is not allowed on \/api\/tasks\/\d+ \(allowed: GET, PATCH\)/],
      ['GET', '/api/nothing', {}, 404, /no such path: \/api\/nothing/],
    ];
    for (const [method, path, opts, status, message] of cases) {
      const res = await call(serve.url, method, path, { token, ...opts });
      expect([method, path, res.status]).toEqual([method, path, status]);
      expect(res.body.error).toMatch(message);
      expect(res.body.error).not.toContain('\n');
    }
    expect(await env.lastRun(id)).toBeUndefined();
  });

  test('tasks are added and edited through the same checks as goshift task add|edit; a schedule shows with its next time', async () => {
    await copyTask(10);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const added = await call(serve.url, 'POST', '/api/tasks', {
      token, body: { from_db_type: 'mysql', from_app: 't', from_db: env.dataDb, from_table: 'src', to_db_type: 'mysql', to_app: 't', to_db: env.dataDb, to_table: 'dst', params: { worker_num: 3 }, task_desc: 'from the API' },
    });
    expect(added.status).toBe(201);
    const id = Number(added.body.id);
    const edited = await call(serve.url, 'PATCH', `/api/tasks/${id}`, { token, body: { params: { worker_num: 3, schedule: '0 3 * * *' } } });
    expect(edited.status).toBe(200);
    const shown = await call(serve.url, 'GET', `/api/tasks/${id}`);
    expect(shown.body).toMatchObject({ id, schedule: '0 3 * * *', scheduleMode: 'init', description: 'from the API', online: true, lastRun: null });
    expect(new Date(String(shown.body.nextRun)).getHours()).toBe(3);
    const cli = await env.cli(['task', 'show', '-c', env.configDir, '-e', 'test', String(id), '--json'], { env: { GOSHIFT_TEST_SERVE_TOKEN: token } });
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(cli.stdout).params).toEqual({ worker_num: 3, schedule: '0 3 * * *' });
  });

  test('a run starts asynchronously, shows its progress, refuses a second one (409), and a stop cancels it after in-flight batches', async () => {
    const rows = 60_000;
    const id = await copyTask(rows, 6000);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const started = await start(id);
    expect(started.status).toBe(202);
    const runId = Number(started.body.runId);
    expect(await env.lastRun(id)).toMatchObject({ id: String(runId), status: 'running', cmd: 'run' });

    // Progress comes from the run's heartbeat (every 3 s): wait until it reports rows.
    const running = await waitFor(async () => {
      const r = await call(serve!.url, 'GET', `/api/runs/${runId}`);
      return Number(r.body.rowsRead) > 0 ? r.body : undefined;
    });
    expect(running).toMatchObject({ id: runId, taskId: id, status: 'running', mode: 'init', shardsTotal: 10 });
    expect(Number(running.percent)).toBeLessThan(100);
    expect(Number(running.rowsPerSec)).toBeGreaterThan(0);

    const second = await start(id);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(new RegExp(`refused: run ${runId} \\(pid \\d+ on .+\\) is running`));

    const stop = await call(serve.url, 'POST', `/api/runs/${runId}/stop`, { token });
    expect(stop.status).toBe(202);
    const ended = await waitFor(async () => {
      const r = await call(serve!.url, 'GET', `/api/runs/${runId}`);
      return r.body.status !== 'running' ? r.body : undefined;
    });
    expect(ended).toMatchObject({ status: 'cancelled' });
    // The process exits (130, as on Ctrl-C) just after it recorded its end.
    expect(await waitFor(async () => (await call(serve!.url, 'GET', `/api/runs/${runId}`)).body.exitCode ?? undefined)).toBe(130);
    expect(String(ended.errorText)).toMatch(/cancelled after \d+\/10 shards/);
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM dst');
    expect(Number(n)).toBeLessThan(rows);
    expect(await env.taskStatus(id)).toBe('3');
    expect((await call(serve.url, 'POST', `/api/runs/${runId}/stop`, { token })).body.error).toBe(`run ${runId} is not running (status cancelled)`);

    const history = await call(serve.url, 'GET', `/api/tasks/${id}/runs`);
    expect((history.body as unknown as { id: number; status: string }[]).map((r) => [r.id, r.status])).toEqual([[runId + 1, 'refused'], [runId, 'cancelled']]);
  });

  test('a stop reaches a run the CLI started on this host (its lease is alive): it ends cancelled', async () => {
    const id = await copyTask(60_000, 6000);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const cliRun = env.spawnRun(id, [], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const run = await waitFor(async () => {
      const r = await env.lastRun(id);
      return r?.status === 'running' && Number(r.rows_read) > 0 ? r : undefined;
    });
    const stop = await call(serve.url, 'POST', `/api/runs/${run.id}/stop`, { token });
    expect(stop).toMatchObject({ status: 202, body: { runId: Number(run.id), pid: cliRun.child.pid, stopping: true } });
    expect(await cliRun.exited).toBe(130);
    expect(await env.lastRun(id)).toMatchObject({ id: run.id, status: 'cancelled' });
  });

  test('/metrics after a run: counters match the run; /healthz answers', async () => {
    const rows = 5000;
    const id = await copyTask(rows);
    serve = await startServe(env, ['--no-scheduler'], { GOSHIFT_TEST_SERVE_TOKEN: token });
    const runId = Number((await start(id)).body.runId);
    const done = await waitFor(async () => {
      const r = await call(serve!.url, 'GET', `/api/runs/${runId}`);
      return r.body.status !== 'running' ? r.body : undefined;
    });
    expect(done).toMatchObject({ status: 'success', percent: 100, rowsRead: rows, rowsWritten: rows, shardsDone: 10, shardsTotal: 10 });
    const run = (await env.lastRun(id))!;

    const res = await fetch(`${serve.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (metric: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
      if (!line) throw new Error(`${metric} not in /metrics:\n${text}`);
      return Number(line.slice(metric.length + 1));
    };
    expect(value(`goshift_rows_read_total{task_id="${id}"}`)).toBe(rows);
    expect(value(`goshift_rows_written_total{task_id="${id}"}`)).toBe(rows);
    expect(value(`goshift_rows_failed_total{task_id="${id}"}`)).toBe(0);
    expect(value(`goshift_bytes_read_total{task_id="${id}"}`)).toBe(Number(run.bytes));
    expect(Number(run.bytes)).toBeGreaterThan(0);
    expect(value(`goshift_runs{task_id="${id}",status="success"}`)).toBe(1);
    expect(value(`goshift_run_duration_seconds_count{task_id="${id}",status="success"}`)).toBe(1);
    expect(text).toMatch(/# TYPE goshift_rows_read_total counter/);

    const health = await call(serve.url, 'GET', '/healthz');
    expect(health).toEqual({ status: 200, body: { status: 'ok', metaDb: 'ok' } });
    await env.admin.query(`DROP TABLE \`${env.metaDb}\`.goshift_run`);
    const sick = await call(serve.url, 'GET', '/healthz');
    expect(sick.status).toBe(503);
    expect(sick.body.metaDb).toMatch(/metadata database \(task_meta\) does not answer: .*goshift_run/);
  });
});
