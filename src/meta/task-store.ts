import type mysql from 'mysql2/promise';
import type { MetaDb } from './meta-db';
import type { TaskDefinition } from './task-def';
import { leaseSeconds } from './run-lease';
import { TaskError } from '../errors';
import type { TaskRow, TaskStatusCode } from './task-row';
import { checkTaskRow } from './task-row-check';

/** Reads and updates rows of `task_def_sync_manager`. The id is always a bound parameter. */
export class TaskStore {
  constructor(private readonly db: MetaDb) {}

  /**
   * Load one task.
   * @throws TaskError when no row has that id, a column it needs is NULL, or the task table is missing
   */
  async get(id: number): Promise<TaskRow> {
    return checkTaskRow(await this.getUnchecked(id));
  }

  /**
   * Load one task as stored, NULL columns included (a run records its failure before checking it).
   * @throws TaskError when no row has that id, or the task table is missing
   */
  async getUnchecked(id: number): Promise<TaskRow> {
    const [rows] = await this.query('SELECT * FROM task_def_sync_manager WHERE id = ?', [id]);
    const row = (rows as TaskRow[])[0];
    if (!row) throw new TaskError(`task ${id} not found in task_def_sync_manager (list tasks with \`goshift tasks -e <env>\`)`);
    return row;
  }

  /** Set goshift's task_status code to `status` only while it is `current` (no other writer moved it on). */
  async setStatusIf(id: number, status: TaskStatusCode, current: TaskStatusCode): Promise<void> {
    await this.query('UPDATE task_def_sync_manager SET task_status = ? WHERE id = ? AND task_status = ?', [status, id, current]);
  }

  /** Set goshift's task_status code. */
  async setStatus(id: number, status: TaskStatusCode): Promise<void> {
    await this.query('UPDATE task_def_sync_manager SET task_status = ? WHERE id = ?', [status, id]);
  }

  /**
   * Every task with its last run (for `goshift tasks`). Refused attempts are not a task's last run;
   * a run still marked running whose lease lapsed is reported as `died`.
   */
  async listWithLastRun(): Promise<(TaskRow & { last_run_id: string | null; last_run_start: string | null; last_run_status: string | null; last_run_end: string | null; last_rows_written: string | null; last_rows_dirty: string | null; last_run_mode: string | null; last_lag_ms: string | null; last_queue: string | null; last_workers: string | null })[]> {
    const [rows] = await this.query(
      `SELECT t.*,
              IF(r.status = 'running' AND (r.heartbeat_at IS NULL OR r.heartbeat_at < NOW(3) - INTERVAL ? SECOND), 'died', r.status) AS last_run_status,
              r.id AS last_run_id, r.started_at AS last_run_start, r.ended_at AS last_run_end, r.rows_written AS last_rows_written, r.rows_dirty AS last_rows_dirty, r.mode AS last_run_mode, r.lag_ms AS last_lag_ms,
              r.queue_name AS last_queue, r.workers AS last_workers
         FROM task_def_sync_manager t
         LEFT JOIN goshift_run r ON r.id = (SELECT MAX(id) FROM goshift_run WHERE task_id = t.id AND status <> 'refused')
        ORDER BY t.id`,
      [leaseSeconds],
    );
    return rows as never;
  }

  /** Read one per-task state value (watermark, stream position), or undefined. */
  async getState(id: number, key: string): Promise<string | undefined> {
    const [rows] = await this.query('SELECT state_value FROM goshift_task_state WHERE task_id = ? AND state_key = ?', [id, key]);
    return (rows as { state_value: string }[])[0]?.state_value;
  }

  /** Store one per-task state value. */
  async setState(id: number, key: string, value: string): Promise<void> {
    await this.query(
      'INSERT INTO goshift_task_state (task_id, state_key, state_value) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE state_value = VALUES(state_value)',
      [id, key, value],
    );
  }

  /**
   * Store a definition as a new row (`task_status` 1), or under its own id when it has one and no
   * row holds that id. Values are bound by the server (prepared statement), never escaped here.
   * @returns the row's id
   */
  async insert(def: TaskDefinition, conn: mysql.Pool | mysql.PoolConnection = this.db): Promise<number> {
    const [res] = await this.run(conn,
      `INSERT INTO task_def_sync_manager (${def.id !== undefined ? 'id, ' : ''}${definitionValueColumns.join(', ')}, task_status, create_time, update_time)
       VALUES (${def.id !== undefined ? '?, ' : ''}${definitionValueColumns.map(() => '?').join(', ')}, '1', NOW(), NOW())`,
      [...(def.id !== undefined ? [def.id] : []), ...definitionValues(def)],
    );
    return (res as { insertId: number }).insertId || def.id!;
  }

