/**
 * A throwaway MariaDB server for tests that need a server configured in a way the shared one is
 * not (a global `sql_mode` goshift did not choose) or one they may stop and start mid-run.
 * Its own datadir in a temp dir, a free loopback port, root with an empty password; `stop()`
 * shuts it down and removes the datadir. Needs `mariadb-install-db` and `mariadbd` (Debian's
 * mariadb-server, which `make services` installs).
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { findFreePort } from './redis-cluster';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A running private MariaDB. */
export interface PrivateMariadb {
  host: string;
  port: number;
  /** The options it was started with (so `start()` can start it again on the same datadir). */
  args: string[];
  /** An admin connection (root, no schema). Reconnect after `restart`. */
  connect(): Promise<mysql.Connection>;
  /** Stop the server (SIGTERM, wait for exit); the datadir stays. */
  halt(): Promise<void>;
  /** Start it again on the same datadir and port. */
  start(): Promise<void>;
  /** Stop it and remove the datadir. Idempotent. */
  stop(): Promise<void>;
  /** Process id of the running server (undefined while halted). */
  pid(): number | undefined;
}

/**
 * Start a private MariaDB with extra server options, e.g. `['--sql-mode=NO_BACKSLASH_ESCAPES,ANSI_QUOTES']`.
 * Takes a few seconds (datadir initialisation).
 */
export async function startPrivateMariadb(extraArgs: string[] = []): Promise<PrivateMariadb> {
  const dir = await mkdtemp(join(tmpdir(), 'goshift-mariadb-'));
  const datadir = join(dir, 'data');
  const port = await findFreePort();
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], { timeout: 120_000 });
  const args = [
    '--no-defaults', `--datadir=${datadir}`, `--port=${port}`, '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-log-bin', '--innodb-buffer-pool-size=64M', '--skip-name-resolve', ...user, ...extraArgs,
  ];
  let child: ChildProcess | undefined;
  let stopped = false;
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', charset: 'utf8mb4_general_ci', supportBigNumbers: true, bigNumberStrings: true, dateStrings: true });
  const start = async (): Promise<void> => {
    child = spawn('/usr/sbin/mariadbd', args, { stdio: 'ignore' });
    for (let i = 0; i < 300; i++) {
      try {
        const c = await connect();
        await c.end();
        return;
      } catch {
        if (child.exitCode !== null) throw new Error(`private mariadbd exited with ${child.exitCode} (datadir ${datadir})`);
        await sleep(100);
      }
    }
    throw new Error(`private mariadbd did not answer on 127.0.0.1:${port} within 30 s`);
  };
  const halt = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000).then(() => c.kill('SIGKILL'))]);
    await exited;
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    args,
    connect,
    halt,
    start,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Start a private MariaDB that writes a row-based binlog goshift's `-mode stream` can follow
 * (`log_bin`, `binlog_format=ROW`, `binlog_row_image=FULL`, `binlog_row_metadata=FULL`, a
 * `server_id`). `extraArgs` come last, so a test may override one (e.g. `--binlog-format=STATEMENT`).
 */
export function startBinlogMariadb(extraArgs: string[] = []): Promise<PrivateMariadb> {
  return startPrivateMariadb([
    '--log-bin=binlog', '--server-id=1', '--binlog-format=ROW', '--binlog-row-image=FULL',
    '--binlog-row-metadata=FULL', ...extraArgs,
  ]);
}
