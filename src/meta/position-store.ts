import type { JsonValue } from '../sdk';
import type { MetaDb } from './meta-db';

/** Where a shard stands: `partial` continues after `position`, `done` is skipped by a resume. */
export type PositionStatus = 'partial' | 'done';

/** A shard's latest durable position and the rows copied up to it (over every run of the copy). */
export interface SavedPosition {
  fingerprint: string;
  identity: string;
  runId: number;
  shardId: string;
  status: PositionStatus;
  /** Read continues strictly after it; null = from the start. */
  position: JsonValue | null;
  rowsRead: number;
  rowsWritten: number;
  bytes: number;
}

/**
 * Per-shard resume positions (`goshift_shard_position`), one row per task and shard fingerprint.
 * Written only after the data up to the position is durable (by the worker that copied it);
 * cleared when a copy of the task succeeds or starts over.
 */
export class PositionStore {
  constructor(private readonly db: MetaDb) {}

  /** Save (insert or move forward) a shard's position. */
  async save(taskId: number, p: SavedPosition, label: string): Promise<void> {
    await this.db.query(
      `INSERT INTO goshift_shard_position (task_id, fingerprint, identity, run_id, shard_id, label, status, position, rows_read, rows_written, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE identity = VALUES(identity), run_id = VALUES(run_id), shard_id = VALUES(shard_id), label = VALUES(label),
         status = VALUES(status), position = VALUES(position), rows_read = VALUES(rows_read), rows_written = VALUES(rows_written), bytes = VALUES(bytes)`,
      [taskId, p.fingerprint, p.identity, p.runId, p.shardId.slice(0, 191), label.slice(0, 1000), p.status,
        p.position === null ? null : JSON.stringify(p.position), p.rowsRead, p.rowsWritten, p.bytes],
    );
  }

  /** Every saved position of a task, by fingerprint. */
  async load(taskId: number): Promise<Map<string, SavedPosition>> {
    const [rows] = await this.db.query(
      'SELECT fingerprint, identity, run_id, shard_id, status, position, rows_read, rows_written, bytes FROM goshift_shard_position WHERE task_id = ?',
      [taskId],
    );
    const out = new Map<string, SavedPosition>();
    for (const r of rows as Record<string, string | null>[]) {
      out.set(String(r.fingerprint), {
        fingerprint: String(r.fingerprint),
        identity: String(r.identity),
        runId: Number(r.run_id),
        shardId: String(r.shard_id),
        status: r.status === 'done' ? 'done' : 'partial',
        position: r.position === null ? null : (JSON.parse(r.position) as JsonValue),
        rowsRead: Number(r.rows_read),
        rowsWritten: Number(r.rows_written),
        bytes: Number(r.bytes),
      });
    }
    return out;
  }

  /** Forget every position of a task (its copy succeeded, or starts over). */
  async clear(taskId: number): Promise<void> {
    await this.db.query('DELETE FROM goshift_shard_position WHERE task_id = ?', [taskId]);
  }
}