  /** Whether a row has this id (locked until the transaction of `conn` ends). */
  async exists(id: number, conn: mysql.Pool | mysql.PoolConnection = this.db): Promise<boolean> {
    const [rows] = await this.run(conn, 'SELECT id FROM task_def_sync_manager WHERE id = ? FOR UPDATE', [id]);
    return (rows as unknown[]).length > 0;
  }

  /**
   * Replace the definition columns of row `id` (run state untouched).
   */
  async update(id: number, def: TaskDefinition, conn: mysql.Pool | mysql.PoolConnection = this.db): Promise<void> {
    await this.run(conn,
      `UPDATE task_def_sync_manager SET ${definitionValueColumns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
      [...definitionValues(def), id],
    );
  }

  /**
   * Set online_status.
   * @throws TaskError when no row has that id
   */
  async setOnline(id: number, online: 0 | 1): Promise<void> {
    await this.getUnchecked(id);
    await this.run(this.db, 'UPDATE task_def_sync_manager SET online_status = ? WHERE id = ?', [online, id]);
  }

  /**
   * Delete a task with its saved state (watermarks, resume positions); run history stays. Under a
   * row lock on the task, as a run takes its lease, so no run can start in between.
   * @throws TaskError when no row has that id, or a live run (fresh heartbeat) holds the task
   */
  async remove(id: number): Promise<void> {
    const conn = await this.db.getConnection();
    try {
      await conn.query('START TRANSACTION');
      const [found] = await this.run(conn, 'SELECT id FROM task_def_sync_manager WHERE id = ? FOR UPDATE', [id]);
      if (!(found as unknown[]).length) throw new TaskError(`task ${id} not found in task_def_sync_manager (list tasks with \`goshift tasks -e <env>\`)`);
      const [live] = await this.run(conn,
        `SELECT id, host, pid FROM goshift_run WHERE task_id = ? AND status = 'running' AND heartbeat_at >= NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT 1`,
        [id, leaseSeconds],
      );
      const run = (live as { id: number; host: string; pid: number }[])[0];
      if (run) throw new TaskError(`task ${id} is running (run ${run.id}, pid ${run.pid} on ${run.host}): stop it before removing the task`);
      await this.run(conn, 'DELETE FROM goshift_task_state WHERE task_id = ?', [id]);
      await this.run(conn, 'DELETE FROM goshift_shard_position WHERE task_id = ?', [id]);
      await this.run(conn, 'DELETE FROM task_def_sync_manager WHERE id = ?', [id]);
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  /** Every task row, or those with the given ids (ordered by id). */
  async list(ids: number[] = []): Promise<TaskRow[]> {
    const where = ids.length ? ` WHERE id IN (${ids.map(() => '?').join(', ')})` : '';
    const [rows] = await this.run(this.db, `SELECT * FROM task_def_sync_manager${where} ORDER BY id`, ids);
    return rows as TaskRow[];
  }

  /** A server-side prepared statement (values never pass through client-side escaping). */
  private async run(conn: mysql.Pool | mysql.PoolConnection, sql: string, values: unknown[]): Promise<[unknown, unknown]> {
    try {
      return (await conn.execute(sql, values as never[])) as unknown as [unknown, unknown];
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE') {
        throw new TaskError(`metadata table missing (${(err as Error).message}): run \`goshift init-db -e <env>\``, { cause: err });
      }
      throw err;
    }
  }

  private async query(sql: string, values: unknown[]): Promise<unknown[]> {
    try {
      return (await this.db.query(sql, values)) as unknown[];
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE') {
        throw new TaskError(`metadata table missing (${(err as Error).message}): run \`goshift init-db -e <env>\``, { cause: err });
      }
      throw err;
    }
  }
}

/** The definition columns `insert` and `update` write, in order. */
const definitionValueColumns = ['from_app', 'to_app', 'from_db_type', 'to_db_type', 'from_db', 'to_db', 'from_table', 'to_table', 'params', 'online_status', 'task_desc', 'owner'] as const;

function definitionValues(def: TaskDefinition): unknown[] {
  return definitionValueColumns.map((c) => def[c] ?? null);
}
