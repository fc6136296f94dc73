import { GoshiftTestEnv } from '../support/goshift-env';

/** The one line goshift prints for a failed command. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('goshift: '));
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('bad input: one clear line, non-zero exit, failed run recorded, task never left running', () => {
  let env: GoshiftTestEnv;
  const secret = 'N0t-The-Right-Pw';
  const user = `gsu_${Date.now() % 1e8}`;

  beforeAll(async () => {
    env = await new GoshiftTestEnv().setup();
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(10))');
    await env.sql("INSERT INTO src VALUES (1, 'a'), (2, 'b')");
    await env.sql('CREATE TABLE dst LIKE src');
    await env.admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'the-right-one'`);
    await env.admin.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'the-right-one'`);
    env.writeConfig({
      from: { mysql: { [`down_${env.dataDb}`]: env.mysqlEntry({ port: 1 }), [`badpw_${env.dataDb}`]: env.mysqlEntry({ user, password: secret }) } },
    });
  });
  afterAll(async () => {
    await env.admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
    await env.admin.query(`DROP USER IF EXISTS '${user}'@'localhost'`);
    await env.cleanup();
  });

  const cases: [string, Parameters<GoshiftTestEnv['addTask']>[0], RegExp][] = [
    ['offline task', { from_table: 'src', to_table: 'dst', online_status: 0 }, /task \d+ is offline \(online_status=0\).*--force/],
    ['params not JSON', { from_table: 'src', to_table: 'dst', params: '{"worker_num": 4,' }, /task \d+: params is not valid JSON/],
    ['params with a wrong type', { from_table: 'src', to_table: 'dst', params: { read_batch: 'abc' } }, /params\.read_batch must be a positive integer, got "abc"/],
    ['params with an unknown key', { from_table: 'src', to_table: 'dst', params: { wroker_num: 4 } }, /params\.wroker_num is not a known key/],
    ['unknown write_mode', { from_table: 'src', to_table: 'dst', params: { write_mode: 'merge-ish' } }, /params\.write_mode must be one of upsert, insert, ignore, replace/],
    ['unknown store type', { from_table: 'src', to_table: 'dst', from_db_type: 'oracle' }, /unknown store type "oracle" in task \d+ from_db_type \(known: .*mysql/],
    ['missing config entry', { from_table: 'src', to_table: 'dst', from_app: 'nowhere' }, /has no entry from\.mysql\.nowhere_gsd_\w+/],
    ['unreachable host', { from_table: 'src', to_table: 'dst', from_app: 'down' }, /cannot connect to mysql at 127\.0\.0\.1:1 \(from\.mysql\.down_gsd_\w+, task \d+\): connection refused: nothing listens there/],
    ['wrong password', { from_table: 'src', to_table: 'dst', from_app: 'badpw' }, /cannot connect to mysql at 127\.0\.0\.1:3306 \(from\.mysql\.badpw_gsd_\w+, task \d+\): access denied for user "gsu_\d+"/],
    ['missing source table', { from_table: 'nosuch', to_table: 'dst' }, /source table gsd_\w+\.nosuch does not exist/],
    ['missing target table', { from_table: 'src', to_table: 'nosuch' }, /target table gsd_\w+\.nosuch does not exist/],
    ['source column in the mapping that does not exist', { from_table: 'src', to_table: 'dst', params: { column_map: { nope: 'v' } } }, /params\.column_map column "nope" not found in source table gsd_\w+\.src/],
    ['target column in the mapping that does not exist', { from_table: 'src', to_table: 'dst', params: { column_map: { v: 'nope' } } }, /target column "nope" not found in gsd_\w+\.dst/],
    ['a table name that tries to inject SQL', { from_table: 'src`; DROP TABLE dst; --', to_table: 'dst' }, /is not a valid MySQL identifier/],
    ['a where naming a column that does not exist', { from_table: 'src', to_table: 'dst', params: { where: 'nope > 1' } }, /task \d+: params\.where "nope > 1" is refused by mysql at 127\.0\.0\.1:3306 \(from\.mysql\.\w+\): Unknown column 'nope' in 'WHERE'/],
    ['a where that is not SQL', { from_table: 'src', to_table: 'dst', params: { where: 'id >' } }, /task \d+: params\.where "id >" is refused by mysql at 127\.0\.0\.1:3306 \(from\.mysql\.\w+\): You have an error in your SQL syntax/],
  ];

  test.each(cases)('%s', async (_name, row, message) => {
    const id = await env.addTask(row);
    const res = await env.run(id);
    expect(res.code).not.toBe(0);
    expect(errorLine(res.stderr)).toMatch(message);
    expect(res.stderr + res.stdout).not.toContain(secret);
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed', error_text: expect.stringMatching(message) });
    // One rule: a run refused before it started leaves task_status as it was, and says so.
    expect(await env.taskStatus(id)).toBe('1');
    expect(errorLine(res.stderr)).toMatch(/\(refused before it started: nothing was copied, task status left at 1\)$/);
    expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '0' }]);
    expect(await env.sql('SELECT COUNT(*) AS n FROM src')).toEqual([{ n: '2' }]);
  });

  test('unknown task id', async () => {
    const res = await env.run(987654);
    expect(res.code).toBe(4);
    expect(errorLine(res.stderr)).toMatch(/task 987654 not found in task_def_sync_manager/);
    // No run record for a task that does not exist.
    expect(await env.lastRun(987654)).toBeUndefined();
  });

  async function fakeRunningRun(taskId: number, host: string, pid: number): Promise<number> {
    const [res] = await env.admin.query(
      `INSERT INTO \`${env.metaDb}\`.goshift_run (task_id, mode, cmd, status, started_at, heartbeat_at, host, pid) VALUES (?, 'init', 'run', 'running', NOW(3), NOW(3), ?, ?)`,
      [taskId, host, pid],
    );
    return (res as { insertId: number }).insertId;
  }

  test('a task that is already running is refused (unless --force); a dead run is closed as failed', async () => {
    const os = await import('node:os');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst' });
    await fakeRunningRun(id, os.hostname(), process.pid);
    const refused = await env.run(id);
    expect(refused.code).toBe(4);
    expect(errorLine(refused.stderr)).toMatch(new RegExp(`task ${id} is already running: run \\d+ \\(pid ${process.pid} on ${os.hostname()}.*--force`));
    expect(await env.lastRun(id)).toMatchObject({ status: 'refused' });
    expect(await env.taskStatus(id)).toBe('1');
    expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '0' }]);
    expect((await env.run(id, ['--force'])).code).toBe(0);
    await env.sql('DELETE FROM dst');

    const crashed = await env.addTask({ from_table: 'src', to_table: 'dst' });
    let deadPid = 4_000_000;
    while ((() => { try { process.kill(deadPid, 0); return true; } catch { return false; } })()) deadPid++;
    const stale = await fakeRunningRun(crashed, os.hostname(), deadPid);
    const res = await env.run(crashed);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`run ${stale} died: process ${deadPid} on .* is gone; recorded it as failed`));
    const [rows] = await env.admin.query(`SELECT status, error_text FROM \`${env.metaDb}\`.goshift_run WHERE id = ?`, [stale]);
    expect((rows as Record<string, string>[])[0]).toMatchObject({ status: 'failed', error_text: expect.stringContaining('died') });
    await env.sql('DELETE FROM dst');
  });

  test('an offline task runs with --force', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', online_status: 0 });
    expect((await env.run(id, ['--force'])).code).toBe(0);
    expect(await env.taskStatus(id)).toBe('4');
    await env.sql('DELETE FROM dst');
  });

  test.each([
    [['-e', 'test'], 2, /run needs a task id/],
    [['-e', 'test', '-id', 'abc'], 2, /task id must be a positive integer, got "abc"/],
    [['-e', 'nope', '-id', '1'], 3, /config for environment "nope" not found/],
    [['-e', 'test', '-id', '1', '-mode', 'sideways'], 2, /Invalid values:.*mode/s],
  ] as [string[], number, RegExp][])('command line %j', async (args, code, message) => {
    const res = await env.cli(args.includes('nope') ? args : ['-c', env.configDir, ...args]);
    expect(res.code).toBe(code);
    expect(errorLine(res.stderr)).toMatch(message);
  });

  test('wrong metadata password fails with one line naming task_meta', async () => {
    const bad = new GoshiftTestEnv();
    bad.writeConfig();
    const fs = await import('node:fs');
    const path = await import('node:path');
    const file = path.join(bad.configDir, 'test.json');
    const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
    conf.task_meta.user = user;
    conf.task_meta.password = secret;
    fs.writeFileSync(file, JSON.stringify(conf));
    const denied = await bad.cli(['-c', bad.configDir, '-e', 'test', '-id', '1']);
    expect(denied.code).toBe(3);
    expect(errorLine(denied.stderr)).toMatch(/cannot reach metadata database task_meta at 127\.0\.0\.1:3306 as gsu_\d+: Access denied/);
    expect(denied.stderr).not.toContain(secret);
    fs.rmSync(bad.configDir, { recursive: true, force: true });
  });

  test.each([
    ['queue.hots', { hots: '127.0.0.1' }, /^goshift: config \S+test\.json: queue\.hots: unknown key \(did you mean "host"\?\); expected one of host, port, db/],
    ['queue.redis', { redis: { host: '127.0.0.1' }, name: 'q' }, /^goshift: config \S+test\.json: queue\.redis: unknown key; expected one of host, port/],
  ])('a config with %s fails before anything runs, in one line without JavaScript jargon', async (_what, queue, message) => {
    const bad = new GoshiftTestEnv();
    bad.writeConfig();
    const fs = await import('node:fs');
    const path = await import('node:path');
    const file = path.join(bad.configDir, 'test.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), queue }));
    const res = await bad.cli(['-c', bad.configDir, '-e', 'test', '-id', '1']);
    fs.rmSync(bad.configDir, { recursive: true, force: true });
    expect(res.code).not.toBe(0);
    expect(errorLine(res.stderr)).toMatch(message);
    expect(res.stderr).not.toMatch(/Cannot read properties|undefined/);
  });
});
