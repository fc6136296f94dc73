/**
 * A batch lands whole and exact or not at all, and `rows_written` equals what the target holds:
 * a NULL for a NOT NULL column or a duplicate key in the middle of a batch must not leave the rows
 * before it in the target (LOAD DATA LOCAL turns both into warnings after the rows are in).
 */
import { GoshiftTestEnv } from '../support/goshift-env';

const total = 2000;
/** Batches of 500: rows 1..1500 land in three whole batches, row 1950 spoils the fourth. */
const badRow = 1950;

const streamed = { worker_num: 1, read_batch: 500, write_batch: 500, shard_rows: 1_000_000, retries: 0, direct_copy: false };

describe('a batch that cannot land exactly', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function count(table: string, where = '1'): Promise<number> {
    const [{ n }] = await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`);
    return Number(n);
  }

  test.each([
    ['insert with LOAD DATA', { write_mode: 'insert' }],
    ['replace with LOAD DATA', { write_mode: 'replace' }],
    ['ignore with LOAD DATA', { write_mode: 'ignore' }],
    ['ignore with INSERT IGNORE', { write_mode: 'ignore', load_data: false }],
    ['insert with INSERT', { write_mode: 'insert', load_data: false }],
    ['upsert', {}],
    ['upsert cut into several statements', { max_statement_bytes: 2000 }],
  ])('NULL into a NOT NULL column fails the run and leaves none of that batch: %s', async (_name, mode) => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, note varchar(20) NULL)');
    await env.sql(`INSERT INTO src SELECT seq, IF(seq = ${badRow}, NULL, CONCAT('n', seq)) FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst (id int PRIMARY KEY, note varchar(20) NOT NULL)');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...streamed, ...mode } });

    const res = await env.run(id);
    expect(res.code).toBe(7);
    expect(res.stderr).toMatch(/note/);
    expect(await count('dst', "note = ''")).toBe(0);
    expect(await count('dst')).toBe(1500);
    const run = await env.lastRun(id);
    expect(run).toMatchObject({ status: 'failed', rows_written: '1500' });
    expect(await env.taskStatus(id)).toBe('5');
  });

  test.each([
    ['LOAD DATA', {}],
    ['INSERT', { load_data: false }],
  ])('a duplicate key under write_mode insert leaves none of that batch (%s)', async (_name, mode) => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, note varchar(20) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('n', seq) FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    await env.sql(`INSERT INTO dst VALUES (${badRow}, 'already here')`);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...streamed, write_mode: 'insert', ...mode } });

    const res = await env.run(id);
    expect(res.code).toBe(7);
    expect(res.stderr).toContain(`Duplicate entry '${badRow}'`);
    expect(await count('dst')).toBe(1501);
    expect(await count('dst', 'id > 1500')).toBe(1);
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed', rows_written: '1500' });
  });

  test('ignore mode counts the rows it really inserted, not the duplicates it skipped', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, note varchar(20) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, CONCAT('n', seq) FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    await env.sql("INSERT INTO dst SELECT seq, 'kept' FROM seq_1_to_100");
    for (const loadData of [true, false]) {
      const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { ...streamed, write_mode: 'ignore', load_data: loadData } });
      expect((await env.run(id)).code).toBe(0);
      expect(await count('dst')).toBe(total);
      expect(await count('dst', "note = 'kept'")).toBe(100);
      expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_read: String(total), rows_written: loadData ? String(total - 100) : '0' });
    }
  });
});
