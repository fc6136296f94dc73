import fs from 'node:fs';
import path from 'node:path';
import { CliResult, GoshiftTestEnv } from '../support/goshift-env';

/** The one line goshift prints for a failed command. */
function errorLine(res: CliResult): string {
  const lines = res.stderr.split('\n').filter((l) => l.startsWith('goshift: '));
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('goshift task add|show|edit|enable|disable|rm|export|import: tasks without SQL', () => {
  let env: GoshiftTestEnv;
  const task = (args: string[]) => env.cli(['task', ...args, '-c', env.configDir, '-e', 'test']);
  const sides = (): string[] => [
    '--from-type', 'mysql', '--from-app', env.app, '--from-db', env.dataDb, '--from-table', 'src',
    '--to-type', 'mysql', '--to-app', env.app, '--to-db', env.dataDb, '--to-table', 'dst',
  ];
  const taskCount = async (): Promise<number> => {
    const [rows] = await env.admin.query(`SELECT COUNT(*) AS n FROM \`${env.metaDb}\`.task_def_sync_manager`);
    return Number((rows as { n: string }[])[0].n);
  };

  beforeAll(async () => {
    env = await new GoshiftTestEnv().setup();
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(20))');
    await env.sql("INSERT INTO src VALUES (1, 'a'), (2, 'b'), (3, 'it''s \\\\ \"q\"')");
    await env.sql('CREATE TABLE dst LIKE src');
  });
  afterAll(async () => {
    await env.cleanup();
  });

  test('add -> show -> edit -> disable/enable -> export -> rm -> import: the round trip is equal', async () => {
    // Quotes and backslashes travel as bound values, whatever the server's sql_mode.
    const desc = `it's a "test" \\ with ANSI "quotes"`;
    const added = await task(['add', ...sides(), '--params', '{"pk":{"src":"id","dest":"id"},"worker_num":2}', '--desc', desc, '--owner', 'ops']);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\n$/) });
    const id = Number(added.stdout.trim());

    const shown = await task(['show', String(id)]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`task ${id}: ${desc}`);
    expect(shown.stdout).toContain(`(config from.mysql.${env.app}_${env.dataDb})`);
    expect(shown.stdout).toMatch(/online +yes/);

    expect((await task(['edit', String(id), '--params', '{"pk":{"src":"id","dest":"id"},"worker_num":3}', '--to-table', 'dst'])).code).toBe(0);
    const json = JSON.parse((await task(['show', String(id), '--json'])).stdout);
    expect(json).toMatchObject({
      id, from_db_type: 'mysql', from_app: env.app, from_db: env.dataDb, from_table: 'src', to_table: 'dst',
      params: { pk: { src: 'id', dest: 'id' }, worker_num: 3 }, online_status: 1, task_desc: desc, owner: 'ops', task_status: '1',
    });

    expect((await task(['disable', String(id)])).code).toBe(0);
    expect(JSON.parse((await task(['show', String(id), '--json'])).stdout).online_status).toBe(0);
    const offline = await env.run(id);
    expect(errorLine(offline)).toMatch(/is offline/);
    expect((await task(['enable', String(id)])).code).toBe(0);
    expect(JSON.parse((await task(['show', String(id), '--json'])).stdout).online_status).toBe(1);

    const dir = path.join(env.configDir, 'tasks');
    expect((await task(['export', '--out', dir])).code).toBe(0);
    const file = path.join(dir, `task-${id}.json`);
    const exported = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(exported)).toEqual({
      id, from_db_type: 'mysql', from_app: env.app, from_db: env.dataDb, from_table: 'src',
      to_db_type: 'mysql', to_app: env.app, to_db: env.dataDb, to_table: 'dst',
      params: { pk: { src: 'id', dest: 'id' }, worker_num: 3 }, online_status: 1, task_desc: desc, owner: 'ops',
    });

    const refused = await task(['rm', String(id)]);
    expect(refused.code).not.toBe(0);
    expect(errorLine(refused)).toMatch(/pass --yes to confirm/);
    expect((await task(['rm', String(id), '--yes'])).code).toBe(0);
    expect(errorLine(await task(['show', String(id)]))).toMatch(new RegExp(`task ${id} not found`));

    const imported = await task(['import', dir]);
    expect(imported).toMatchObject({ code: 0, stdout: `created ${id}\n` });
    const again = path.join(env.configDir, 'tasks-again');
    expect((await task(['export', '-id', String(id), '--out', again])).code).toBe(0);
    expect(fs.readFileSync(path.join(again, `task-${id}.json`), 'utf8')).toBe(exported);
    // Importing the same files again updates in place.
    expect(await task(['import', file])).toMatchObject({ code: 0, stdout: `updated ${id}\n` });

    await task(['rm', String(id), '--yes']);
  });

  test('a task added by the command runs', async () => {
    const added = await task(['add', ...sides(), '--params', '{"pk":{"src":"id","dest":"id"},"worker_num":2,"read_batch":2}']);
    expect(added.code).toBe(0);
    const id = Number(added.stdout.trim());
    const res = await env.run(id);
    expect(res.code).toBe(0);
    expect(await env.sql('SELECT * FROM dst ORDER BY id')).toEqual(await env.sql('SELECT * FROM src ORDER BY id'));
    expect(await env.taskStatus(id)).toBe('4');
    await task(['rm', String(id), '--yes']);
  });

  const badAdds: [string, string[], RegExp][] = [
    ['unknown store type, with a suggestion', ['--from-type', 'mysqll'], /unknown store type "mysqll" in task add from_db_type \(did you mean "mysql"\?\)/],
    ['unknown params key, with a suggestion', ['--params', '{"wroker_num":4}'], /task add: params\.wroker_num is not a known key \(did you mean "worker_num"\?\)/],
    ['params with a wrong value', ['--params', '{"read_batch":"abc"}'], /task add: params\.read_batch must be a positive integer, got "abc"/],
    ['malformed params JSON, with the position', ['--params', '{"worker_num": 4,'], /task add: params is not valid JSON \(line 1 column 18: /],
    ['missing config entry', ['--to-app', 'nowhere'], /has no entry to\.mysql\.nowhere_gsd_\w+ \(entries under to\.mysql: t_gsd_\w+\)/],
    ['a column too long for the table', ['--from-db', 'x'.repeat(21)], /task add: from_db is longer than the column allows \(20 characters\)/],
  ];

  test.each(badAdds)('task add refuses %s: one line, non-zero exit, nothing inserted', async (_name, flags, message) => {
    const before = await taskCount();
    const res = await task(['add', ...sides(), ...flags]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(errorLine(res)).toMatch(message);
    expect(await taskCount()).toBe(before);
  });

  test('edit is checked as a whole and changes nothing when refused; unknown ids fail with one line', async () => {
    const id = Number((await task(['add', ...sides()])).stdout.trim());
    const bad = await task(['edit', String(id), '--to-type', 'reddis']);
    expect(errorLine(bad)).toMatch(new RegExp(`unknown store type "reddis" in task ${id} to_db_type \\(did you mean "redis"\\?\\)`));
    expect(JSON.parse((await task(['show', String(id), '--json'])).stdout).to_db_type).toBe('mysql');
    for (const action of [['show'], ['edit', '--desc', 'x'], ['enable'], ['disable'], ['rm', '--yes'], ['export']]) {
      const res = await task([action[0], '987654', ...action.slice(1)]);
      expect(res.code).toBe(4);
      expect(errorLine(res)).toMatch(/task 987654 not found in task_def_sync_manager/);
    }
    await task(['rm', String(id), '--yes']);
  });

  test('add --file: a JSON object with column names as keys, flags win; an id or a YAML file is refused', async () => {
    const file = path.join(env.configDir, 'new-task.json');
    const def = { from_db_type: 'mysql', from_app: env.app, from_db: env.dataDb, from_table: 'src', to_db_type: 'mysql', to_app: env.app, to_db: env.dataDb, to_table: 'dst', params: { worker_num: 2 }, task_desc: 'from a file' };
    fs.writeFileSync(file, JSON.stringify(def));
    const added = await task(['add', '--file', file, '--owner', 'flags']);
    expect(added.code).toBe(0);
    const id = Number(added.stdout.trim());
    expect(JSON.parse((await task(['show', String(id), '--json'])).stdout)).toMatchObject({ ...def, owner: 'flags', online_status: 1 });
    fs.writeFileSync(file, JSON.stringify({ ...def, id: 77 }));
    expect(errorLine(await task(['add', '--file', file]))).toMatch(/new-task\.json: task add gives new tasks their id; drop "id", or use `goshift task import`/);
    expect(errorLine(await task(['add', '--file', 'task.yaml']))).toMatch(/task\.yaml: YAML task files are not supported/);
    const listed = JSON.parse((await task(['export'])).stdout) as { id: number }[];
    expect(listed.map((t) => t.id)).toContain(id);
    await task(['rm', String(id), '--yes']);
  });

  test('rm refuses while a run of the task is running', async () => {
    const id = Number((await task(['add', ...sides()])).stdout.trim());
    await env.admin.query(
      `INSERT INTO \`${env.metaDb}\`.goshift_run (task_id, mode, cmd, status, started_at, heartbeat_at, host, pid) VALUES (?, 'init', 'run', 'running', NOW(3), NOW(3), 'elsewhere', 4242)`,
      [id],
    );
    const res = await task(['rm', String(id), '--yes']);
    expect(res.code).toBe(4);
    expect(errorLine(res)).toMatch(new RegExp(`task ${id} is running \\(run \\d+, pid 4242 on elsewhere\\): stop it before removing the task`));
    expect(JSON.parse((await task(['show', String(id), '--json'])).stdout).id).toBe(id);
  });

  test('import is all or nothing: one bad file and nothing changes', async () => {
    const dir = fs.mkdtempSync(path.join(env.configDir, 'imp-'));
    const good = { from_db_type: 'mysql', from_app: env.app, from_db: env.dataDb, from_table: 'src', to_db_type: 'mysql', to_app: env.app, to_db: env.dataDb, to_table: 'dst' };
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ ...good, id: 9001 }));
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ ...good, params: { wroker_num: 3 } }));
    const before = await taskCount();
    const res = await task(['import', dir]);
    expect(res.code).toBe(4);
    expect(errorLine(res)).toMatch(/b\.json: params\.wroker_num is not a known key \(did you mean "worker_num"\?\)/);
    expect(await taskCount()).toBe(before);

    fs.writeFileSync(path.join(dir, 'b.json'), '{"from_db_type": "mysql",\n  "to_table": dst}');
    expect(errorLine(await task(['import', dir]))).toMatch(/b\.json: not valid JSON at line 2 column 15/);
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ ...good, task_stauts: '4' }));
    expect(errorLine(await task(['import', dir]))).toMatch(/b\.json: "task_stauts" is not a task column/);
    expect(await taskCount()).toBe(before);

    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify([{ ...good, task_desc: 'new' }]));
    const ok = await task(['import', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^created 9001\ncreated \d+\n$/);
    expect(await taskCount()).toBe(before + 2);
  });
});
