import os from 'node:os';
import type { MetaDb } from './meta-db';

/** Final or current status of a run, as stored in `goshift_run.status`. */
export type RunStatus = 'running' | 'success' | 'failed' | 'cancelled';

/** Counters of a run. */
export interface RunCounters {
  shardsTotal: number;
  shardsDone: number;
  rowsRead: number;
  rowsWritten: number;
  rowsFailed: number;
  bytes: number;
}

/** Writes the run history (`goshift_run`) and shard checkpoints (`goshift_shard_checkpoint`). */
export class RunStore {
  constructor(private readonly db: MetaDb) {}

  /** Open a run record in status `running`; returns its id. */
  async open(taskId: number, mode: string, cmd: string): Promise<number> {
    const [res] = await this.db.query(
      'INSERT INTO goshift_run (task_id, mode, cmd, status, started_at, host, pid) VALUES (?, ?, ?, ?, NOW(3), ?, ?)',
      [taskId, mode, cmd, 'running', os.hostname(), process.pid],
    );
    return (res as { insertId: number }).insertId;
  }

  /** Update the counters of a running run (called periodically). */
  async progress(runId: number, c: RunCounters): Promise<void> {
    await this.db.query(
      'UPDATE goshift_run SET shards_total = ?, shards_done = ?, rows_read = ?, rows_written = ?, rows_failed = ?, bytes = ? WHERE id = ?',
      [c.shardsTotal, c.shardsDone, c.rowsRead, c.rowsWritten, c.rowsFailed, c.bytes, runId],
    );
  }

  /** Close a run with its final status, counters and error text. */
  async finish(runId: number, status: RunStatus, c: RunCounters, errorText: string | null): Promise<void> {
    await this.progress(runId, c);
    await this.db.query('UPDATE goshift_run SET status = ?, ended_at = NOW(3), error_text = ? WHERE id = ?', [status, errorText, runId]);
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

  /** The latest failed or cancelled run of a task before `beforeRunId` (what `--resume` continues). */
  async lastUnfinished(taskId: number, beforeRunId: number): Promise<number | undefined> {
    const [rows] = await this.db.query(
      "SELECT id, status FROM goshift_run WHERE task_id = ? AND id < ? AND cmd = 'run' AND status <> 'running' ORDER BY id DESC LIMIT 1",
      [taskId, beforeRunId],
    );
    const last = (rows as { id: number; status: string }[])[0];
    return last && last.status !== 'success' ? Number(last.id) : undefined;
  }

  /** Shards a run finished, keyed by id and label (a re-planned shard with other bounds is not skipped). */
  async doneShards(runId: number): Promise<Map<string, { rowsRead: number; rowsWritten: number }>> {
    const [rows] = await this.db.query("SELECT shard_id, label, rows_read, rows_written FROM goshift_shard_checkpoint WHERE run_id = ? AND status = 'done'", [runId]);
    return new Map((rows as { shard_id: string; label: string; rows_read: string; rows_written: string }[]).map((r) => [
      shardKey({ id: r.shard_id, label: r.label }), { rowsRead: Number(r.rows_read), rowsWritten: Number(r.rows_written) },
    ]));
  }

  /** Other runs of a task still recorded as running (a live run, or one whose process died). */
  async otherRunning(taskId: number, runId: number): Promise<{ id: number; host: string; pid: number; started_at: string }[]> {
    const [rows] = await this.db.query(
      "SELECT id, host, pid, started_at FROM goshift_run WHERE task_id = ? AND id <> ? AND status = 'running' AND cmd = 'run'",
      [taskId, runId],
    );
    return (rows as { id: number; host: string; pid: number; started_at: string }[]).map((r) => ({ ...r, id: Number(r.id), pid: Number(r.pid) }));
  }

  /** Close a run whose process is gone (killed with SIGKILL, machine lost) as failed. */
  async abandon(runId: number, reason: string): Promise<void> {
    await this.db.query("UPDATE goshift_run SET status = 'failed', ended_at = NOW(3), error_text = ? WHERE id = ? AND status = 'running'", [reason, runId]);
  }
}

/** Identity of a shard across runs: its id and its label (which carries its bounds). */
export function shardKey(shard: { id: string; label: string }): string {
  return `${shard.id}\u0000${shard.label.slice(0, 1000)}`;
}
