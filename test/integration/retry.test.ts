import mysql from 'mysql2/promise';
import { GoshiftTestEnv } from '../support/goshift-env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('transient errors', () => {
  let env: GoshiftTestEnv;
  beforeEach(async () => {
    env = await new GoshiftTestEnv().setup();
  });
  afterEach(async () => {
    await env.cleanup();
  });

  test('a shard whose connections are killed mid-run is retried, and the copy completes exactly', async () => {
    await env.sql('CREATE TABLE big (id int PRIMARY KEY, pad varchar(100))');
    await env.sql("INSERT INTO big SELECT seq, REPEAT('x', 100) FROM seq_1_to_40000");
    await env.sql('CREATE TABLE big2 LIKE big');
    const id = await env.addTask({ from_table: 'big', to_table: 'big2', params: { worker_num: 2, read_batch: 100, shard_rows: 100, write_batch: 10, direct_copy: false } });
    const { stderr, exited } = env.spawnRun(id);

    const [[{ me }]] = (await env.admin.query('SELECT CONNECTION_ID() AS me')) as unknown as [{ me: number }[]];
    // Kill every connection goshift has on the data schema, in rounds 100 ms apart, until a shard
    // reports a retry (a killed idle pooled connection is replaced silently; a busy one fails its shard).
    let killed = 0;
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    for (let i = 0; i < 600 && !exitedEarly && !/retrying/.test(stderr()); i++) {
      if ((await env.checkpointCount(id)) >= 5) {
        const [conns] = await env.admin.query('SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> ?', [env.dataDb, me]);
        for (const { id: conn } of conns as { id: number }[]) {
          await env.admin.query(`KILL CONNECTION ${Number(conn)}`).catch(() => undefined);
          killed++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const code = await exited;

    expect(killed).toBeGreaterThan(0);
    expect(stderr()).toMatch(/retrying from its last saved position \(attempt 2\)/);
    expect(code).toBe(0);
    const [{ n }] = await env.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM big2');
    expect(n).toBe('40000');
    const sums = await env.sql<{ Checksum: string }[]>('CHECKSUM TABLE big, big2');
    expect(sums[1].Checksum).toBe(sums[0].Checksum);
    // Counters equal what the target holds: a retried shard's rows after its last position are not counted twice.
    expect(await env.lastRun(id)).toMatchObject({ status: 'success', shards_done: 400, rows_written: '40000' });
  });

  test('a table without a key: a failed write gives back the reader\'s streaming connection, so the retry can read', async () => {
    // The source has no key (one streamed pass holding its connection); a thread's reader pool holds
    // one connection (worker_num 1). The target is locked, the blocked statement is interrupted (a
    // transient failure), and the retry must get that connection back instead of waiting forever.
    await env.sql('CREATE TABLE nokey (id int NOT NULL, pad varchar(100))');
    await env.sql("INSERT INTO nokey SELECT seq, REPEAT('y', 100) FROM seq_1_to_20000");
    await env.sql('CREATE TABLE keyed (id int PRIMARY KEY, pad varchar(100))');
    const id = await env.addTask({ from_table: 'nokey', to_table: 'keyed', params: { worker_num: 1, read_batch: 1000, direct_copy: false } });
    const locker = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: env.dataDb });
    try {
      await locker.query('LOCK TABLES keyed WRITE');
      const run = env.spawnRun(id);
      let interrupted = false;
      for (let i = 0; i < 600 && !interrupted; i++) {
        // The writer's first statement on the target (its lookup of the batch's keys, or a write) waits on the lock.
        const [blocked] = await env.admin.query("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE '%.`keyed`%'", [env.dataDb]);
        for (const { id: conn } of blocked as { id: number }[]) {
          await env.admin.query(`KILL QUERY ${Number(conn)}`);
          interrupted = true;
        }
        await sleep(50);
      }
      await locker.query('UNLOCK TABLES');
      expect(interrupted).toBe(true);
      const code = await Promise.race([run.exited, sleep(60_000).then(() => 'hung' as const)]);
      if (code === 'hung') run.child.kill('SIGKILL');
      expect(code).toBe(0);
      expect(run.stderr()).toMatch(/retrying/);
    } finally {
      await locker.end();
    }
    expect(await env.sql('SELECT COUNT(*) AS n, SUM(id) AS s FROM keyed')).toEqual([{ n: '20000', s: '200010000' }]);
  }, 120_000);
});
