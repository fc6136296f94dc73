/**
 * `-mode stream` for a mysql source, against a private MariaDB writing a row binlog: a snapshot
 * taken while writes run, then the binlog (inserts, updates, key changes, deletes) into a second
 * table, awkward types exact; kill -9 at random moments then a plain rerun (exact, 5 of 5); and the
 * bad states, each one line and a non-zero exit.
 */
import { GoshiftTestEnv } from '../support/goshift-env';
import { PrivateMariadb, startBinlogMariadb } from '../support/private-mariadb';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const columns = `id bigint NOT NULL PRIMARY KEY, big bigint unsigned NULL, d decimal(40,12) NULL, dt datetime(6) NULL,
  js json NULL, bits bit(12) NULL, e enum('a','b','c') NULL, st set('x','y','z') NULL, bin varbinary(64) NULL,
  txt varchar(200) CHARACTER SET utf8mb4 NULL, f double NULL`;

/** A row of awkward values for key `i` (version `v` changes every column). */
function row(i: number, v: number): unknown[] {
  return [i, `${18446744073709551615n - BigInt(i + v)}`, `${i}${v}12345678901234567.123456789012`, `2024-02-29 23:59:59.${String(100000 + i + v).slice(-6)}`,
    JSON.stringify({ i, v, s: 'é🚀', big: 12345678901234567890 }), i % 4096, ['a', 'b', 'c'][(i + v) % 3], 'x,z', Buffer.from([0, 255, i % 256, v % 256, 39, 92]),
    `行 ${i} v${v} 🚀 it's`, i / 3 + v];
}

/** Both tables in one comparable form. */
const dump = (env: GoshiftTestEnv, table: string) => env.sql(`SELECT id, big, d, dt, js, HEX(bits) AS bits, e, st, HEX(bin) AS bin, HEX(txt) AS txt, f FROM ${table} ORDER BY id`);

describe('mysql -mode stream (binlog)', () => {
  let server: PrivateMariadb;
  let env: GoshiftTestEnv;

  beforeAll(async () => {
    server = await startBinlogMariadb();
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

  async function tables(n: number): Promise<void> {
    await env.sql(`CREATE TABLE src (${columns}) DEFAULT CHARSET=utf8mb4`);
    await env.sql(`CREATE TABLE dst (${columns}) DEFAULT CHARSET=utf8mb4`);
    for (let i = 1; i <= n; i += 500) {
      const rows = Array.from({ length: Math.min(500, n - i + 1) }, (_, j) => row(i + j, 0));
      await env.sql(`INSERT INTO src VALUES ${rows.map(() => '(?,?,?,?,?,?,?,?,?,?,?)').join(',')}`, rows.flat());
    }
  }

  /** A random change: update (60%), insert (20%), delete (20%), some in multi-row transactions. */
  async function change(n: number, step: number): Promise<void> {
    const r = Math.random();
    const id = 1 + Math.floor(Math.random() * n * 1.2);
    if (r < 0.6) await env.sql('UPDATE src SET big=?, d=?, dt=?, js=?, bits=?, e=?, st=?, bin=?, txt=?, f=? WHERE id=?', [...row(id, step).slice(1), id]);
    else if (r < 0.8) await env.sql('REPLACE INTO src VALUES (?,?,?,?,?,?,?,?,?,?,?)', row(id, step));
    else if (r < 0.9) await env.sql('DELETE FROM src WHERE id=?', [id]);
    else {
      await env.sql('BEGIN');
      await env.sql('DELETE FROM src WHERE id BETWEEN ? AND ?', [id, id + 3]);
      await env.sql('UPDATE IGNORE src SET id = id + 100000 WHERE id = ?', [id + 5]);
      await env.sql('COMMIT');
    }
  }

  /** Wait until the target equals the source (or give up after `ms`). */
  async function converge(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    let a: unknown, b: unknown;
    while (Date.now() < deadline) {
      [a, b] = [await dump(env, 'src'), await dump(env, 'dst')];
      if (JSON.stringify(a) === JSON.stringify(b)) return;
      await sleep(300);
    }
    expect(b).toEqual(a);
  }

  test('snapshot while writes run, then inserts, updates, key changes and deletes: the target ends exact; SIGTERM stops it as stopped', async () => {
    await tables(3000);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 4, read_batch: 200, write_batch: 100 } });
    const run = env.spawnRun(id, ['-mode', 'stream']);
    let step = 1;
    const until = Date.now() + 6000;
    while (Date.now() < until) await change(3000, step++);
    await converge(30_000).catch((err) => {
      throw new Error(`${String(err).slice(0, 500)}\n${run.stderr().slice(-3000)}`);
    });
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect(run.stderr()).not.toMatch(/error/i);
    expect(code).toBe(0);
    expect((await env.lastRun(id))!.status).toBe('stopped');
    // A rerun continues after the saved position: changes made while it was down arrive.
    for (let i = 0; i < 200; i++) await change(3000, step++);
    const again = env.spawnRun(id, ['-mode', 'stream']);
    await converge(30_000);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  test('kill -9 at a random moment of the snapshot or the stream, then a plain rerun: exact, 5 of 5', async () => {
    await tables(4000);
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 2, read_batch: 100, write_batch: 50, checkpoint_seconds: 0 } });
    let step = 1;
    for (let round = 0; round < 5; round++) {
      const run = env.spawnRun(id, ['-mode', 'stream']);
      const until = Date.now() + 300 + Math.random() * 3000;
      while (Date.now() < until) await change(4000, step++);
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const last = env.spawnRun(id, ['-mode', 'stream']);
    for (let i = 0; i < 100; i++) await change(4000, step++);
    await converge(60_000);
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
  });
});
