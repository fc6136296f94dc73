/**
 * goshift never takes more than half of a MySQL server's max_connections: a private MariaDB runs
 * with `--max-connections=20`, so a task may hold 10 connections there (5 per side when source and
 * target are both mysql). Pools are sized by the shards one thread runs, not by worker_num.
 */
import type { Pool } from 'mysql2/promise';
import mysqlPlugin from '../../plugins/mysql';
import type { PluginContext } from '../../src/sdk';
import { TaskError } from '../../src/errors';
import { GoshiftTestEnv } from '../support/goshift-env';
import { pluginContext } from '../support/plugin-context';
import { PrivateMariadb, startPrivateMariadb } from '../support/private-mariadb';

/** The one line goshift prints for a failed command. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('goshift: '));
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe('a server with max_connections = 20', () => {
  let server: PrivateMariadb;
  let env: GoshiftTestEnv;

  beforeAll(async () => {
    server = await startPrivateMariadb(['--max-connections=20']);
    env = await new GoshiftTestEnv(server).setup();
    await env.sql('CREATE TABLE src (id int PRIMARY KEY, v varchar(20))');
    await env.sql('INSERT INTO src SELECT seq, CONCAT("v", seq) FROM seq_1_to_3000');
    await env.sql('CREATE TABLE dst LIKE src');
  });
  afterAll(async () => {
    await env?.cleanup();
    await server?.stop();
  });
  afterEach(async () => {
    await env.sql('DELETE FROM dst');
  });

  /** A context of the mysql plugin on the private server's data schema. */
  function context(params: Record<string, unknown>, more: { peerType?: string; shardsPerThread?: number } = {}): PluginContext {
    const ctx = pluginContext(mysqlPlugin, {
      connection: env.mysqlEntry(),
      task: { id: 77, from_app: 't', to_app: 't', from_db: env.dataDb, to_db: env.dataDb, from_table: 'src', to_table: 'dst', to_db_type: more.peerType ?? 'mysql' },
      params,
      peerType: more.peerType ?? 'mysql',
    });
    return { ...ctx, shardsPerThread: more.shardsPerThread ?? ctx.shardsPerThread };
  }

  test('worker_num above 256 is refused before anything connects, naming the key and the limit', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 100000 } });
    const res = await env.run(id);
    expect(res.code).toBe(4);
    expect(errorLine(res.stderr)).toBe(`goshift: task ${id}: params.worker_num must be at most 256, got 100000 (refused before it started: nothing was copied, task status left at 1)`);
    expect(await env.taskStatus(id)).not.toBe('2');
  });

  test('mysql -> mysql with worker_num 6 would need 12 of the 10 connections it may take: one line, exit 4', async () => {
    const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 6, direct_copy: false } });
    const res = await env.run(id);
    expect(res.code).toBe(4);
    expect(errorLine(res.stderr)).toBe(
      `goshift: task ${id}: params.worker_num 6 is too high for mysql at 127.0.0.1:${server.port} (from.mysql.t_${env.dataDb}): `
      + 'source and target are both mysql, so up to 12 connections, more than half of its max_connections 20 (10); '
      + 'set params.worker_num to 5 or less, or raise max_connections on the server (refused before it started: nothing was copied, task status left at 1)',
    );
    expect(await env.lastRun(id)).toMatchObject({ status: 'failed' });
    expect(await env.taskStatus(id)).not.toBe('2');
    expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '0' }]);
  });

  test('mysql -> mysql with worker_num 5 fits, copies everything and never hits "Too many connections"', async () => {
    const admin = await server.connect();
    try {
      await admin.query('FLUSH STATUS');
      const id = await env.addTask({ from_table: 'src', to_table: 'dst', params: { worker_num: 5, read_batch: 100, write_batch: 50, direct_copy: false } });
      // goshift's connections to the data schema, sampled while it runs: at most worker_num per
      // side (2 threads keep 3 and 2, not 3 each once both have run 3 shards at some moment).
      const dataConnections = `SELECT id FROM information_schema.processlist WHERE db = '${env.dataDb}'`;
      const [before] = (await admin.query(dataConnections)) as unknown as [{ id: number }[]];
      const ours = new Set(before.map((r) => String(r.id)));
      let most = 0;
      let running = true;
      const sampling = (async () => {
        while (running) {
          const [rows] = (await admin.query(dataConnections)) as unknown as [{ id: number }[]];
          most = Math.max(most, rows.filter((r) => !ours.has(String(r.id))).length);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const res = await env.run(id);
      running = false;
      await sampling;
      expect(most).toBeGreaterThan(0);
      expect(most).toBeLessThanOrEqual(10);
      expect(res.stderr).not.toMatch(/Too many connections|retry/i);
      expect(res.code).toBe(0);
      expect(await env.sql('SELECT COUNT(*) AS n FROM dst')).toEqual([{ n: '3000' }]);
      const [[{ Value: used }]] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Max_used_connections'")) as unknown as [[{ Value: string }]];
      const [[{ Value: refused }]] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Connection_errors_max_connections'")) as unknown as [[{ Value: string }]];
      expect(Number(refused)).toBe(0);
      expect(Number(used)).toBeLessThanOrEqual(20);
    } finally {
      await admin.end();
    }
  });

  test('one mysql side (the other store is not mysql) may use the whole half: worker_num 10 fits, 11 does not', async () => {
    await expect(mysqlPlugin.reader!.validate!(context({ worker_num: 10 }, { peerType: 'redis' }))).resolves.toBeUndefined();
    await expect(mysqlPlugin.reader!.validate!(context({ worker_num: 11 }, { peerType: 'redis' }))).rejects.toBeInstanceOf(TaskError);
    await expect(mysqlPlugin.reader!.validate!(context({ worker_num: 11 }, { peerType: 'redis' }))).rejects.toThrow(
      `task 77: params.worker_num 11 is too high for mysql at 127.0.0.1:${server.port} (from.mysql.t_${env.dataDb}): `
      + 'up to 11 connections, more than half of its max_connections 20 (10); set params.worker_num to 10 or less, or raise max_connections on the server',
    );
    await expect(mysqlPlugin.writer!.validate!(context({ worker_num: 11 }, { peerType: 'redis' }))).rejects.toThrow(/\(to\.mysql\.t_\w+\): up to 11 connections/);
  });

  test('session pools are sized by the shards one thread runs (shardsPerThread), not by worker_num', async () => {
    const ctx = context({ worker_num: 200, direct_copy: false }, { shardsPerThread: 3 });
    const limit = (session: unknown): number => ((session as { pool: Pool }).pool.pool as unknown as { config: { connectionLimit: number } }).config.connectionLimit;
    const reader = await mysqlPlugin.reader!.open(ctx);
    const writer = await mysqlPlugin.writer!.open(ctx);
    const direct = await mysqlPlugin.direct!.open(ctx, ctx);
    try {
      expect([limit(reader), limit(writer), limit(direct)]).toEqual([3, 3, 3]);
    } finally {
      await reader.close();
      await writer.close();
      await direct.close();
    }
  });
});
