import { createHash } from 'node:crypto';
import type { JsonValue } from '../sdk';
import type { MetaDb } from './meta-db';

/** A refused record as the reject store keeps it: plain JSON, ready for `goshift_dirty`. */
export interface DirtyRow {
  shardId: string;
  /** The record's key (`pk.src` values or the entry key), or null when the task names no key. */
  key: JsonValue;
  /** The record as plain JSON (see `recordJson` in src/runtime/dirty-budget.ts). */
  record: JsonValue;
  /** The target's own words. */
  reason: string;
}

/** One stored dirty record, as `goshift dirty` lists it. */
export interface StoredDirty extends DirtyRow {
  runId: number;
  /** When it was stored, `YYYY-MM-DD hh:mm:ss.mmm` (the metadata server's time). */
  at: string;
}

/** Records per INSERT statement. */
const PER_STATEMENT = 100;

/**
 * The reject store (`goshift_dirty`): records a target refused for their data, one row each, with
 * run, task, shard, key, record and reason. Worker threads add them through their own metadata
 * pool, each right when it is found (before its batch's position can be saved); a record met again
 * by a retried shard is stored once (unique per run on a digest of shard, key and record).
 * Values go through server-side prepared statements, never client-side escaping.
 */
export class DirtyStore {
  constructor(private readonly db: MetaDb) {}

  /** Store refused records of one run (a record already stored for the run is left as it is). */
  async add(runId: number, taskId: number, rows: DirtyRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += PER_STATEMENT) {
      const part = rows.slice(i, i + PER_STATEMENT);
      const values: unknown[] = [];
      for (const r of part) {
        const key = r.key === null ? null : JSON.stringify(r.key);
        const record = JSON.stringify(r.record);
        const digest = createHash('sha1').update(JSON.stringify([r.shardId, key, record])).digest('hex');
        values.push(runId, taskId, r.shardId.slice(0, 191), key, record, r.reason, digest);
      }
      await this.db.execute(
        `INSERT IGNORE INTO goshift_dirty (run_id, task_id, shard_id, record_key, record, reason, digest) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        values as never[],
      );
    }
  }

  /** The task's latest run that has dirty records, or undefined. */
  async latestRun(taskId: number): Promise<number | undefined> {
    const [rows] = await this.db.execute('SELECT MAX(run_id) AS run_id FROM goshift_dirty WHERE task_id = ?', [taskId]);
    const id = (rows as { run_id: string | number | null }[])[0]?.run_id;
    return id === null || id === undefined ? undefined : Number(id);
  }

  /** How many dirty records a run of the task stored. */
  async count(taskId: number, runId: number): Promise<number> {
    const [rows] = await this.db.execute('SELECT COUNT(*) AS n FROM goshift_dirty WHERE task_id = ? AND run_id = ?', [taskId, runId]);
    return Number((rows as { n: string | number }[])[0].n);
  }

  /** The first `limit` dirty records of a run of the task, in the order they were found. */
  async list(taskId: number, runId: number, limit: number): Promise<StoredDirty[]> {
    // A LIMIT placeholder is refused by some servers' prepared statements: the number is checked instead.
    const n = Math.max(0, Math.floor(limit));
    const [rows] = await this.db.execute(
      `SELECT run_id, shard_id, record_key, record, reason, created_at FROM goshift_dirty WHERE task_id = ? AND run_id = ? ORDER BY id LIMIT ${n}`,
      [taskId, runId],
    );
    return (rows as Record<string, string | null>[]).map((r) => ({
      runId: Number(r.run_id),
      shardId: String(r.shard_id),
      key: r.record_key === null ? null : (JSON.parse(r.record_key) as JsonValue),
      record: JSON.parse(String(r.record)) as JsonValue,
      reason: String(r.reason),
      at: String(r.created_at),
    }));
  }
}
