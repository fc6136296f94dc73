/**
 * The setting of the cross-server benchmarks (mysql-cross, distributed): the `rows`-row orders
 * table loaded on the shared MariaDB (3306), its checksum, and a second, private MariaDB on a free
 * loopback port (its own datadir) with a buffer pool that holds the copied table, as a production
 * target's would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/paths';
import { PrivateMariadb, startPrivateMariadb } from '../test/support/private-mariadb';
import { timeCommand } from './measure';
import { checksum, ddl, loadOrders } from './mysql';

/** Schema of the source table on the shared MariaDB. */
export const SRC = 'goshift_bench_src';

/** Schema of the copies on the private target server. */
export const DST = 'goshift_bench_dst';

/** What a cross-server bench runs against; `close()` stops the private server and removes what the bench made. */
export interface CrossServer {
  /** Connection to the shared MariaDB (source and metadata). */
  admin: mysql.Connection;
  /** CHECKSUM TABLE of the source: every copy must match it. */
  expected: string;
  server: PrivateMariadb;
  /** A fresh directory for the bench's goshift config. */
  configDir: string;
  /** Process id of the shared (source) MariaDB, from its pid file; undefined when unreadable. */
  sourcePid: number | undefined;
  /** Stop the private server, drop `metaDb` on the shared one, close `admin`, remove `configDir`. */
  close(metaDb: string): Promise<void>;
}

/** Load the source table (when its size differs) and start the private target server. */
export async function openCrossServer(rows: number): Promise<CrossServer> {
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root', bigNumberStrings: true, supportBigNumbers: true });
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${SRC} DEFAULT CHARACTER SET utf8mb4`);
  await loadOrders(admin, SRC, rows);
  const expected = await checksum(admin, SRC);
  const server = await startPrivateMariadb(['--innodb-buffer-pool-size=512M', '--innodb-log-file-size=256M']);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-bench-'));
  const [pidRows] = await admin.query('SELECT @@pid_file AS f');
  const pidFile = (pidRows as { f: string }[])[0].f;
  let sourcePid: number | undefined;
  try {
    sourcePid = Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
  } catch {
    sourcePid = undefined;
  }
  return {
    admin, expected, server, configDir, sourcePid,
    async close(metaDb: string): Promise<void> {
      await server.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${metaDb}`).catch(() => undefined);
      await admin.end();
      fs.rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** The load average, printed with every figure (timings are only comparable inside one run). */
export function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

/**
 * Wait (at most 60 s) until the target server has written out the dirty pages earlier copies and
 * resets left in its buffer pool, so a copy never pays for the one before it: without this the
 * target server's CPU for the same copy varied from 3.5 to 5.4 s, depending on what ran just before.
 */
export async function settleTarget(target: mysql.Connection): Promise<void> {
  const [[{ pct }]] = (await target.query('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct')) as unknown as [[{ pct: number }]];
  await target.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    for (let i = 0; i < 600; i++) {
      const [rows] = await target.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
      if (Number((rows as { Value: string }[])[0].Value) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await target.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(pct)}`);
  }
}

/** Make `DST` on the private server empty, with the empty orders table when `withTable`. */
export async function resetTarget(target: mysql.Connection, withTable: boolean): Promise<void> {
  await target.query(`DROP DATABASE IF EXISTS ${DST}`);
  await target.query(`CREATE DATABASE ${DST} DEFAULT CHARACTER SET utf8mb4`);
  if (withTable) await target.query(ddl(DST));
}

/**
 * Write the bench's goshift config (source and metadata on 3306, target `DST` on the private
 * server, plus `extraConfig` sections), create the metadata schema `metaDb` and make task 1 copy
 * orders across with `params`.
 * @returns the goshift command a bench appends its arguments to
 */
export async function setUpBenchTask(cross: CrossServer, metaDb: string, params: Record<string, unknown>, description: string,
  opts: { extraConfig?: Record<string, unknown>; nodeFlags?: string } = {}): Promise<string> {
  const entry = { host: '127.0.0.1', port: 3306, user: 'root', password: '', db: SRC };
  fs.writeFileSync(path.join(cross.configDir, 'bench.json'), JSON.stringify({
    task_meta: { ...entry, db: metaDb },
    log: { level: 'warn', dir: '' },
    from: { mysql: { [`bench_${SRC}`]: entry } },
    to: { mysql: { [`bench_${DST}`]: { ...entry, port: cross.server.port, db: DST } } },
    ...opts.extraConfig,
  }));
  const goshift = `node ${opts.nodeFlags ?? ''} ${path.join(packageRoot, 'bin', 'goshift')} -c ${cross.configDir} -e bench`;
  await timeCommand(`${goshift} init-db`);
  await cross.admin.query(`DELETE FROM ${metaDb}.task_def_sync_manager WHERE id = 1`);
  await cross.admin.query(
    `INSERT INTO ${metaDb}.task_def_sync_manager (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, task_desc)
     VALUES (1, 'bench', 'bench', 'mysql', 'mysql', ?, ?, 'orders', 'orders', ?, ?)`,
    [SRC, DST, JSON.stringify(params), description],
  );
  return goshift;
}
