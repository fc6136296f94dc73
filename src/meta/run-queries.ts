/**
 * Reads of the run history (`goshift_run`) and shard checkpoints (`goshift_shard_checkpoint`) for
 * `goshift serve`: its pages and API, `/metrics`, the scheduler and the run launcher. The one
 * place besides {@link RunStore} (writes) and the lease (`run-lease.ts`) that holds SQL on them.
 */
import type { MetaDb } from './meta-db';
import { leaseSeconds } from './run-lease';

/** Columns of a run as `goshift serve` shows it: the stored ones plus `lapsed` (heartbeat too old) and `elapsed_s`. */
const viewColumns = `id, task_id, mode, cmd, status, started_at, ended_at, host, pid, shards_total, shards_done, rows_read, rows_written,
  rows_failed, rows_skipped, rows_dirty, bytes, lag_ms, error_text,
  status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < NOW(3) - INTERVAL ${leaseSeconds} SECOND) AS lapsed,
  TIMESTAMPDIFF(MICROSECOND, started_at, COALESCE(ended_at, NOW(3))) / 1000000 AS elapsed_s`;

/** A run as a process holding (or having held) its lease: where it runs and whether its heartbeat is fresh. */
export interface RunHolder {
  id: number;
  status: string;
  host: string;
  pid: number;
  /** 1 when the heartbeat is younger than the lease. */
  fresh: number;
}

/** The rows `/metrics` turns into figures, as the database gives them. */
export interface RunMetricsRows {
  /** Per task: summed `r` rows read, `w` written, `f` failed, `b` bytes (refused attempts left out). */
  totals: Record<string, string>[];
  /** Per task and status `s` (a lapsed running run is `died`): the count `n`. */
  byStatus: Record<string, string>[];
  /** Finished runs: task, status and `secs` from start to end. */
  ended: Record<string, string>[];
  /** Live stream runs: task, run id and `lag_ms`. */
  streams: Record<string, string>[];
}

/** Reads runs and shard checkpoints. */
export class RunQueries {
  constructor(private readonly db: MetaDb) {}

  /** One cheap read of the run table: resolves when the metadata database answers. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1 FROM goshift_run LIMIT 1');
  }

  /** The highest run id so far (0 when none). */
  async maxRunId(): Promise<number> {
    const [rows] = await this.db.query('SELECT COALESCE(MAX(id), 0) AS id FROM goshift_run');
    return Number((rows as { id: string }[])[0].id);
  }

  /** The first run of `taskId` opened by process `pid` on `host` with an id above `after`. */
  async runOfProcess(taskId: number, pid: number, host: string, after: number): Promise<{ id: number; status: string; error_text: string | null } | undefined> {
    const [rows] = await this.db.query(
      'SELECT id, status, error_text FROM goshift_run WHERE task_id = ? AND pid = ? AND host = ? AND id > ? ORDER BY id LIMIT 1',
      [taskId, pid, host, after],
    );
    const row = (rows as { id: string; status: string; error_text: string | null }[])[0];
    return row ? { id: Number(row.id), status: row.status, error_text: row.error_text } : undefined;
  }

  /** Run `runId` with its host, pid and whether its lease is fresh; undefined when no run has that id. */
  async holder(runId: number): Promise<RunHolder | undefined> {
    const [rows] = await this.db.query(
      `SELECT id, status, host, pid, heartbeat_at >= NOW(3) - INTERVAL ? SECOND AS fresh FROM goshift_run WHERE id = ?`,
      [leaseSeconds, runId],
    );
    return (rows as RunHolder[])[0];
  }

  /** The newest `run` of the task holding a live lease (fresh heartbeat), from any process on any host. */
  async liveRun(taskId: number): Promise<{ id: number; pid: number; host: string } | undefined> {
    const [rows] = await this.db.query(
      `SELECT id, pid, host FROM goshift_run WHERE task_id = ? AND status = 'running' AND cmd = 'run' AND heartbeat_at >= NOW(3) - INTERVAL ? SECOND ORDER BY id DESC LIMIT 1`,
      [taskId, leaseSeconds],
    );
    const r = (rows as { id: string; pid: number; host: string }[])[0];
    return r ? { id: Number(r.id), pid: Number(r.pid), host: r.host } : undefined;
  }

  /** Run `runId` in the view columns, or undefined. */
  async viewRow(runId: number): Promise<Record<string, unknown> | undefined> {
    const [rows] = await this.db.query(`SELECT ${viewColumns} FROM goshift_run WHERE id = ?`, [runId]);
    return (rows as Record<string, unknown>[])[0];
  }

  /** A task's runs in the view columns, newest first, at most `limit`. */
  async viewRows(taskId: number, limit: number): Promise<Record<string, unknown>[]> {
    const [rows] = await this.db.query(`SELECT ${viewColumns} FROM goshift_run WHERE task_id = ? ORDER BY id DESC LIMIT ?`, [taskId, limit]);
    return rows as Record<string, unknown>[];
  }

  /** The finished shards of a run, in the order they finished. */
  async finishedShards(runId: number): Promise<Record<string, unknown>[]> {
    const [rows] = await this.db.query(
      'SELECT shard_id, label, status, rows_read, rows_written, finished_at FROM goshift_shard_checkpoint WHERE run_id = ? ORDER BY finished_at, shard_id',
      [runId],
    );
    return rows as Record<string, unknown>[];
  }

  /** Everything `/metrics` reports from the run history, in four reads. */
  async metricsRows(): Promise<RunMetricsRows> {
    const [totals] = await this.db.query(
      `SELECT task_id, SUM(rows_read) AS r, SUM(rows_written) AS w, SUM(rows_failed) AS f, SUM(bytes) AS b
         FROM goshift_run WHERE status <> 'refused' GROUP BY task_id`,
    );
    const [byStatus] = await this.db.query(
      `SELECT task_id, IF(status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < NOW(3) - INTERVAL ? SECOND), 'died', status) AS s, COUNT(*) AS n
         FROM goshift_run GROUP BY task_id, s`,
      [leaseSeconds],
    );
    const [ended] = await this.db.query(
      `SELECT task_id, status, TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1000000 AS secs
         FROM goshift_run WHERE ended_at IS NOT NULL AND status NOT IN ('refused', 'running')`,
    );
    const [streams] = await this.db.query(
      `SELECT task_id, id, lag_ms FROM goshift_run
        WHERE status = 'running' AND mode = 'stream' AND lag_ms IS NOT NULL AND heartbeat_at >= NOW(3) - INTERVAL ? SECOND`,
      [leaseSeconds],
    );
    return { totals, byStatus, ended, streams } as RunMetricsRows;
  }
}
