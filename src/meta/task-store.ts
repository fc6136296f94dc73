import type { MetaDb } from './meta-db';
import { TaskError } from '../errors';
import type { TaskRow, TaskStatusCode } from './task-row';

/** Reads and updates rows of `task_def_sync_manager`. The id is always a bound parameter. */
export class TaskStore {
  constructor(private readonly db: MetaDb) {}

  /**
   * Load one task.
   * @throws TaskError when no row has that id, or the task table is missing
   */
  async get(id: number): Promise<TaskRow> {
    const [rows] = await this.query('SELECT * FROM task_def_sync_manager WHERE id = ?', [id]);
    const row = (rows as TaskRow[])[0];
    if (!row) throw new TaskError(`task ${id} not found in task_def_sync_manager (list tasks with \`goshift tasks -e <env>\`)`);
    return row;
  }

  /** Set goshift's task_status code. */
  async setStatus(id: number, status: TaskStatusCode): Promise<void> {
    await this.query('UPDATE task_def_sync_manager SET task_status = ? WHERE id = ?', [status, id]);
  }

  /** Every task with its last run (for `goshift tasks`). */
  async listWithLastRun(): Promise<(TaskRow & { last_run_status: string | null; last_run_end: string | null; last_rows_written: string | null })[]> {
    const [rows] = await this.query(
      `SELECT t.*, r.status AS last_run_status, r.ended_at AS last_run_end, r.rows_written AS last_rows_written
         FROM task_def_sync_manager t
         LEFT JOIN goshift_run r ON r.id = (SELECT MAX(id) FROM goshift_run WHERE task_id = t.id)
        ORDER BY t.id`,
      [],
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
