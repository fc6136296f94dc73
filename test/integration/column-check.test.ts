import { GoshiftTestEnv } from '../support/goshift-env';

/** The target's columns are checked against what the task copies before any data moves. */
describe('target columns checked before the copy', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
    await env.sql('CREATE TABLE s (id int PRIMARY KEY, a int NULL, b varchar(10) NULL, c date NULL)');
    await env.sql("INSERT INTO s SELECT seq, seq, 'x', NULL FROM seq_1_to_3000");
    await env.sql('CREATE TABLE d (id int PRIMARY KEY, a int NULL, c date NULL)');
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test.each([
    ['streamed', { direct_copy: false }, 'has no column "b" that the task copies from DATA.s; add it to the target, map it with params.column_map, or leave it out with params.columns'],
    ['copied inside the server', {}, 'has no column "b" that the task copies from DATA.s; add it to the target, map it with params.column_map, or leave it out with params.columns'],
    ['a renamed column', { column_map: { b: 'bee' } }, 'target column "bee" not found in DATA.d (columns: id, a, c)'],
  ])('%s: a missing target column refuses the run up front, nothing written, status kept', async (_what, params, said) => {
    const named = said.replace(/DATA/g, env.dataDb);
    const id = await env.addTask({ from_table: 's', to_table: 'd', params: { ...params, read_batch: 500 } });
    const res = await env.run(id);
    expect(res.code).toBe(4);
    const lines = res.stderr.trim().split('\n').filter((l) => l.startsWith('goshift:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`task ${id}: `);
    expect(lines[0]).toContain(named);
    expect(lines[0]).toContain('refused before it started');
    expect(await env.taskStatus(id)).toBe('1');
    expect(await env.sql('SELECT COUNT(*) AS n FROM d')).toEqual([{ n: '0' }]);
    // plan says the same, without running anything.
    const plan = await env.cli(['plan', '-c', env.configDir, '-e', 'test', '-id', String(id)]);
    expect(plan.code).toBe(4);
    expect(plan.stderr).toContain(named);
  });

  test.each([
    ['left out with params.columns', { columns: ['id', 'a', 'c'] }, 'SELECT id, a, c FROM s ORDER BY id'],
    ['mapped with params.column_map', { column_map: { b: 'c2' } }, null],
  ])('%s: the run copies', async (_what, params, sourceRows) => {
    if (sourceRows === null) {
      await env.sql('ALTER TABLE d ADD COLUMN c2 varchar(10) NULL');
    }
    const id = await env.addTask({ from_table: 's', to_table: 'd', params });
    const res = await env.run(id);
    expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
    if (sourceRows) expect(await env.sql('SELECT id, a, c FROM d ORDER BY id')).toEqual(await env.sql(sourceRows));
    else expect(await env.sql('SELECT id, a, c, c2 FROM d ORDER BY id')).toEqual(await env.sql('SELECT id, a, c, b AS c2 FROM s ORDER BY id'));
  });
});
