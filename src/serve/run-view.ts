/**
 * Runs as `goshift serve` shows them, read from `goshift_run` (a running job writes its counters
 * there with each heartbeat, every 3 s) and `goshift_shard_checkpoint` (one row per finished shard).
 */
import type { MetaDb } from '../meta/meta-db';
import { RunQueries } from '../meta/run-queries';
import type { RunCounters } from '../meta/run-store';
import { HttpError } from './http';

/** One run with its progress. Counters are those of the last heartbeat while it runs. */
export interface RunView extends Omit<RunCounters, 'rowsExpired' | 'rowsDirty'> {
  id: number;
  taskId: number;
  mode: string;
  cmd: string;
  /** Stored status; a `running` run whose heartbeat lapsed is shown as `died`. */
  status: string;
  startedAt: string;
  endedAt: string | null;
  host: string;
  pid: number;
  rowsDirty: number;
  /** Stream runs: ms from the newest source change seen until it was written; null for copies. */
  lagMs: number | null;
  errorText: string | null;
  elapsedSeconds: number;
  /** Rows read per second over the run so far. */
  rowsPerSec: number;
  bytesPerSec: number;
  /** Shards done of shards planned, 0-100 (100 once the run succeeded); null for a stream run. */
  percent: number | null;
  /** Seconds left, from the share of shards done so far; null when unknown. */
  etaSeconds: number | null;
}

/** Turn a `goshift_run` row into a {@link RunView}. */
function toView(r: Record<string, unknown>): RunView {
  const n = (v: unknown): number => Number(v ?? 0);
  const status = Number(r.lapsed) === 1 ? 'died' : String(r.status);
  const elapsed = Math.max(0, n(r.elapsed_s));
  const total = n(r.shards_total);
  const done = n(r.shards_done);
  const stream = r.mode === 'stream';
  let percent: number | null = stream ? null : total > 0 ? Math.floor((100 * done) / total) : 0;
  if (status === 'success' && !stream) percent = 100;
  const eta = status === 'running' && !stream && done > 0 && total > done ? (elapsed * (total - done)) / done : status === 'running' ? null : 0;
  return {
    id: n(r.id), taskId: n(r.task_id), mode: String(r.mode), cmd: String(r.cmd), status,
    startedAt: String(r.started_at), endedAt: r.ended_at === null ? null : String(r.ended_at), host: String(r.host), pid: n(r.pid),
    shardsTotal: total, shardsDone: done, rowsRead: n(r.rows_read), rowsWritten: n(r.rows_written), rowsFailed: n(r.rows_failed),
    rowsSkipped: n(r.rows_skipped), rowsDirty: n(r.rows_dirty), bytes: n(r.bytes), lagMs: r.lag_ms === null ? null : n(r.lag_ms),
    errorText: r.error_text === null ? null : String(r.error_text), elapsedSeconds: elapsed,
    rowsPerSec: elapsed > 0 ? n(r.rows_read) / elapsed : 0, bytesPerSec: elapsed > 0 ? n(r.bytes) / elapsed : 0,
    percent, etaSeconds: eta,
  };
}

/** A finished shard of a run. */
export interface ShardView {
  shardId: string;
  label: string;
  status: string;
  rowsRead: number;
  rowsWritten: number;
  finishedAt: string;
}

/** Reads runs, history and shards for the API and the pages. */
export class RunViews {
  private readonly runs: RunQueries;

  constructor(meta: MetaDb) {
    this.runs = new RunQueries(meta);
  }

  /**
   * One run.
   * @throws HttpError 404 when no run has that id
   */
  async get(runId: number): Promise<RunView> {
    const row = await this.runs.viewRow(runId);
    if (!row) throw new HttpError(404, `run ${runId} not found in goshift_run`);
    return toView(row);
  }

  /** A task's runs, newest first (refused attempts included: they say when a run was skipped). */
  async history(taskId: number, limit = 20): Promise<RunView[]> {
    return (await this.runs.viewRows(taskId, limit)).map(toView);
  }

  /** The shards of a run that finished (done or failed), in the order they finished. */
  async shards(runId: number): Promise<ShardView[]> {
    return (await this.runs.finishedShards(runId)).map((r) => ({
      shardId: String(r.shard_id), label: String(r.label), status: String(r.status), rowsRead: Number(r.rows_read), rowsWritten: Number(r.rows_written), finishedAt: String(r.finished_at),
    }));
  }
}
