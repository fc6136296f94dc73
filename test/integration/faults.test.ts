/**
 * Faults a run must ride through or end cleanly on: a server (metadata and data) stopped mid-run,
 * a signal while pre_sql runs, and a second Ctrl-C.
 */
import { GoshiftTestEnv } from '../support/goshift-env';
import { PrivateMariadb, startPrivateMariadb } from '../support/private-mariadb';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(env: GoshiftTestEnv, table: string): Promise<number> {
  const [{ n }] = await env.sql<{ n: string }[]>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(n);
}

describe('signals', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test('SIGTERM while pre_sql runs cancels the run before any row is copied; post_sql is not run', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY)');
    await env.sql('INSERT INTO src SELECT seq FROM seq_1_to_20000');
    await env.sql('CREATE TABLE dst LIKE src');
    await env.sql('CREATE TABLE marker (what varchar(20))');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pre_sql: ['SELECT SLEEP(2)'], post_sql: ["INSERT INTO marker VALUES ('post')"], direct_copy: false } });
    const { child, stderr, exited } = env.spawnRun(id);
    for (let i = 0; i < 100 && !/shards, worker_num/.test(stderr()); i++) await sleep(50);
    await sleep(300);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(6000);
    expect(await count(env, 'dst')).toBe(0);
    expect(await count(env, 'marker')).toBe(0);
    expect(await env.lastRun(id)).toMatchObject({ status: 'cancelled', rows_written: '0' });
    expect(await env.taskStatus(id)).toBe('3');
  });

  test('a second Ctrl-C exits at once and still records the run as cancelled', async () => {
    await env.sql('CREATE TABLE src (id int PRIMARY KEY)');
    await env.sql('INSERT INTO src SELECT seq FROM seq_1_to_1000');
    await env.sql('CREATE TABLE dst LIKE src');
    // pre_sql keeps the first cancel waiting (it stops between steps), so the second one must act.
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { pre_sql: ['SELECT SLEEP(8)'], direct_copy: false } });
    const { child, stderr, exited } = env.spawnRun(id);
    // The run logs its plan just before it marks the task running: wait for the mark itself, then
    // a little more, so the first Ctrl-C lands while pre_sql sleeps (not between two steps, where
    // it would end the run at once).
    for (let i = 0; i < 200 && (await env.taskStatus(id)) !== '2'; i++) await sleep(50);
    expect(await env.taskStatus(id)).toBe('2');
    await sleep(500);
    child.kill('SIGINT');
    await sleep(200);
    const sent = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - sent).toBeLessThan(4000);
    expect(stderr()).toMatch(/again: exiting now/);
    expect(await env.lastRun(id)).toMatchObject({ status: 'cancelled' });
    expect(await env.taskStatus(id)).toBe('3');
  });
});

describe('a MariaDB (metadata and data) stopped mid-run', () => {
  let server: PrivateMariadb;
  let env: GoshiftTestEnv;
  beforeAll(async () => {
    server = await startPrivateMariadb();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    env = await new GoshiftTestEnv(server).setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test.each([1, 5])('a %i s outage is ridden through: exact copy, run success, task 4', async (seconds) => {
    const total = 300_000;
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, pad char(20) NOT NULL)');
    await env.sql(`INSERT INTO src SELECT seq, seq, 'x' FROM seq_1_to_${total}`);
    await env.sql('CREATE TABLE dst LIKE src');
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, shard_rows: total / 4, read_batch: 1000, direct_copy: false } });
    const { stderr, exited } = env.spawnRun(id);
    let done = false;
    void exited.then(() => (done = true));
    while (!done && (await count(env, 'dst')) < total / 3) await sleep(50);
    expect(done).toBe(false);
    await env.admin.end().catch(() => undefined);
    await server.halt();
    await sleep(seconds * 1000);
    await server.start();
    const code = await exited;
    // Reconnect the test's own admin session (the server restarted).
    await env.reconnect();
    expect(stderr()).toMatch(/retrying from its last saved position/);
    expect(code).toBe(0);
    expect(await count(env, 'dst')).toBe(total);
    const [a] = await env.sql<{ Checksum: string }[]>('CHECKSUM TABLE src');
    const [b] = await env.sql<{ Checksum: string }[]>('CHECKSUM TABLE dst');
    expect(b.Checksum).toBe(a.Checksum);
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', rows_written: String(total) });
    expect(await env.taskStatus(id)).toBe('4');
  });
});
