import fs from 'node:fs';
import path from 'node:path';
import { GoshiftTestEnv } from '../support/goshift-env';

/** The one line goshift prints for a failed command. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('goshift: '));
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('task rows, params and config files that used to crash, leak or pass silently', () => {
  let env: GoshiftTestEnv;

  beforeAll(async () => {
    env = await new GoshiftTestEnv().setup();
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, `a.b` varchar(10))');
    await env.sql("INSERT INTO src VALUES (1, 'one'), (2, 'two')");
    await env.sql('CREATE TABLE dst (id int PRIMARY KEY, `x.y` varchar(10))');
    // Tables created by goshift itself before NOT NULL: the columns below may hold NULL.
    for (const column of ['from_db_type varchar(50)', 'to_db_type varchar(20)', 'from_app varchar(50)', 'from_table varchar(255)', 'to_db varchar(20)']) {
      await env.admin.query(`ALTER TABLE \`${env.metaDb}\`.task_def_sync_manager MODIFY ${column} NULL`);
    }
  });
  afterAll(async () => {
    await env.cleanup();
  });
  afterEach(async () => {
    await env.sql('DELETE FROM dst');
    env.writeConfig();
  });

  test.each(['from_db_type', 'to_db_type', 'from_app', 'from_table', 'to_db'])('a NULL %s is one line naming the task and the column, exit 4', async (column) => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst' });
    await env.admin.query(`UPDATE \`${env.metaDb}\`.task_def_sync_manager SET ${column} = NULL WHERE id = ?`, [id]);
    const res = await env.run(id);
    expect(res.code).toBe(4);
    expect(errorLine(res.stderr)).toMatch(new RegExp(`task ${id}: column ${column} is NULL in task_def_sync_manager`));
    expect(res.stderr).not.toMatch(/Cannot read properties/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed', error_text: expect.stringContaining(`column ${column} is NULL`) });
    expect(await env.taskStatus(id)).not.toBe('2');
  });

  test('params.pk given as a string: the message speaks params, exit 4', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pk: 'id' } });
    const res = await env.run(id);
    expect(res.code).toBe(4);
    expect(errorLine(res.stderr)).toBe(`goshift: task ${id}: params.pk must be an object {"src": ..., "dest": ...}, got "id" (refused before it started: nothing was copied, task status left at 1)`);
  });

  test('column_map keys may contain dots (a column named a.b is legal in MySQL)', async () => {
    for (const direct of [true, false]) {
      const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { column_map: { 'a.b': 'x.y' }, direct_copy: direct } });
      const res = await env.run(id);
      expect(res.stderr).not.toMatch(/cannot find configuration param/);
      expect(res.code).toBe(0);
      expect(await env.sql('SELECT id, `x.y` AS v FROM dst ORDER BY id')).toEqual([{ id: 1, v: 'one' }, { id: 2, v: 'two' }]);
      await env.sql('DELETE FROM dst');
    }
  });

  test('a port that is not a number fails as a config error naming the file and the key', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst' });
    const file = path.join(env.configDir, 'test.json');
    const conf = JSON.parse(fs.readFileSync(file, 'utf8'));
    conf.task_meta.port = `${env.server.port}x`;
    fs.writeFileSync(file, JSON.stringify(conf, null, 2));
    const res = await env.run(id);
    expect(res.code).toBe(3);
    expect(errorLine(res.stderr)).toMatch(new RegExp(`config ${file.replace(/[.]/g, '\\.')} is invalid: task_meta\\.port: must be a port number 1-65535.*"${env.server.port}x"`));
    // A mysql entry the same way.
    env.writeConfig();
    const withEntry = JSON.parse(fs.readFileSync(file, 'utf8'));
    withEntry.from.mysql[`t_${env.dataDb}`].port = `${env.server.port}x`;
    fs.writeFileSync(file, JSON.stringify(withEntry, null, 2));
    const entry = await env.run(id);
    expect(entry.code).toBe(3);
    expect(errorLine(entry.stderr)).toMatch(new RegExp(`entry from\\.mysql\\.t_${env.dataDb} is invalid: port: must be a port number 1-65535`));
  });

  test('a config file that is not JSON shows the file, line and column, never its text (also at debug level)', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst' });
    const secret = 'Rel7Pa55-X';
    const file = path.join(env.configDir, 'test.json');
    const good = fs.readFileSync(file, 'utf8');
    const lines = good.split('\n');
    const at = lines.findIndex((l) => l.includes('"password"'));
    const col = lines[at].indexOf('""') + 1;
    lines[at] = lines[at].replace('""', secret);
    fs.writeFileSync(file, lines.join('\n'));
    for (const more of [[], ['--log-level', 'debug']]) {
      const res = await env.run(id, more);
      expect(res.code).toBe(3);
      expect(errorLine(res.stderr)).toMatch(new RegExp(`config ${file.replace(/[.]/g, '\\.')} is not valid JSON at line ${at + 1} column ${col}: unexpected character`));
      expect(res.stdout + res.stderr).not.toContain(secret);
      expect(res.stdout + res.stderr).not.toContain('Pa55');
    }
    const debugEnv = await env.cli(['-c', env.configDir, '-e', 'test', '-id', String(id)], { env: { GOSHIFT_DEBUG: '1' } });
    expect(debugEnv.code).toBe(3);
    expect(debugEnv.stdout + debugEnv.stderr).not.toContain('Pa55');
  });
});
