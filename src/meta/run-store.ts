import type { Counters } from './counters';
import type { MetaDb } from './meta-db';

/**
 * Final or current status of a run, as stored in `goshift_run.status`: `refused` never started
 * (another run held the task), `stopped` is a continuous run stopped on purpose.
 */
export type RunStatus = 'running' | 'success' | 'failed' | 'cancelled' | 'stopped' | 'refused';

/** Counters of a run: the record {@link Counters} (rowsExpired is shown in the summary, not stored) plus its shards and the rows a resume skipped. */
export interface RunCounters extends Counters {
  shardsTotal: number;
  shardsDone: number;
  /** Rows earlier runs already copied (skipped by a resume). */
  rowsSkipped: number;
}

/**
 * Writes the run history (`goshift_run`) and shard checkpoints (`goshift_shard_checkpoint`); reads
 * for `goshift serve` are in `run-queries.ts`, the lease (open, adopt, renew) in `run-lease.ts`.
 */
export class RunStore {
  constructor(private readonly db: MetaDb) {}

  /** Update the counters of a running run (called periodically). */
  async progress(runId: number, c: RunCounters, lagMs?: number): Promise<void> {
    await this.db.query(
      'UPDATE goshift_run SET shards_total = ?, shards_done = ?, rows_read = ?, rows_written = ?, rows_failed = ?, rows_skipped = ?, rows_dirty = ?, bytes = ?, lag_ms = COALESCE(?, lag_ms) WHERE id = ?',
      [c.shardsTotal, c.shardsDone, c.rowsRead, c.rowsWritten, c.rowsFailed, c.rowsSkipped, c.rowsDirty ?? 0, c.bytes, lagMs ?? null, runId],
    );
  }

  /** Close a run with its final status, counters and error text. */
  async finish(runId: number, status: RunStatus, c: RunCounters, errorText: string | null): Promise<void> {
    await this.progress(runId, c);
    await this.db.query('UPDATE goshift_run SET status = ?, ended_at = NOW(3), error_text = ? WHERE id = ?', [status, errorText, runId]);
  }

  /** Record a run the user forced to exit at once (a second Ctrl-C) as cancelled, if it still runs. */
  async cancelForcedExit(runId: number): Promise<void> {
    await this.db.query("UPDATE goshift_run SET status = 'cancelled', ended_at = NOW(3), error_text = 'exited at once on a second interrupt' WHERE id = ? AND status = 'running'", [runId]);
  }

  /** Mark a run as coordinated on queue `queueName`, no worker seen yet (`--distributed`). */
  async setQueue(runId: number, queueName: string): Promise<void> {
    await this.db.query('UPDATE goshift_run SET queue_name = ?, workers = 0 WHERE id = ?', [queueName, runId]);
  }

  /** Record how many queue workers have run shards of a distributed run. */
  async setWorkers(runId: number, workers: number): Promise<void> {
    await this.db.query('UPDATE goshift_run SET workers = ? WHERE id = ?', [workers, runId]);
  }

  /** Whether run `runId` is a run of task `taskId`. */
  async isRunOf(runId: number, taskId: number): Promise<boolean> {
    const [rows] = await this.db.query('SELECT 1 FROM goshift_run WHERE id = ? AND task_id = ?', [runId, taskId]);
    return (rows as unknown[]).length > 0;
  }

  /** Record that a shard finished. */
  async checkpoint(runId: number, taskId: number, shard: { id: string; label: string }, status: 'done' | 'failed', rowsRead: number, rowsWritten: number): Promise<void> {
    await this.db.query(
      `INSERT INTO goshift_shard_checkpoint (run_id, task_id, shard_id, label, status, rows_read, rows_written, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NOW(3))
       ON DUPLICATE KEY UPDATE status = VALUES(status), rows_read = VALUES(rows_read), rows_written = VALUES(rows_written), finished_at = VALUES(finished_at)`,
      [runId, taskId, shard.id, shard.label.slice(0, 1000), status, rowsRead, rowsWritten],
    );
  }
}
