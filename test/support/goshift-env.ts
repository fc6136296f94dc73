import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';

/** Root of the repository (tests run the built CLI from here). */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A task row to insert; unspecified columns get demo-like defaults. */
export interface TaskRowInput {
  from_app?: string;
  to_app?: string;
  from_db_type?: string;
  to_db_type?: string;
  from_db?: string;
  to_db?: string;
  from_table: string;
  to_table: string;
  params?: string | object | null;
  online_status?: number;
  task_desc?: string;
}

/**
 * An isolated goshift world on the local MariaDB: a unique metadata schema, a unique data schema,
 * and a config dir whose `test.json` points at both (`from/to.mysql.t_<dataDb>`).
 * Extra config entries can be merged in with `writeConfig`.
 */
export class GoshiftTestEnv {
  /**
   * @param server the MariaDB holding both schemas (default: the shared one on 127.0.0.1:3306;
   *   a private server from `startPrivateMariadb` for tests that change its settings or stop it)
   */
  constructor(readonly server: { host: string; port: number } = { host: '127.0.0.1', port: 3306 }) {}

  readonly suffix = randomUUID().replace(/-/g, '').slice(0, 10);
  readonly metaDb = `gsm_${this.suffix}`;
  readonly dataDb = `gsd_${this.suffix}`;
  readonly app = 't';
  readonly configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'goshift-test-'));
  admin!: mysql.Connection;
  private extra: Record<string, unknown> = {};

  /** Create schemas, config and metadata tables. */
  async setup(): Promise<this> {
    await this.reconnect();
    await this.admin.query(`CREATE DATABASE \`${this.dataDb}\` DEFAULT CHARACTER SET utf8mb4`);
    this.writeConfig();
    const init = await this.cli(['init-db', '-c', this.configDir, '-e', 'test']);
    if (init.code !== 0) throw new Error(`init-db failed: ${init.stderr}`);
    return this;
  }

  /** (Re)open the admin connection (after the server restarted), in UTC and with backslash escapes. */
  async reconnect(): Promise<void> {
    this.admin = await mysql.createConnection({
      host: this.server.host, port: this.server.port, user: 'root', password: '', charset: 'utf8mb4_general_ci',
      supportBigNumbers: true, bigNumberStrings: true, dateStrings: true, timezone: 'Z',
    });
    await this.admin.query("SET time_zone = '+00:00'");
    // The test's own statements use backslash escapes and backtick names, whatever the server's global mode.
    const [[{ mode }]] = (await this.admin.query('SELECT @@SESSION.sql_mode AS mode')) as unknown as [[{ mode: string }]];
    const kept = mode.split(',').filter((m) => m && m !== 'NO_BACKSLASH_ESCAPES' && m !== 'ANSI_QUOTES');
    await this.admin.query('SET SESSION sql_mode = ?', [kept.join(',')]);
  }

  /** The mysql connection entry of the data schema. */
  mysqlEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { host: this.server.host, port: this.server.port, user: 'root', password: '', db: this.dataDb, ...overrides };
  }

  /** (Re)write `<configDir>/test.json`; `extra` is deep-merged into `from`, `to`, `plugins` and `serve`. */
  writeConfig(extra: { from?: Record<string, Record<string, unknown>>; to?: Record<string, Record<string, unknown>>; plugins?: Record<string, string>; serve?: Record<string, unknown> } = {}): void {
    this.extra = mergeDeep(this.extra, extra);
    const base = {
      task_meta: { host: this.server.host, port: this.server.port, user: 'root', password: '', db: this.metaDb },
      log: { level: 'info', dir: path.join(this.configDir, 'logs') },
      from: { mysql: { [`${this.app}_${this.dataDb}`]: this.mysqlEntry() } },
      to: { mysql: { [`${this.app}_${this.dataDb}`]: this.mysqlEntry() } },
    };
    fs.writeFileSync(path.join(this.configDir, 'test.json'), JSON.stringify(mergeDeep(base, this.extra), null, 2));
  }

  /** Insert a task row; returns its id. */
  async addTask(row: TaskRowInput): Promise<number> {
    const params = row.params === undefined ? {} : row.params;
    const [res] = await this.admin.query(
      `INSERT INTO \`${this.metaDb}\`.task_def_sync_manager
        (from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, online_status, task_desc, task_status, owner, create_time, update_time)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', 'test', NOW(), NOW())`,
      [
        row.from_app ?? this.app, row.to_app ?? this.app, row.from_db_type ?? 'mysql', row.to_db_type ?? 'mysql',
        row.from_db ?? this.dataDb, row.to_db ?? this.dataDb, row.from_table, row.to_table,
        params === null || typeof params === 'string' ? params : JSON.stringify(params),
        row.online_status ?? 1, row.task_desc ?? 'test task',
      ],
    );
    return (res as { insertId: number }).insertId;
  }

  /** Run the built CLI (`node bin/goshift ...`). */
  cli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(process.execPath, [path.join(repoRoot, 'bin', 'goshift'), ...args], {
        cwd: this.configDir, env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024,
      }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Run a task by id with goshift's flags against this env's config. */
  run(id: number, more: string[] = []): Promise<CliResult> {
    return this.cli(['-c', this.configDir, '-e', 'test', '-id', String(id), ...more]);
  }

  /** Start a run in the background (to signal it or disturb it mid-run). */
  spawnRun(id: number, more: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): { child: ChildProcess; stderr: () => string; exited: Promise<number> } {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'goshift'), '-c', this.configDir, '-e', 'test', '-id', String(id), ...more], { cwd: this.configDir, env: { ...process.env, ...extraEnv } });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    return { child, stderr: () => stderr, exited };
  }

  /** Shards of a task recorded as finished, over all its runs. */
  async checkpointCount(id: number): Promise<number> {
    const [rows] = await this.admin.query(`SELECT COUNT(*) AS n FROM \`${this.metaDb}\`.goshift_shard_checkpoint WHERE task_id = ?`, [id]);
    return Number((rows as { n: string }[])[0].n);
  }

  /** Current task_status of a task. */
  async taskStatus(id: number): Promise<string> {
    const [rows] = await this.admin.query(`SELECT task_status FROM \`${this.metaDb}\`.task_def_sync_manager WHERE id = ?`, [id]);
    return (rows as { task_status: string }[])[0].task_status;
  }

  /** Latest run record of a task (undefined when none). */
  async lastRun(id: number): Promise<Record<string, string> | undefined> {
    const [rows] = await this.admin.query(`SELECT * FROM \`${this.metaDb}\`.goshift_run WHERE task_id = ? ORDER BY id DESC LIMIT 1`, [id]);
    return (rows as Record<string, string>[])[0];
  }

  /** Run SQL in the data schema. */
  async sql<T = Record<string, unknown>[]>(statement: string, values: unknown[] = []): Promise<T> {
    await this.admin.query(`USE \`${this.dataDb}\``);
    const [rows] = await this.admin.query(statement, values);
    return rows as T;
  }

  /** Drop both schemas and the config dir. */
  async cleanup(): Promise<void> {
    if (this.admin) {
      await this.admin.query(`DROP DATABASE IF EXISTS \`${this.dataDb}\``);
      await this.admin.query(`DROP DATABASE IF EXISTS \`${this.metaDb}\``);
      await this.admin.end();
    }
    fs.rmSync(this.configDir, { recursive: true, force: true });
  }
}

function mergeDeep<T>(a: T, b: unknown): T {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return (b === undefined ? a : b) as T;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = k in out && v && typeof v === 'object' && !Array.isArray(v) ? mergeDeep(out[k], v) : v;
  return out as T;
}
